'use strict';
// The host side of the streamed step protocol (docs/step.md): what the
// core asks of a host that started the operation with {"streams":true}.
// It only moves bytes — a request body pulled chunk by chunk into fetch, a
// response body handed out in reads of at most the core's max, file
// handles opened, read, written and closed — and checks nothing the core
// does not state (the offsets it states are compared, never guessed). It
// holds at most one chunk of any body or file, so a batch or an export of
// any size stays bounded on this side of the boundary too.

const fs = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { CanceledError, InternalError } = require('./errors.cjs');

const DEFAULT_TIMEOUT_MS = 60_000;
const EMPTY = new Uint8Array(0);

function canceled() {
  return new CanceledError({ message: 'operation canceled by AbortSignal' });
}

// fileError answers a failed file event; the message is the OS's (a path
// and an errno, never file contents).
function fileError(e) {
  return JSON.stringify({ error: `${e.code || 'error'}: ${e.message}`, notFound: e.code === 'ENOENT' });
}

function failure(e, timeout, ms) {
  if (timeout.aborted) return JSON.stringify({ error: `no answer within ${ms} ms`, timeout: true });
  const cause = e?.cause?.code || e?.cause?.message;
  return JSON.stringify({ error: `${e?.message || e}${cause ? ` (${cause})` : ''}`, timeout: false });
}

// headersOf turns fetch's headers into the answer's map. The body the core
// gets is the decoded one, so these two headers would describe it wrongly.
function headersOf(res) {
  const headers = {};
  res.headers.forEach((v, k) => { if (k !== 'content-encoding' && k !== 'content-length') headers[k] = v; });
  return headers;
}

// readCapped reads a held response body, counting as it arrives and giving
// up (the request aborted) as soon as it passes max.
async function readCapped(res, max, over) {
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
  return JSON.stringify({ status: res.status, headers: headersOf(res), body });
}

// A response body kept for read events.
class KeptBody {
  constructor(res, abort, timeout, ms) {
    this.reader = res.body ? res.body.getReader() : null;
    this.abort = abort;
    this.timeout = timeout;
    this.ms = ms;
    this.left = EMPTY; // received from fetch, not yet handed out
    this.off = 0;
    this.done = !this.reader;
  }

  async read(max) {
    while (this.left.length < max && !this.done) {
      const { value, done } = await this.reader.read();
      if (done) this.done = true;
      else this.left = this.left.length ? Buffer.concat([this.left, value]) : value;
    }
    const out = this.left.subarray(0, max);
    this.left = this.left.subarray(out.length);
    this.off += out.length;
    return { out, eof: this.done && this.left.length === 0 };
  }

  close() {
    this.abort.abort();
    this.reader?.cancel().catch(() => {});
    this.left = EMPTY;
  }
}

class FileReader {
  constructor(fd) { this.fd = fd; }
  close() { fs.closeSync(this.fd); }
}

class FileWriter {
  constructor(fd) { this.fd = fd; this.n = 0; }
  close() { fs.closeSync(this.fd); }
}

