'use strict';
// One ksef.wasm instance and the byte-level calls into it (abi-wasm.md §1.4):
// inputs are copied into buffers from ksef_alloc, results come back packed
// as ptr<<32 | len and are freed with ksef_free. A trap (RuntimeError) leaves
// the instance undefined, so it is dropped and a fresh one is made on the
// next call; `generation` tells holders of handles that theirs died.

const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { createWasi, WasiExit } = require('./wasi.cjs');
const { InternalError } = require('./errors.cjs');

const enc = new TextEncoder();
const dec = new TextDecoder();

let compiled = null;
function wasmModule() {
  if (!compiled) {
    const path = process.env.KSEFKIT_WASM || join(__dirname, '..', 'ksef.wasm');
    // Synchronous compile is allowed in Node for any size and keeps
    // version() and friends synchronous.
    compiled = new WebAssembly.Module(readFileSync(path));
  }
  return compiled;
}

class Instance {
  constructor(generation) {
    this.generation = generation;
    let memory;
    const wasi = createWasi(() => memory);
    const inst = new WebAssembly.Instance(wasmModule(), { wasi_snapshot_preview1: wasi });
    this.ex = inst.exports;
    memory = this.ex.memory;
    this.ex._initialize();
    this.dead = false;
    this.ops = null; // name → {network, hostFiles, needsClient}, from ops.list
  }

  // _in copies a string (as UTF-8) or raw bytes into a fresh guest buffer.
  _in(s) {
    const b = typeof s === 'string' ? enc.encode(s) : s;
    const p = this.ex.ksef_alloc(b.length);
    new Uint8Array(this.ex.memory.buffer, p, b.length).set(b);
    return [p, b.length];
  }

  _out(packed, bytes = false) {
    const v = BigInt.asUintN(64, packed);
    const p = Number(v >> 32n);
    const n = Number(v & 0xffffffffn);
    // A fresh view each time: memory growth replaces the buffer.
    const view = new Uint8Array(this.ex.memory.buffer, p, n);
    const out = bytes ? Buffer.from(view) : JSON.parse(dec.decode(view));
    if (p) this.ex.ksef_free(p);
    return out;
  }

  // invoke calls an export with leading scalars and string (or byte)
  // arguments, each passed as (ptr, len), and decodes the packed JSON
  // result (with bytes: copies the packed bytes out).
  invoke(name, scalars, strings, bytes = false) {
    if (this.dead) throw new InternalError({ code: 'internal', message: 'ksef.wasm instance is gone (trapped)' });
    const bufs = [];
    try {
      const args = [...scalars];
      for (const s of strings) {
        const [p, n] = this._in(s);
        bufs.push(p);
        args.push(p, n);
      }
      return this._out(this.ex[name](...args), bytes);
    } catch (e) {
      throw this._trap(e);
    } finally {
      if (!this.dead) for (const p of bufs) this.ex.ksef_free(p);
    }
  }

  _trap(e) {
    if (e instanceof WebAssembly.RuntimeError || e instanceof WasiExit || e instanceof RangeError) {
      this.dead = true;
      const err = new InternalError({ code: 'internal', message: `ksef.wasm trapped and was reset: ${e.message}` });
      err.cause = e;
      return err;
    }
    return e;
  }

  // forceTrap makes the engine trap the way a host bug would: an
  // out-of-bounds pointer, which Go cannot recover from. Tests use it (via
  // the internal symbol) to prove that recovery by re-instantiation works.
  forceTrap() {
    try {
      this.ex.ksef_call(0n, 0xffffff00, 16, 0, 0);
    } catch (e) {
      throw this._trap(e);
    }
    throw new Error('ksef_call with an out-of-bounds pointer did not trap');
  }

  version() { return this.invoke('ksef_version', [], []); }
  clientNew(config) { return this.invoke('ksef_client_new', [], [config]); }
  clientFree(id) {
    if (this.dead) return 1;
    try { return this.ex.ksef_client_free(BigInt(id)); } catch (e) { throw this._trap(e); }
  }
  call(client, op, input) { return this.invoke('ksef_call', [BigInt(client)], [op, input]); }
  start(client, op, input) { return this.invoke('ksef_start', [BigInt(client)], [op, input]); }
  startWith(client, op, input, options) { return this.invoke('ksef_start_with', [BigInt(client)], [op, input, options]); }
  resume(op, answer) { return this.invoke('ksef_resume', [BigInt(op)], [answer]); }
  resumeData(op, answer, data) { return this.invoke('ksef_resume_data', [BigInt(op)], [answer, data]); }
  // eventData copies out the bytes beside the last event (docs/step.md).
  eventData(op) { return this.invoke('ksef_event_data', [BigInt(op)], [], true); }
  cancel(op) { return this.invoke('ksef_cancel', [BigInt(op)], []); }
  inflight() {
    if (this.dead) return 0;
    try { return this.ex.ksef_inflight(); } catch (e) { throw this._trap(e); }
  }

  // opInfo tells whether an operation talks to KSeF or reads host files
  // (then it must run under step/resume) — read from the module's own
  // table, never hard-coded here.
  opInfo(name) {
    if (!this.ops) {
      const env = this.call(0, 'ops.list', '{}');
      this.ops = new Map();
      if (env.ok) for (const o of env.result.operations) this.ops.set(o.name, o);
    }
    return this.ops.get(name);
  }
}

let current = null;
let generations = 0;

// instance returns the live instance, making a new one after a trap.
function instance() {
  if (!current || current.dead) current = new Instance(++generations);
  return current;
}

module.exports = { instance, wasmModule, Instance };
