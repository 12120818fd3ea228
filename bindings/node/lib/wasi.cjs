'use strict';
// A minimal WASI preview 1 host for ksef.wasm (abi-wasm.md §3): just what the
// Go wasip1 runtime calls. Own shim instead of node:wasi because node:wasi
// prints an ExperimentalWarning on Node 20 and 22, and the Go reactor needs
// nothing that a few lines cannot provide. No files, no sockets, no env.

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;

class WasiExit extends Error {
  constructor(code) {
    super(`ksef.wasm called proc_exit(${code})`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

// Sleeping blocks the thread on purpose: the Go runtime only calls
// poll_oneoff when every goroutine is waiting on a timer, inside an export
// call, so there is nothing else the instance could do meanwhile.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function createWasi(getMemory) {
  const view = () => new DataView(getMemory().buffer);
  const bytes = () => new Uint8Array(getMemory().buffer);

  const fns = {
    args_sizes_get(argc, bufSize) {
      const v = view();
      v.setUint32(argc, 0, true);
      v.setUint32(bufSize, 0, true);
      return ESUCCESS;
    },
    args_get() { return ESUCCESS; },
    environ_sizes_get(count, bufSize) {
      const v = view();
      v.setUint32(count, 0, true);
      v.setUint32(bufSize, 0, true);
      return ESUCCESS;
    },
    environ_get() { return ESUCCESS; },
    clock_res_get(id, out) {
      view().setBigUint64(out, 1000n, true);
      return ESUCCESS;
    },
    clock_time_get(id, _precision, out) {
      let ns;
      if (id === 0) ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
      else if (id === 1) ns = process.hrtime.bigint();
      else return EINVAL;
      view().setBigUint64(out, ns, true);
      return ESUCCESS;
    },
    random_get(ptr, len) {
      const b = bytes();
      for (let off = 0; off < len; off += 65536) {
        crypto.getRandomValues(b.subarray(ptr + off, ptr + Math.min(len, off + 65536)));
      }
      return ESUCCESS;
    },
    fd_write(fd, iovs, iovsLen, nwritten) {
      if (fd !== 1 && fd !== 2) return EBADF;
      const v = view();
      const b = bytes();
      let total = 0;
      const parts = [];
      for (let i = 0; i < iovsLen; i++) {
        const p = v.getUint32(iovs + i * 8, true);
        const l = v.getUint32(iovs + i * 8 + 4, true);
        parts.push(Buffer.from(b.subarray(p, p + l)));
        total += l;
      }
      // Both go to stderr: the module never writes program output, only Go
      // panics and logs, and stdout belongs to the host application.
      process.stderr.write(Buffer.concat(parts));
      v.setUint32(nwritten, total, true);
      return ESUCCESS;
    },
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      const v = view();
      let minNs = null;
      let nevents = 0;
      const nowNs = process.hrtime.bigint();
      for (let i = 0; i < nsubs; i++) {
        const s = inPtr + i * 48;
        const tag = v.getUint8(s + 8);
        if (tag === 0) {
          let t = v.getBigUint64(s + 24, true);
          const abs = (v.getUint16(s + 40, true) & 1) === 1;
          if (abs) t = t > nowNs ? t - nowNs : 0n;
          if (minNs === null || t < minNs) minNs = t;
        }
      }
      const hasFd = (() => {
        for (let i = 0; i < nsubs; i++) if (v.getUint8(inPtr + i * 48 + 8) !== 0) return true;
        return false;
      })();
      if (!hasFd && minNs !== null && minNs > 0n) {
        Atomics.wait(sleeper, 0, 0, Number(minNs) / 1e6);
      }
      // Report every subscription as ready: clocks have expired, and fd
      // subscriptions (never used by ksef.wasm) must not hang the guest.
      for (let i = 0; i < nsubs; i++) {
        const s = inPtr + i * 48;
        const e = outPtr + nevents * 32;
        const w = view();
        w.setBigUint64(e, w.getBigUint64(s, true), true);
        w.setUint16(e + 8, 0, true);
        w.setUint8(e + 10, w.getUint8(s + 8));
        w.setBigUint64(e + 16, 0n, true);
        w.setUint16(e + 24, 0, true);
        nevents++;
      }
      view().setUint32(neventsPtr, nevents, true);
      return ESUCCESS;
    },
    sched_yield() { return ESUCCESS; },
    proc_exit(code) { throw new WasiExit(code); },
    // Without EBADF here Go's syscall init panics ("fd_prestat: Not
    // implemented on wasip1"): there are no preopened directories.
    fd_prestat_get() { return EBADF; },
    fd_prestat_dir_name() { return EBADF; },
  };
  return new Proxy(fns, {
    get(target, name) {
      return name in target ? target[name] : () => ENOSYS;
    },
  });
}

module.exports = { createWasi, WasiExit };