// A spool: a scratch file in the temporary directory, unlinked at once (it
// lives as long as its descriptor), written like a created file and read
// at any offset.
class Spool extends FileWriter {
  static make() {
    const dir = fs.mkdtempSync(join(tmpdir(), 'ksefkit-spool-'));
    const path = join(dir, 'spool');
    try {
      const fd = fs.openSync(path, 'w+', 0o600);
      return new Spool(fd);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

// Host answers the events of one operation. inst is the backend (wasm
// instance or native), signal the caller's AbortSignal, onProgress the
// caller's progress callback.
class Host {
  constructor(inst, { signal, onProgress } = {}) {
    this.inst = inst;
    this.signal = signal;
    this.onProgress = onProgress;
    this.streams = new Map();
  }

  resume(op, answer, data) {
    return data && data.length ? this.inst.resumeData(op, answer, data) : this.inst.resume(op, answer);
  }

  // seen hands an event's progress report to the caller.
  seen(ev) {
    if (ev.progress && this.onProgress) this.onProgress(ev.progress);
  }

  // handle answers one event and returns the next.
  async handle(ev) {
    this.seen(ev);
    const op = ev.op;
    switch (ev.kind) {
      case 'http': return this.http(ev);
      case 'sleep': await sleep(ev.ms, this.signal); return this.resume(op, '{}');
      case 'progress': return this.resume(op, '{}');
      case 'file': return this.resume(op, readWhole(ev.path));
      case 'read': return this.read(ev);
      case 'open': return this.resume(op, this.open(ev));
      case 'create': return this.resume(op, this.create(ev));
      case 'write': return this.resume(op, this.write(ev));
      case 'list': return this.resume(op, list(ev.path));
      case 'spool': return this.resume(op, this.spool(ev));
      case 'mkdir': return this.resume(op, attempt(() => fs.mkdirSync(ev.path, { recursive: true, mode: 0o700 })));
      case 'rename': return this.resume(op, attempt(() => fs.renameSync(ev.path, ev.to)));
      case 'remove': return this.resume(op, attempt(() => fs.unlinkSync(ev.path)));
      case 'close': return this.resume(op, this.close(ev.stream));
      default: throw new InternalError({ message: `unknown event kind ${ev.kind}` });
    }
  }

  open(ev) {
    let fd;
    try {
      fd = fs.openSync(ev.path, 'r');
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw Object.assign(new Error(`${ev.path} is not a regular file`), { code: 'EISDIR' });
      this.streams.set(ev.stream, new FileReader(fd));
      return JSON.stringify({ size: st.size });
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      return fileError(e);
    }
  }

  create(ev) {
    try {
      this.streams.set(ev.stream, new FileWriter(fs.openSync(ev.path, 'w', 0o600)));
      return '{}';
    } catch (e) {
      return fileError(e);
    }
  }

  spool(ev) {
    try {
      this.streams.set(ev.stream, Spool.make());
      return '{}';
    } catch (e) {
      return fileError(e);
    }
  }

  write(ev) {
    const w = this.streams.get(ev.stream);
    if (!(w instanceof FileWriter)) return JSON.stringify({ error: 'no such write stream' });
    const data = this.inst.eventData(ev.op);
    if (w instanceof Spool && ev.offset < w.n) {
      try {
        fs.ftruncateSync(w.fd, ev.offset); // a part fetched again
      } catch (e) {
        return fileError(e);
      }
      w.n = ev.offset;
    }
    if (data.length !== ev.dataLen || ev.offset !== w.n) {
      return JSON.stringify({ error: `write of ${data.length} bytes at ${ev.offset}, the file has ${w.n}` });
    }
    try {
      for (let k = 0; k < data.length;) k += fs.writeSync(w.fd, data, k, data.length - k, w.n + k);
    } catch (e) {
      return fileError(e);
    }
    w.n += data.length;
    return JSON.stringify({ offset: w.n });
  }

  async read(ev) {
    const s = this.streams.get(ev.stream);
    const op = ev.op;
    if (s instanceof FileReader || s instanceof Spool) {
      const buf = Buffer.allocUnsafe(ev.max);
      let n;
      try {
        n = fs.readSync(s.fd, buf, 0, ev.max, ev.offset);
      } catch (e) {
        return this.resume(op, fileError(e));
      }
      return this.resume(op, JSON.stringify({ offset: ev.offset, eof: n < ev.max }), buf.subarray(0, n));
    }
    if (s instanceof KeptBody) {
      if (ev.offset !== s.off) return this.resume(op, JSON.stringify({ error: `read at ${ev.offset}, the body is at ${s.off}` }));
      let r;
      try {
        r = await s.read(ev.max);
      } catch (e) {
        if (this.signal?.aborted) throw canceled();
        return this.resume(op, failure(e, s.timeout, s.ms));
      }
      return this.resume(op, JSON.stringify({ offset: ev.offset, eof: r.eof }), r.out);
    }
    return this.resume(op, JSON.stringify({ error: 'no such read stream' }));
  }

  close(id) {
    const s = this.streams.get(id);
    this.streams.delete(id);
    if (!s) return '{}';
    try {
      s.close();
      return '{}';
    } catch (e) {
      return fileError(e);
    }
  }

  // release drops every stream the operation left (done ends them all).
  release() {
    for (const id of [...this.streams.keys()]) {
      try { this.close(id); } catch { /* already gone */ }
    }
  }

  // http performs an http event with fetch. A streamed request body is
  // pulled from the core as fetch sends it; whatever else the operation
  // asks for in between (the file reads that make the next chunk) is
  // answered from inside the pull. A failure to get any HTTP answer is
  // reported to the core (which decides about retries); only the caller's
  // own abort escapes as an exception.
  async http(ev) {
    const req = ev.http;
    const op = ev.op;
    const ms = req.timeoutMs > 0 ? req.timeoutMs : DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(ms);
    const abort = new AbortController(); // the body passed the cap, or the core gave up
    const signal = AbortSignal.any([timeout, abort.signal, ...(this.signal ? [this.signal] : [])]);
    let pending = ev; // the event the response answers: the http event or the last body event
    let exit = null; // an event that ended the exchange from the core's side
    let pulling = null;
    let sent = 0;

    let body;
    if (req.bodyLength != null) {
      const pull = async (ctrl) => {
        let e = this.inst.resume(op, JSON.stringify({ pull: true, offset: sent }));
        while (!(e.kind === 'body' && e.req === ev.req)) {
          if (e.kind === 'done' || (e.kind === 'close' && e.stream === ev.req)) {
            exit = e;
            abort.abort();
            ctrl.error(new Error('the core gave the request up'));
            return;
          }
          e = await this.handle(e);
        }
        this.seen(e);
        const data = this.inst.eventData(op);
        if (data.length !== e.dataLen || e.offset !== sent) {
          throw new InternalError({ message: `body chunk of ${data.length} bytes at ${e.offset}, the host has ${sent}` });
        }
        pending = e;
        sent += data.length;
        try {
          if (data.length) ctrl.enqueue(data);
          if (e.eof) ctrl.close();
        } catch {
          // fetch is done with the body (the server answered, or failed):
          // the response, or the failure, answers this body event.
        }
      };
      body = req.bodyLength === 0 ? EMPTY : new ReadableStream({
        pull: (ctrl) => (pulling = pull(ctrl).catch((err) => { exit = exit || { error: err }; abort.abort(); ctrl.error(err); })),
      }, { highWaterMark: 0 });
    } else if (req.body) {
      body = Buffer.from(req.body, 'base64');
    }

    let res;
    let err;
    try {
      res = await fetch(req.url, {
        method: req.method,
        // A pulled body is sent with its length, never chunked (pre-signed
        // storage URLs refuse chunked uploads).
        headers: req.bodyLength != null ? { ...req.headers, 'content-length': String(req.bodyLength) } : req.headers || {},
        body,
        duplex: body instanceof ReadableStream ? 'half' : undefined,
        signal,
        redirect: 'manual',
      });
    } catch (e) {
      err = e;
    }
    if (pulling) await pulling;
    if (exit?.error) throw exit.error; // a host bug, not the server's
    if (exit) {
      res?.body?.cancel().catch(() => {});
      if (exit.kind === 'done') return exit;
      this.seen(exit);
      return this.inst.resume(op, '{}'); // the close of the exchange
    }
    if (this.signal?.aborted) throw canceled();
    if (err) return this.inst.resume(pending.op, failure(err, timeout, ms));
    if (req.streamResponse) {
      this.streams.set(ev.req, new KeptBody(res, abort, timeout, ms));
      return this.inst.resume(pending.op, JSON.stringify({ status: res.status, headers: headersOf(res) }));
    }
    let answer;
    try {
      answer = await readCapped(res, req.maxBodyBytes, abort);
    } catch (e) {
      if (this.signal?.aborted) throw canceled();
      answer = failure(e, timeout, ms);
    }
    return this.inst.resume(pending.op, answer);
  }
}

// sleep resolves after ms, or rejects as soon as signal aborts.
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(canceled());
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    function onAbort() { clearTimeout(t); reject(canceled()); }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// readWhole answers a file event (a small whole file).
function readWhole(path) {
  try {
    return JSON.stringify({ data: fs.readFileSync(path).toString('base64') });
  } catch (e) {
    return fileError(e);
  }
}

// attempt answers a file event that either works ({}) or fails.
function attempt(fn) {
  try {
    fn();
    return '{}';
  } catch (e) {
    return fileError(e);
  }
}

function list(path) {
  try {
    const names = fs.readdirSync(path, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort();
    return JSON.stringify({ names });
  } catch (e) {
    return fileError(e);
  }
}

module.exports = { Host, sleep, canceled };
