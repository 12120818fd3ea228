'use strict';
// The optional native backend: libksef.so (the C ABI, include/ksef.h)
// loaded with koffi inside a worker_thread. It has the same methods as the
// wasm Instance in runtime.cjs, all synchronous, so driver.cjs and
// client.cjs use either without knowing which: network operations run
// under ksef_start/ksef_resume/ksef_cancel with fetch and timers on the
// main thread; the worker only marshals calls (native-channel.cjs).
//
// koffi is an optional peer dependency (no install scripts, no required
// dependency for wasm users); the .so is never bundled: its path comes from
// the `library` option or KSEFKIT_LIB.

const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');
const C = require('./native-channel.cjs');
const { Instance } = require('./runtime.cjs');
const { InputError, InternalError } = require('./errors.cjs');

const KOFFI_VERSION = require('../package.json').peerDependencies.koffi;
const INIT_TIMEOUT_MS = 30_000;
// ksef_start/resume/cancel only run Go until its next event; one that has
// not answered after this long is stuck, and the main thread must not wait
// for it forever (the backend is then given up; the next use starts anew).
const STEP_TIMEOUT_MS = 120_000;
const STEP = new Set([C.M.START, C.M.START_WITH, C.M.RESUME, C.M.RESUME_DATA, C.M.CANCEL]);

class NativeBackend {
  constructor(generation, library) {
    this.generation = generation;
    this.library = library;
    this.dead = false;
    this.ops = null;
    this.shared = C.create();
    this.ch = C.channel(this.shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(join(__dirname, 'native-worker.cjs'), {
      workerData: { shared: this.shared, port: port2, library },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    // The worker blocks in Atomics.wait between calls; it must not keep the
    // process alive, and Node stops it at exit.
    this.worker.unref();
    this.worker.on('error', () => { this.dead = true; });
    this.worker.on('exit', () => { this.dead = true; });
    if (!C.awaitState(this.ch.ctl, C.RESPONSE, INIT_TIMEOUT_MS)) {
      this._kill();
      throw new InternalError({ message: `the native worker did not start within ${INIT_TIMEOUT_MS} ms` });
    }
    const { rc, text } = this._take();
    if (rc !== 0) {
      this._kill();
      throw new InputError({ code: 'input.invalid', field: 'library', message: text });
    }
    this.info = JSON.parse(text);
  }

  _kill() {
    this.dead = true;
    this.worker.terminate();
  }

  // _take reads the answer the worker put on the channel and frees it
  // (with bytes: the raw bytes, copied out, as .bytes).
  _take(bytes = false) {
    let rc;
    let text;
    let raw;
    if (this.ch.ctl[1] === C.VIA_PORT) {
      ({ rc, text, bytes: raw } = receiveMessageOnPort(this.port).message);
      if (raw) raw = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    } else {
      rc = this.ch.dv.getInt32(0, true);
      const n = this.ch.dv.getUint32(4, true);
      if (bytes && rc === 0) raw = Buffer.from(this.ch.u8.subarray(8, 8 + n));
      else text = this.ch.buf.toString('utf8', 8, 8 + n);
    }
    C.signal(this.ch.ctl, C.IDLE);
    return { rc, text, bytes: raw };
  }

  // request sends one call to the worker and blocks until it answers.
  request(method, handle, strings, bytes = false) {
    if (this.dead) throw new InternalError({ message: 'the native worker is gone' });
    if (!C.writeRequest(this.ch, method, handle, strings)) {
      this.port.postMessage({ method, handle: String(handle), strings });
      this.ch.ctl[1] = C.VIA_PORT;
    }
    C.signal(this.ch.ctl, C.REQUEST);
    if (!C.awaitState(this.ch.ctl, C.RESPONSE, STEP.has(method) ? STEP_TIMEOUT_MS : Infinity)) {
      this.dead = true;
      throw new InternalError({ message: `libksef.so did not answer within ${STEP_TIMEOUT_MS} ms; the native backend was given up` });
    }
    const r = this._take(bytes);
    if (r.rc === C.RC_WORKER) throw new InternalError({ message: r.text });
    return r;
  }

  invoke(method, handle, strings) { return JSON.parse(this.request(method, handle, strings).text); }

  version() { return this.call(0, 'version', '{}'); }
  clientNew(config) { return this.invoke(C.M.CLIENT_NEW, 0, [config]); }
  clientFree(id) { return this.dead ? 1 : this.request(C.M.CLIENT_FREE, id, []).rc; }
  call(client, op, input) { return this.invoke(C.M.CALL, client, [op, input]); }
  start(client, op, input) { return this.invoke(C.M.START, client, [op, input]); }
  resume(op, answer) { return this.invoke(C.M.RESUME, op, [answer]); }
  startWith(client, op, input, options) { return this.invoke(C.M.START_WITH, client, [op, input, options]); }
  resumeData(op, answer, data) { return this.invoke(C.M.RESUME_DATA, op, [answer, data]); }
  eventData(op) {
    const r = this.request(C.M.EVENT_DATA, op, [], true);
    if (r.rc !== 0) throw new InternalError({ message: `ksef_event_data: ${r.text}` });
    return r.bytes || Buffer.alloc(0);
  }
  cancel(op) { return this.invoke(C.M.CANCEL, op, []); }
  inflight() { return this.dead ? 0 : this.request(C.M.INFLIGHT, 0, []).rc; }

}
// The same lookup of the core's operation table as the wasm instance.
NativeBackend.prototype.opInfo = Instance.prototype.opInfo;

// koffiPresent tells whether koffi resolves from this package, without
// loading it on the main thread.
function koffiPresent() {
  try {
    require.resolve('koffi');
    return true;
  } catch {
    return false;
  }
}

let current = null;
let generations = 0;

// native returns the process's native backend, starting it on first use.
// One libksef.so per process: two Go runtimes cannot share one.
function native(library) {
  const wanted = library || process.env.KSEFKIT_LIB;
  if (current && !current.dead) {
    if (wanted && resolve(wanted) !== current.library) {
      throw new InputError({
        code: 'input.invalid', field: 'library',
        message: `libksef.so is already loaded from ${current.library}; one process can load only one (asked for ${resolve(wanted)})`,
      });
    }
    return current;
  }
  if (!koffiPresent()) {
    throw new InputError({
      code: 'input.invalid', field: 'backend',
      message: `backend 'native' needs the optional peer dependency koffi: npm install koffi@${KOFFI_VERSION}`,
    });
  }
  if (!wanted) {
    throw new InputError({
      code: 'input.invalid', field: 'library',
      message: "backend 'native' needs the path of libksef.so: pass { library } or set KSEFKIT_LIB",
    });
  }
  const path = resolve(wanted);
  if (!existsSync(path)) {
    throw new InputError({ code: 'input.invalid', field: 'library', message: `libksef.so not found at ${path}` });
  }
  current = new NativeBackend(++generations, path);
  return current;
}

module.exports = { native, NativeBackend, KOFFI_VERSION };
