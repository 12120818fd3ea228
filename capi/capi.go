package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include <stdlib.h>
#include <string.h>
#include "ksef.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/ksefkit/ksefkit/core/bridge"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
)

// The one bridge of the process: clients and operations in flight live here,
// shared by every thread that calls in.
var br = bridge.New(nil)

// versionCStr is allocated once: ksef_version hands out the same C string
// forever, so callers never free it.
var versionCStr = C.CString(ksef.Version)

func main() {}

// ksef_version returns the library version ("0.1.0"), a static
// NUL-terminated string owned by the library. Do not free it. For the full
// build information call the operation "version".
//
//export ksef_version
func ksef_version() *C.ksef_cstr {
	return (*C.ksef_cstr)(unsafe.Pointer(versionCStr))
}

// ksef_client_new creates a client from a JSON configuration, e.g.
// {"environment":"test"} or {"baseUrl":"http://127.0.0.1:8080/v2"}. Fields
// (all optional except environment or baseUrl): environment
// ("test"|"demo"|"prod"), baseUrl, userAgent, maxAttempts,
// requestTimeoutMs, totalTimeoutMs, maxRetryAfterMs, backoffMs,
// pollInitialMs, pollMaxMs, pollTimeoutMs, sessionPollInitialMs,
// sessionPollMaxMs, sessionPollTimeoutMs, refreshLeewayMs, logLevel
// ("debug"|"info"|"warn"|"error"|"off", logs go to stderr). Unknown fields
// are an error.
//
// On success stores the new handle in *client (0 on failure) and the
// envelope {"ok":true,"result":{"client":N,"environment":{...}}} in *out.
// Release the client with ksef_client_free.
//
//export ksef_client_new
func ksef_client_new(config *C.ksef_cstr, config_len C.size_t, client *C.ksef_client_t, out **C.char, out_len *C.size_t) (rc C.int) {
	defer recoverInto(&rc, out, out_len)
	if client != nil {
		*client = 0
	}
	if code, ok := checkOut(out, out_len); !ok {
		return code
	}
	if client == nil {
		return reply(out, out_len, KSEF_EINVAL, ops.ErrorEnvelope(errs.New(errs.InputInvalid, "client must not be NULL")))
	}
	cfg, code, env := input(config, config_len, "config")
	if env != nil {
		return reply(out, out_len, code, env)
	}
	id, env := br.ClientNew(cfg)
	*client = C.ksef_client_t(id)
	return reply(out, out_len, envelopeCode(env), env)
}

// ksef_client_free releases a client: its tokens are forgotten (not
// revoked — call "auth.sessions.revoke" first for that). Operations
// running on it in other threads finish normally. Returns KSEF_OK, or
// KSEF_EHANDLE for 0, an unknown or an already freed handle.
//
//export ksef_client_free
func ksef_client_free(client C.ksef_client_t) (rc C.int) {
	defer recoverInto(&rc, nil, nil)
	if err := br.ClientFree(uint64(client)); err != nil {
		return KSEF_EHANDLE
	}
	return KSEF_OK
}

// ksef_call runs operation op (e.g. "auth.token") with a JSON input
// (length 0 means {}) to completion and stores its envelope in *out. client
// may be 0 for operations that need none. Blocks while the operation talks
// to KSeF, including retries and status polling, within the client's
// timeouts.
//
//export ksef_call
func ksef_call(client C.ksef_client_t, op *C.ksef_cstr, op_len C.size_t, in *C.ksef_cstr, in_len C.size_t, out **C.char, out_len *C.size_t) (rc C.int) {
	defer recoverInto(&rc, out, out_len)
	if code, ok := checkOut(out, out_len); !ok {
		return code
	}
	name, data, code, env := opAndInput(op, op_len, in, in_len)
	if env != nil {
		return reply(out, out_len, code, env)
	}
	env = br.Call(context.Background(), uint64(client), name, data)
	return reply(out, out_len, envelopeCode(env), env)
}

