'use strict';
// The host side of the step/resume protocol (core/step): run an operation
// until it needs the outside world, do that (fetch, a timer), hand the
// answer back, repeat until "done". Each operation is an independent async
// loop, so any number can be in flight on one instance. The instance is
// either backend (runtime.cjs: ksef.wasm here; native.cjs: libksef.so in a
// worker); both answer synchronously with the same events.

const { backend } = require('./backend.cjs');
const { fromEnvelope, InternalError, InputError } = require('./errors.cjs');
const { Host, canceled } = require('./host.cjs');

function settle(ev) {
  const env = ev.envelope;
  if (!env) throw new InternalError({ message: `event without envelope: ${ev.kind}` });
  if (env.ok) return env.result;
  throw fromEnvelope(env);
}

function invalid(field, message) {
  return new InputError({ code: 'input.invalid', field, message });
}

// badTextPath names the first string (or key) in v that is not well-formed
// UTF-16 (a lone surrogate): TextEncoder would silently turn it into U+FFFD,
// handing the core a different token or document than the caller's.
function badTextPath(v, path) {
  if (typeof v === 'string') return v.isWellFormed() ? null : path || 'input';
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!k.isWellFormed()) return `a key of ${path || 'the input'}`;
      const p = badTextPath(x, Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
      if (p) return p;
    }
  }
  return null;
}

// encodeInput turns the caller's input into the JSON text the core reads.
// A failure names the field, never the value (it may be a secret).
function encodeInput(input, text) {
  if (text !== undefined) {
    if (typeof text !== 'string') throw invalid('input', 'the input text must be a string');
    if (!text.isWellFormed()) throw invalid('input', 'the input text holds a lone surrogate; nothing was sent');
    return text;
  }
  let json;
  try {
    json = JSON.stringify(input ?? {});
  } catch (e) {
    // BigInt or a cycle: the message names types and keys, not values.
    throw invalid('input', `the input cannot be written as JSON: ${e.message}`);
  }
  if (json === undefined) throw invalid('input', 'the input cannot be written as JSON');
  // JSON.stringify writes a lone surrogate as a \udXXX escape, which the
  // core would read as U+FFFD; only then is the walk needed.
  if (json.includes('\\ud')) {
    const field = badTextPath(input, '');
    if (field) throw invalid(field, `${field} is not valid text (it holds a lone surrogate); nothing was sent`);
  }
  return json;
}

// run executes operation op with input (an object) on a client handle (0
// for none) of the given instance. With raw it returns the final envelope
// itself (tests compare it with the parity vectors) instead of its result.
// text, when given, is the input as JSON text the caller supplied (the
// core parses it and says what is wrong with it).
async function run(inst, clientHandle, op, input, { signal, raw, text, onProgress } = {}) {
  if (signal?.aborted) throw canceled();
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress', 'onProgress must be a function');
  const finish = raw ? (ev) => ev.envelope : settle;
  // Anything but a string becomes '': the core's one rule for a missing name.
  const name = typeof op === 'string' ? op : '';
  const json = encodeInput(input, text);
  const info = inst.opInfo(name);
  if (!info || !(info.network || info.hostFiles)) return finish({ envelope: inst.call(clientHandle, name, json) });

  // Both backends stream: bodies and files move in chunks (docs/step.md).
  const host = new Host(inst, { signal, onProgress });
  let ev = inst.startWith(clientHandle, name, json, JSON.stringify(onProgress ? { streams: true, progress: true } : { streams: true }));
  try {
    while (ev.kind !== 'done') ev = await host.handle(ev);
    host.seen(ev);
  } catch (e) {
    // Unwind the Go side so the operation does not leak, then report.
    if (ev.kind !== 'done' && !inst.dead) {
      try { inst.cancel(ev.op); } catch { /* the instance trapped; nothing to unwind */ }
    }
    throw e;
  } finally {
    host.release();
  }
  return finish(ev);
}

// call runs a client-less operation on the chosen backend (default: the
// module default).
async function call(op, input, opts = {}) {
  return run(backend(opts.backend), 0, op, input, opts);
}

module.exports = { run, call };
