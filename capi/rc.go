package main

// Return codes. The header gets one #define per constant of this block, with
// its comment, so C and Go cannot disagree on a value.
const (
	// Success. *out holds {"ok":true,...} or a step/resume event.
	KSEF_OK = 0
	// The call was made correctly but the operation failed: *out holds
	// {"ok":false,"error":{...}} (for ksef_start/ksef_resume/ksef_cancel a
	// "done" event whose envelope is an error).
	KSEF_EFAILED = 1
	// A required pointer was NULL (out, out_len, client), or a pointer was
	// NULL with a non-zero length. *out holds an input.invalid envelope when
	// out and out_len were usable.
	KSEF_EINVAL = 2
	// An input (operation name, JSON) is not valid UTF-8.
	KSEF_EUTF8 = 3
	// The client handle or operation id is unknown, already freed or
	// forged; the envelope's error.code is "handle.invalid".
	KSEF_EHANDLE = 4
	// A bug in ksefkit (a recovered panic); error.code is "internal". The
	// library stays usable.
	KSEF_EINTERNAL = 5
)