// ksef_start begins operation op under the step/resume driver: the library
// performs no I/O and never sleeps; it runs the operation until it needs
// the outside world and stores that need as an event in *out:
//
//	{"kind":"http","op":7,"http":{"method":"POST","url":"...",
//	  "headers":{"Content-Type":"application/json"},"body":"<base64>",
//	  "timeoutMs":60000,"maxBodyBytes":67108864}}
//	{"kind":"sleep","op":7,"ms":250}
//	{"kind":"done","op":7,"envelope":{"ok":true,"result":{...}}}
//
// Answer an "http" event with ksef_resume(op, {"status":200,"headers":{...},
// "body":"<base64>"}) or {"error":"connection refused","timeout":false}, a
// "sleep" event with {} once the time has passed. Stop waiting after
// timeoutMs, body included ({"error":...,"timeout":true}); count the body
// while reading it and, once it exceeds maxBodyBytes, abort the request and
// answer {"error":"answer exceeds ...","tooLarge":true,"status":200}. "done" ends the operation
// and its id becomes invalid. Returns KSEF_EFAILED when the done envelope
// is an error, KSEF_OK for every other event.
//
//export ksef_start
func ksef_start(client C.ksef_client_t, op *C.ksef_cstr, op_len C.size_t, in *C.ksef_cstr, in_len C.size_t, out **C.char, out_len *C.size_t) (rc C.int) {
	defer recoverInto(&rc, out, out_len)
	if code, ok := checkOut(out, out_len); !ok {
		return code
	}
	name, data, code, env := opAndInput(op, op_len, in, in_len)
	if env != nil {
		return reply(out, out_len, code, env)
	}
	ev := br.Start(uint64(client), name, data)
	return reply(out, out_len, eventCode(ev), ev)
}

// ksef_resume answers the event operation op_id waits on (see ksef_start)
// and stores the next event in *out. An unknown, finished or canceled
// op_id gives KSEF_EHANDLE and a "done" event with a handle.invalid error.
// Only one thread at a time may drive a given operation.
//
//export ksef_resume
func ksef_resume(op_id C.ksef_op_t, answer *C.ksef_cstr, answer_len C.size_t, out **C.char, out_len *C.size_t) (rc C.int) {
	defer recoverInto(&rc, out, out_len)
	if code, ok := checkOut(out, out_len); !ok {
		return code
	}
	data, code, env := input(answer, answer_len, "answer")
	if env != nil {
		return reply(out, out_len, code, env)
	}
	ev := br.Resume(uint64(op_id), data)
	return reply(out, out_len, eventCode(ev), ev)
}

// ksef_cancel abandons operation op_id and stores its final "done" event
// (normally a "canceled" error) in *out. When another thread is driving
// the operation at that moment, the event is {"kind":"canceling"} and that
// thread receives the "done" event instead.
//
//export ksef_cancel
func ksef_cancel(op_id C.ksef_op_t, out **C.char, out_len *C.size_t) (rc C.int) {
	defer recoverInto(&rc, out, out_len)
	if code, ok := checkOut(out, out_len); !ok {
		return code
	}
	ev := br.Cancel(uint64(op_id))
	return reply(out, out_len, eventCode(ev), ev)
}

// ksef_inflight returns how many step/resume operations are started and
// not yet done (a leak check for hosts: should be 0 when idle).
//
//export ksef_inflight
func ksef_inflight() C.int {
	defer func() { _ = recover() }()
	return C.int(br.InFlight())
}

// ksef_free releases a buffer returned in *out by any ksef_* function.
// NULL is ignored. Never pass the string of ksef_version.
//
//export ksef_free
func ksef_free(p unsafe.Pointer) {
	C.free(p)
}

// ---- helpers (not exported) ----

