'use strict';
// The worker thread that owns libksef.so for the native backend. koffi runs
// here and never on the main thread: there every call would cost ~85 µs,
// because koffi calls on its own stack and Go then re-reads /proc/self/maps
// to find the main thread's stack bounds (docs: abi-wasm.md §4.4).
//
// The worker only marshals: it takes a request from the shared channel,
// calls the one C function it names, and puts the raw answer back. It runs
// no event loop (it blocks in Atomics.wait between requests) and holds no
// logic of its own — HTTP, timers and AbortSignal stay on the main thread,
// which drives step/resume operations exactly as it drives the wasm module.

const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const C = require('./native-channel.cjs');

const { shared, port, library } = workerData;
const ch = C.channel(shared);

// respond puts an answer on the channel and wakes the main thread. The
// answer is a string, or a C buffer (ptr, n) that copy() moves into the
// channel (or, when too big for it, into a Buffer for the port).
function respond(rc, answer, n) {
  const text = typeof answer === 'string';
  const bytes = text ? Buffer.from(answer, 'utf8') : null;
  if (text) n = bytes.length;
  if (8 + n <= C.DATA_BYTES) {
    ch.dv.setInt32(0, rc, true);
    ch.dv.setUint32(4, n, true);
    if (text) ch.u8.set(bytes, 8);
    else copy(ch.u8.subarray(8, 8 + n), answer, n);
    ch.ctl[1] = 8 + n;
  } else {
    let big = bytes;
    if (!text) copy((big = Buffer.allocUnsafe(n)), answer, n);
    port.postMessage({ rc, text: big.toString('utf8') });
    ch.ctl[1] = C.VIA_PORT;
  }
  C.signal(ch.ctl, C.RESPONSE);
}

let koffi;
let fn;
// copy(dst, ptr, n) moves n bytes of C memory into a typed array. It is
// libc's memcpy, found in the process itself: koffi.view (a view on the C
// buffer, copied out) kept ~0.2 KB of native memory per call alive for good
// (RSS grew without bound: +195 MB over 400 k calls; GC did not help), and
// koffi.decode still ~20 bytes per call; memcpy into the channel keeps
// RSS flat and saves a copy.
let copy;
try {
  koffi = require('koffi');
  copy = koffi.load(null).func('void *memcpy(_Out_ uint8_t *dst, const void *src, size_t n)');
  const lib = koffi.load(library);
  const decl = (sig) => lib.func(sig);
  fn = {
    call: decl('int ksef_call(uint64_t client, const uint8_t *op, size_t op_len, const uint8_t *in, size_t in_len, _Out_ void **out, _Out_ size_t *out_len)'),
    start: decl('int ksef_start(uint64_t client, const uint8_t *op, size_t op_len, const uint8_t *in, size_t in_len, _Out_ void **out, _Out_ size_t *out_len)'),
    resume: decl('int ksef_resume(uint64_t op, const uint8_t *answer, size_t answer_len, _Out_ void **out, _Out_ size_t *out_len)'),
    cancel: decl('int ksef_cancel(uint64_t op, _Out_ void **out, _Out_ size_t *out_len)'),
    clientNew: decl('int ksef_client_new(const uint8_t *config, size_t config_len, _Out_ uint64_t *client, _Out_ void **out, _Out_ size_t *out_len)'),
    clientFree: decl('int ksef_client_free(uint64_t client)'),
    inflight: decl('int ksef_inflight(void)'),
    free: decl('void ksef_free(void *p)'),
  };
} catch (e) {
  respond(C.RC_WORKER, `cannot load ${library} with koffi: ${e.message}`);
  fn = null;
}

if (fn) {
  respond(0, JSON.stringify({ koffi: koffi.version, library }));
  serve();
}

function serve() {
  const out = [null];
  const outLen = [0];
  const handleOut = [0n];
  for (;;) {
    C.awaitState(ch.ctl, C.REQUEST);
    let req;
    let strs; // byte views, from the channel or from a port message
    try {
      if (ch.ctl[1] === C.VIA_PORT) {
        const m = receiveMessageOnPort(port).message;
        req = { method: m.method, handle: BigInt(m.handle) };
        strs = m.strings.map((s) => Buffer.from(s, 'utf8'));
      } else {
        req = C.readRequest(ch);
        strs = req.spans.map(([off, n]) => ch.u8.subarray(off, off + n));
      }
      out[0] = null;
      outLen[0] = 0;
      let rc;
      switch (req.method) {
        case C.M.CALL: rc = fn.call(req.handle, strs[0], strs[0].length, strs[1], strs[1].length, out, outLen); break;
        case C.M.START: rc = fn.start(req.handle, strs[0], strs[0].length, strs[1], strs[1].length, out, outLen); break;
        case C.M.RESUME: rc = fn.resume(req.handle, strs[0], strs[0].length, out, outLen); break;
        case C.M.CANCEL: rc = fn.cancel(req.handle, out, outLen); break;
        case C.M.CLIENT_NEW: rc = fn.clientNew(strs[0], strs[0].length, handleOut, out, outLen); break;
        case C.M.CLIENT_FREE: respond(fn.clientFree(req.handle), ''); continue;
        case C.M.INFLIGHT: respond(fn.inflight(), ''); continue;
        default: respond(C.RC_WORKER, `unknown method ${req.method}`); continue;
      }
      if (!out[0]) {
        respond(C.RC_WORKER, `libksef returned ${rc} without an answer`);
        continue;
      }
      try {
        respond(rc, out[0], outLen[0]);
      } finally {
        fn.free(out[0]);
      }
    } catch (e) {
      respond(C.RC_WORKER, `native worker: ${e.message}`);
    }
  }
}
