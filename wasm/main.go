//go:build wasip1

// Command wasm is ksef.wasm: a WASI preview 1 *reactor* (built with
// -buildmode=c-shared) whose //go:wasmexport functions are a thin shim over
// one core/bridge.Bridge. Every export takes and returns bytes through the
// module's linear memory; nothing here knows an operation.
//
// Memory convention (docs/abi-wasm.md §1.4):
//
//   - The host asks for a buffer with ksef_alloc(n), writes its bytes there,
//     passes (ptr, len) to a call, and frees it with ksef_free(ptr) — or
//     keeps it for the next call.
//   - Every result is a Go buffer registered in a table (so the GC keeps it
//     reachable and, Go's heap being non-moving, at a stable address) and
//     returned packed as uint64(ptr)<<32 | len. The host copies it out and
//     calls ksef_free(ptr).
//   - string parameters alias host memory: the shim copies before anything
//     can keep them (an operation runs on in a goroutine after the export
//     returned).
//
// There is no net/http here: network operations run only through
// ksef_start/ksef_resume, where the host performs each request.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"github.com/ksefkit/ksefkit/core/bridge"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ops"
)

// main is required by the toolchain but never runs in a reactor; package
// initialisation happens in _initialize.
func main() {}

// b is the module's one bridge: client handles and operations in flight
// live as long as the instance.
var b = bridge.New(nil)

// buffers keeps every buffer handed to the host reachable until ksef_free.
var (
	bufMu   sync.Mutex
	buffers = map[uintptr][]byte{}
)

func register(p []byte) uintptr {
	if len(p) == 0 {
		p = make([]byte, 1)[:0:1] // a real address even for an empty result
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	bufMu.Lock()
	buffers[addr] = p
	bufMu.Unlock()
	return addr
}

// pack registers p and returns it as ptr<<32 | len.
func pack(p []byte) uint64 {
	addr := register(p)
	return uint64(addr)<<32 | uint64(uint32(len(p)))
}

//go:wasmexport ksef_alloc
func ksefAlloc(n int32) unsafe.Pointer {
	if n < 0 {
		return nil
	}
	p := make([]byte, max(n, 1))
	register(p[:n])
	return unsafe.Pointer(unsafe.SliceData(p))
}

//go:wasmexport ksef_free
func ksefFree(p unsafe.Pointer) {
	bufMu.Lock()
	delete(buffers, uintptr(p))
	bufMu.Unlock()
}

// internalEnvelope turns a recovered panic into the envelope every caller
// already understands. The stack goes to stderr (fd 2), never to the
// envelope, which may end up in user-facing messages.
func internalEnvelope(where string, r any) []byte {
	fmt.Fprintf(stderr{}, "ksef.wasm: panic in %s: %v\n%s", where, r, debug.Stack())
	return ops.ErrorEnvelope(errs.New(errs.Internal, "panic in %s: %v", where, r))
}

func internalEvent(where string, op uint64, r any) []byte {
	ev, _ := json.Marshal(map[string]any{"kind": "done", "op": op, "envelope": json.RawMessage(internalEnvelope(where, r))})
	return ev
}

type stderr struct{}

func (stderr) Write(p []byte) (int, error) { print(string(p)); return len(p), nil }

//go:wasmexport ksef_version
func ksefVersion() (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEnvelope("ksef_version", r))
		}
	}()
	return pack(b.Call(context.Background(), 0, "version", nil))
}

// ksef_client_new answers the envelope {"ok":true,"result":{"client":N,"environment":…}}.
//
//go:wasmexport ksef_client_new
func ksefClientNew(config string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEnvelope("ksef_client_new", r))
		}
	}()
	_, env := b.ClientNew([]byte(config))
	return pack(env)
}

// ksef_client_free returns 0, or 1 for an unknown or already freed handle.
//
//go:wasmexport ksef_client_free
func ksefClientFree(id uint64) (rc int32) {
	defer func() {
		if r := recover(); r != nil {
			rc = 2
		}
	}()
	if b.ClientFree(id) != nil {
		return 1
	}
	return 0
}

// ksef_call runs an operation that needs no outside world to completion. A
// network operation fails with a clear error (the wasm build's default HTTP
// driver refuses): use ksef_start for those.
//
//go:wasmexport ksef_call
func ksefCall(client uint64, op string, input string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEnvelope("ksef_call", r))
		}
	}()
	name := strings.Clone(op)
	if o, ok := ops.Default().Lookup(name); ok && (o.Network || o.HostFiles) {
		// Refuse up front: the module has no HTTP driver and no files, and
		// letting the operation find out would cost its whole retry budget
		// in sleeps (or fail on a file it cannot see).
		return pack(ops.ErrorEnvelope(errs.New(errs.InputInvalid,
			"operation %s needs the host (KSeF over HTTP, or its files): in the wasm module run it with ksef_start/ksef_resume, not ksef_call", name)))
	}
	return pack(b.Call(context.Background(), client, name, []byte(input)))
}

// ksef_start begins an operation under the step/resume driver and returns
// its first event ({"kind":"http"|"sleep"|"file"|"done",…}).
//
//go:wasmexport ksef_start
func ksefStart(client uint64, op string, input string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEvent("ksef_start", 0, r))
		}
	}()
	return pack(b.Start(client, strings.Clone(op), []byte(input)))
}

// ksef_start_with is ksef_start with the host's step options (JSON:
// {"streams":true,"progress":true}; docs/step.md). With streams, files are
// streamed through open/read/create/write/list/close events.
//
//go:wasmexport ksef_start_with
func ksefStartWith(client uint64, op string, input string, options string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEvent("ksef_start_with", 0, r))
		}
	}()
	return pack(b.StartWith(client, strings.Clone(op), []byte(input), []byte(options)))
}

// ksef_resume answers the event operation opID waits on and returns its
// next event.
//
//go:wasmexport ksef_resume
func ksefResume(opID uint64, answer string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEvent("ksef_resume", opID, r))
		}
	}()
	return pack(b.Resume(opID, []byte(answer)))
}

// ksef_resume_data is ksef_resume with raw bytes beside the answer (the
// chunk a read event asked for); both are copied before the call returns.
//
//go:wasmexport ksef_resume_data
func ksefResumeData(opID uint64, answer string, data string) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEvent("ksef_resume_data", opID, r))
		}
	}()
	return pack(b.ResumeData(opID, []byte(answer), []byte(data)))
}

// ksef_event_data returns the bytes beside operation opID's last event
// (its "dataLen"), packed like every result — length 0 when there are none
// or the operation holds no event. The buffer is the operation's own, not
// a copy: copy it out before the next resume or cancel, then ksef_free it.
//
//go:wasmexport ksef_event_data
func ksefEventData(opID uint64) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(nil)
		}
	}()
	d, err := b.EventData(opID)
	if err != nil {
		return pack(nil)
	}
	return pack(d)
}

// ksef_cancel unwinds operation opID and returns its final event.
//
//go:wasmexport ksef_cancel
func ksefCancel(opID uint64) (res uint64) {
	defer func() {
		if r := recover(); r != nil {
			res = pack(internalEvent("ksef_cancel", opID, r))
		}
	}()
	return pack(b.Cancel(opID))
}

// ksef_inflight reports operations started and not finished (a host checks
// that cancellation and abandoned operations do not leak).
//
//go:wasmexport ksef_inflight
func ksefInflight() int32 { return int32(b.InFlight()) }