// checkOut makes sure there is somewhere to put the answer; without it the
// only channel left is the return code.
func checkOut(out **C.char, out_len *C.size_t) (C.int, bool) {
	if out == nil || out_len == nil {
		if out != nil {
			*out = nil
		}
		if out_len != nil {
			*out_len = 0
		}
		return KSEF_EINVAL, false
	}
	*out, *out_len = nil, 0
	return KSEF_OK, true
}

// input copies a caller's (pointer, length) pair: Go must not keep C memory
// past the call, and the operation may outlive it (step/resume).
func input(p *C.ksef_cstr, n C.size_t, what string) ([]byte, C.int, []byte) {
	if p == nil {
		if n != 0 {
			return nil, KSEF_EINVAL, ops.ErrorEnvelope(errs.Invalid(what, "%s is NULL with length %d", what, uint64(n)))
		}
		return nil, KSEF_OK, nil
	}
	b := C.GoBytes(unsafe.Pointer(p), C.int(n))
	if !utf8.Valid(b) {
		return nil, KSEF_EUTF8, ops.ErrorEnvelope(errs.Invalid(what, "%s is not valid UTF-8", what))
	}
	return b, KSEF_OK, nil
}

func opAndInput(op *C.ksef_cstr, op_len C.size_t, in *C.ksef_cstr, in_len C.size_t) (string, []byte, C.int, []byte) {
	if op == nil || op_len == 0 {
		return "", nil, KSEF_EINVAL, ops.ErrorEnvelope(ops.MissingOp())
	}
	name, code, env := input(op, op_len, "op")
	if env != nil {
		return "", nil, code, env
	}
	data, code, env := input(in, in_len, "input")
	if env != nil {
		return "", nil, code, env
	}
	return string(name), data, KSEF_OK, nil
}

// reply copies b into malloc'ed memory with a trailing NUL.
func reply(out **C.char, out_len *C.size_t, code C.int, b []byte) C.int {
	if out == nil || out_len == nil {
		return code
	}
	p := (*C.char)(C.malloc(C.size_t(len(b) + 1)))
	if p == nil {
		*out, *out_len = nil, 0
		return KSEF_EINTERNAL
	}
	if len(b) > 0 {
		C.memcpy(unsafe.Pointer(p), unsafe.Pointer(&b[0]), C.size_t(len(b)))
	}
	*(*byte)(unsafe.Add(unsafe.Pointer(p), len(b))) = 0
	*out, *out_len = p, C.size_t(len(b))
	return code
}

var okPrefix = []byte(`{"ok":true`)

// envelopeCode maps an envelope to a return code. The success path only
// looks at the prefix (ops.Marshal always starts with "ok"); errors, which
// are rare, are decoded to read error.code.
func envelopeCode(env []byte) C.int {
	if bytes.HasPrefix(env, okPrefix) {
		return KSEF_OK
	}
	var e struct {
		Error struct {
			Code errs.Code `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(env, &e)
	switch e.Error.Code {
	case errs.InvalidHandle:
		return KSEF_EHANDLE
	case errs.Internal:
		return KSEF_EINTERNAL
	}
	return KSEF_EFAILED
}

func eventCode(ev []byte) C.int {
	var e struct {
		Kind     string          `json:"kind"`
		Envelope json.RawMessage `json:"envelope"`
	}
	if json.Unmarshal(ev, &e) != nil {
		return KSEF_EINTERNAL
	}
	if e.Kind != "done" {
		return KSEF_OK
	}
	return envelopeCode(e.Envelope)
}

// recoverInto turns a panic into KSEF_EINTERNAL and an "internal" envelope:
// an unrecovered panic in an export would abort the host process.
func recoverInto(rc *C.int, out **C.char, out_len *C.size_t) {
	r := recover()
	if r == nil {
		return
	}
	env := ops.Marshal(ops.Envelope{Error: &errs.Error{Code: errs.Internal, Message: fmt.Sprintf("ksefkit panicked: %v", r)}})
	*rc = reply(out, out_len, KSEF_EINTERNAL, env)
}
