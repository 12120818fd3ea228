'use strict';
// The host side of the step/resume protocol (core/step): run an operation
// until it needs the outside world, do that (fetch, a timer), hand the
// answer back, repeat until "done". Each operation is an independent async
// loop, so any number can be in flight on one instance. The instance is
// either backend (runtime.cjs: ksef.wasm here; native.cjs: libksef.so in a
// worker); both answer synchronously with the same events.

const { readFileSync } = require('node:fs');
const { backend } = require('./backend.cjs');
const { fromEnvelope, CanceledError, InternalError, InputError } = require('./errors.cjs');

const DEFAULT_TIMEOUT_MS = 60_000;

function abortReason(signal) {
  return new CanceledError({ message: 'operation canceled by AbortSignal' });
}

// sleep resolves after ms, or rejects as soon as signal aborts.
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(t); reject(abortReason(signal)); }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// perform does one http event with fetch and returns the answer JSON. A
// failure to get any HTTP answer is reported to Go (which decides about
// retries); only the caller's own abort escapes as an exception.
//
// The core's limits for the attempt hold while reading, not after: the
// timeout aborts the request wherever it is (headers or body), and the body
// is counted as it arrives and abandoned — the request aborted — as soon as
// it exceeds maxBodyBytes, so no more than that is ever held or
// base64-encoded (core/step: the event's timeoutMs and maxBodyBytes).
async function perform(req, signal) {
  const ms = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_TIMEOUT_MS;
  const max = req.maxBodyBytes; // stated by the core in every http event
  const timeout = AbortSignal.timeout(ms);
  const over = new AbortController(); // the body passed the cap
  const combined = AbortSignal.any([timeout, over.signal, ...(signal ? [signal] : [])]);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers || {},
      body: req.body ? Buffer.from(req.body, 'base64') : undefined,
      signal: combined,
      redirect: 'manual',
    });
    const tooLarge = () => {
      over.abort();
      return JSON.stringify({ error: `answer exceeds ${max} bytes`, tooLarge: true, status: res.status });
    };
    // fetch decodes any Content-Encoding, so a declared length only counts
    // for an unencoded body.
    if (!res.headers.has('content-encoding') && Number(res.headers.get('content-length')) > max) return tooLarge();
    const chunks = [];
    let n = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        n += chunk.byteLength;
        if (n > max) break; // leaving the loop cancels the stream
        chunks.push(chunk);
      }
    }
    if (n > max) return tooLarge();
    const body = Buffer.concat(chunks, n).toString('base64');
    const headers = {};
    // The body handed to Go is the decoded one, so these two headers would
    // describe it wrongly.
    res.headers.forEach((v, k) => { if (k !== 'content-encoding' && k !== 'content-length') headers[k] = v; });
    return JSON.stringify({ status: res.status, headers, body });
  } catch (e) {
    if (signal?.aborted) throw abortReason(signal);
    const isTimeout = timeout.aborted;
    const cause = e?.cause?.code || e?.cause?.message;
    const msg = isTimeout ? `no answer within ${ms} ms` : `${e.message}${cause ? ` (${cause})` : ''}`;
    return JSON.stringify({ error: msg, timeout: isTimeout });
  }
}

// readHostFile answers a file event (ksef.wasm has no filesystem): the
// bytes of the file the core named, or why they cannot be had.
function readHostFile(path) {
  try {
    return JSON.stringify({ data: readFileSync(path).toString('base64') });
  } catch (e) {
    return JSON.stringify({ error: `${e.code || 'error'}: ${e.message}`, notFound: e.code === 'ENOENT' });
  }
}

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
async function run(inst, clientHandle, op, input, { signal, raw, text } = {}) {
  if (signal?.aborted) throw abortReason(signal);
  const finish = raw ? (ev) => ev.envelope : settle;
  // Anything but a string becomes '': the core's one rule for a missing name.
  const name = typeof op === 'string' ? op : '';
  const json = encodeInput(input, text);
  const info = inst.opInfo(name);
  if (!info || !(info.network || info.hostFiles)) return finish({ envelope: inst.call(clientHandle, name, json) });

  let ev = inst.start(clientHandle, name, json);
  try {
    while (ev.kind !== 'done') {
      if (ev.kind === 'http') {
        const answer = await perform(ev.http, signal);
        ev = inst.resume(ev.op, answer);
      } else if (ev.kind === 'sleep') {
        await sleep(ev.ms, signal);
        ev = inst.resume(ev.op, '{}');
      } else if (ev.kind === 'file') {
        ev = inst.resume(ev.op, readHostFile(ev.path));
      } else {
        throw new InternalError({ message: `unknown event kind ${ev.kind}` });
      }
    }
  } catch (e) {
    // Unwind the Go side so the operation does not leak, then report.
    if (ev.kind !== 'done' && !inst.dead) {
      try { inst.cancel(ev.op); } catch { /* the instance trapped; nothing to unwind */ }
    }
    throw e;
  }
  return finish(ev);
}

// call runs a client-less operation on the chosen backend (default: the
// module default).
async function call(op, input, opts = {}) {
  return run(backend(opts.backend), 0, op, input, opts);
}

module.exports = { run, call };
