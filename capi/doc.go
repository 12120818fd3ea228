// libksef — the C interface of ksefkit, a client for KSeF 2.0 (Poland's
// national e-invoicing system, REST API v2).
//
// Every capability is an *operation* with a name ("auth.token",
// "auth.sessions.list", "version", …), a JSON input and a JSON answer. The
// list of operations with their input and result fields is docs/ops.md (or
// call the operation "ops.list"). This header only moves JSON in and out.
//
// ANSWERS. Every operation answers with an envelope:
//
//	{"ok":true,"result":{...},"warnings":[{"code":"...","message":"..."}]}
//	{"ok":false,"error":{"code":"ksef.auth_failed","message":"...",
//	   "httpStatus":400,"exceptions":[{"code":21405,"description":"...","details":["..."]}],
//	   "traceId":"...","referenceNumber":"...","status":450,
//	   "statusDescription":"...","statusDetails":["..."],"findings":["..."],
//	   "field":"nip","retryAfterSeconds":30}}
//
// error.code is stable: input.invalid, ksef.api, ksef.auth_failed,
// ksef.unauthorized, ksef.forbidden, ksef.rate_limited, ksef.gone,
// ksef.protocol, auth.required, transport, timeout, canceled, crypto,
// signature.invalid, op.unknown, handle.invalid, internal. Messages never
// contain tokens, keys or passwords.
//
// RETURN CODES. Functions returning int return KSEF_OK or one of the
// KSEF_E* codes below. Whenever out is not NULL the function also stores an
// envelope (or event) there, so the caller can always show error.message.
//
// MEMORY. Inputs are (pointer, length) pairs of UTF-8 bytes owned by the
// caller; they need not be NUL-terminated and are only read during the
// call. Outputs are written to *out / *out_len: a buffer allocated with
// malloc, NUL-terminated (the NUL is not counted in *out_len), owned by the
// caller, released with ksef_free(). On return *out is either NULL or such
// a buffer, never memory owned by the library.
//
// HANDLES. A client (ksef_client_t) holds configuration, HTTP connections
// and the session tokens. Handles are positive integers that are never
// reused; 0 means "no client" and is accepted by operations that need none
// (version, env.list, ops.list …). Using a freed, unknown or forged handle
// returns KSEF_EHANDLE; it never crashes. Operation ids (ksef_op_t) of the
// step/resume interface behave the same.
//
// THREADS. Every function may be called from any thread, concurrently,
// also on the same client: a client serialises what must be serialised
// (token refresh) itself. Calls block the calling thread only.
//
// PROCESS. The library embeds the Go runtime: it starts threads when it is
// loaded, cannot be unloaded (dlclose is a no-op at best — load it with
// RTLD_NODELETE) and does not survive fork(): a child process must not call
// into it (exec, or load the library after forking).
//
// STEP/RESUME. ksef_call performs HTTP itself (TLS verification on,
// proxies from the environment). Hosts with their own event loop may use
// ksef_start/ksef_resume instead: the library then returns events asking
// the host to perform HTTP requests or to wait, see ksef_start;
// ksef_start_with adds streamed bodies (raw bytes beside the JSON, through
// ksef_event_data and ksef_resume_data), progress reports, and progress for
// callers that let the library do the I/O ({"native":true}) — the C way to
// a progress bar without callbacks. The protocol in full: docs/step.md.
package main
