'use strict';
// The wire between the main thread and the worker that holds libksef.so
// (native.cjs ↔ native-worker.cjs). Both sides block on it with Atomics, so
// every answer is synchronous on the main thread — the driver loop in
// driver.cjs cannot tell this backend from the wasm instance.
//
//   ctl  Int32Array over a 16-byte SharedArrayBuffer
//        [0] state: IDLE → REQUEST (main wrote a request) → RESPONSE (worker
//            wrote the answer) → IDLE (main took it)
//        [1] bytes used in data, or VIA_PORT when the payload did not fit and
//            travels as a MessagePort message instead (read synchronously
//            with receiveMessageOnPort, so neither side needs its event loop)
//   data the payload:
//        request   u32 method | u32 string count | u64 handle | (u32 len, UTF-8 or raw bytes)…
//        response  i32 return code | u32 len | UTF-8 (envelope or event JSON), or
//                  the raw bytes beside an event (EVENT_DATA)
// The worker only moves bytes; what they mean is decided by the Go core.

const IDLE = 0;
const REQUEST = 1;
const RESPONSE = 2;
const VIA_PORT = -1;
const SPIN = 2000; // Atomics.load rounds before sleeping in Atomics.wait
// A streamed chunk (at most 1 MiB, docs/step.md) and its JSON fit; larger
// payloads go through the port.
const DATA_BYTES = (1 << 20) + (64 << 10);

// Methods: one per C function the backend uses (include/ksef.h).
const M = { CALL: 1, START: 2, RESUME: 3, CANCEL: 4, CLIENT_NEW: 5, CLIENT_FREE: 6, INFLIGHT: 7, START_WITH: 8, RESUME_DATA: 9, EVENT_DATA: 10 };

// A return code the C API never gives: the worker itself failed (a JS
// exception around the koffi call, or initialisation).
const RC_WORKER = -100;

function channel(shared) {
  const ctl = new Int32Array(shared.ctl);
  const buf = Buffer.from(shared.data);
  return { ctl, buf, dv: new DataView(shared.data), u8: new Uint8Array(shared.data) };
}

function create() {
  return { ctl: new SharedArrayBuffer(16), data: new SharedArrayBuffer(DATA_BYTES) };
}

// writeRequest stores a request in data, or returns false when it is too
// big (the caller then posts { method, handle, strings } on the port).
function writeRequest(ch, method, handle, strings) {
  let need = 16;
  const lens = strings.map((s) => (typeof s === 'string' ? Buffer.byteLength(s) : s.length));
  for (const n of lens) need += 4 + n;
  if (need > DATA_BYTES) return false;
  ch.dv.setUint32(0, method, true);
  ch.dv.setUint32(4, strings.length, true);
  ch.dv.setBigUint64(8, BigInt(handle), true);
  let off = 16;
  for (let i = 0; i < strings.length; i++) {
    ch.dv.setUint32(off, lens[i], true);
    if (typeof strings[i] === 'string') ch.buf.write(strings[i], off + 4, lens[i], 'utf8');
    else ch.u8.set(strings[i], off + 4);
    off += 4 + lens[i];
  }
  ch.ctl[1] = off;
  return true;
}

// readRequest gives { method, handle, spans } where each span is
// [offset, length] of a string's bytes inside data (the worker hands those
// bytes to C without a copy).
function readRequest(ch) {
  const method = ch.dv.getUint32(0, true);
  const count = ch.dv.getUint32(4, true);
  const handle = ch.dv.getBigUint64(8, true);
  const spans = [];
  let off = 16;
  for (let i = 0; i < count; i++) {
    const n = ch.dv.getUint32(off, true);
    spans.push([off + 4, n]);
    off += 4 + n;
  }
  return { method, handle, spans };
}

// Synchronous wait until ctl[0] becomes want. A short spin first: a
// small call answers in a few microseconds, well below a futex wake-up.
function awaitState(ctl, want, timeoutMs = Infinity) {
  for (let i = 0; i < SPIN; i++) if (Atomics.load(ctl, 0) === want) return true;
  const deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const cur = Atomics.load(ctl, 0);
    if (cur === want) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    Atomics.wait(ctl, 0, cur, left === Infinity ? undefined : left);
  }
}

function signal(ctl, state) {
  Atomics.store(ctl, 0, state);
  Atomics.notify(ctl, 0);
}

module.exports = {
  IDLE, REQUEST, RESPONSE, VIA_PORT, DATA_BYTES, M, RC_WORKER,
  channel, create, writeRequest, readRequest, awaitState, signal,
};
