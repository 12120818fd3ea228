// make bench-node: figures, not assertions (DESIGN.md targets: Node → wasm
// ≤ 25 µs per small call, compile + instantiate + _initialize ≤ 100 ms).
// The native backend (libksef.so via koffi in a worker thread) is timed
// next to wasm when koffi resolves and KSEFKIT_LIB names the library.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { startSim, fast } from '../test/sim.mjs';

const require = createRequire(import.meta.url);
const wasmPath = process.env.KSEFKIT_WASM || new URL('../ksef.wasm', import.meta.url).pathname;
process.env.KSEFKIT_WASM = wasmPath;
const { Instance } = require('../lib/runtime.cjs');
const k = require('../index.cjs');

const line = (what, value) => console.log(`${what.padEnd(48)} ${value}`);
const bytes = readFileSync(wasmPath);
line('ksef.wasm raw', `${bytes.length} B (${(bytes.length / 2 ** 20).toFixed(2)} MiB; printed, not a target)`);
line('ksef.wasm gzip -9', `${gzipSync(bytes, { level: 9 }).length} B (budget ≤ 3 500 000 B, gated by TestSizeBudget)`);

// Cold start: compile + instantiate + _initialize, first time in this process.
let t = performance.now();
const mod = new WebAssembly.Module(bytes);
const tCompile = performance.now() - t;
t = performance.now();
let memory;
const { createWasi } = require('../lib/wasi.cjs');
const inst = new WebAssembly.Instance(mod, { wasi_snapshot_preview1: createWasi(() => memory) });
memory = inst.exports.memory;
inst.exports._initialize();
const tInit = performance.now() - t;
line('cold start: compile', `${tCompile.toFixed(1)} ms`);
line('cold start: instantiate + _initialize', `${tInit.toFixed(1)} ms`);
line('cold start: total', `${(tCompile + tInit).toFixed(1)} ms (target ≤ 100 ms)`);
t = performance.now();
for (let i = 0; i < 5; i++) new Instance(100 + i);
line('warm instantiate + _initialize (compiled module)', `${((performance.now() - t) / 5).toFixed(1)} ms`);

// The same in fresh processes, as a user sees it: require + first version().
{
  const { execFileSync } = await import('node:child_process');
  const script = `const t=performance.now();const k=require(${JSON.stringify(new URL('../index.cjs', import.meta.url).pathname)});k.version();console.log(performance.now()-t)`;
  const runs = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ['-e', script], { env: process.env }).toString()));
  runs.sort((a, b) => a - b);
  line('fresh process: require + first version() (median of 5)', `${runs[2].toFixed(1)} ms`);
}

function perCall(fn, n) {
  for (let i = 0; i < Math.min(n, 1000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n / 1000;
}
line('call overhead: version() (JSON in/out)', `${perCall(() => k.version(), 20000).toFixed(2)} µs/call`);
line('call overhead: inflight() (i32 export)', `${perCall(() => k.inflight(), 200000).toFixed(3)} µs/call`);
const internal = k[Symbol.for('ksefkit.internal')].instance();
line('call overhead: env.list via ksef_call', `${perCall(() => internal.call(0, 'env.list', '{}'), 5000).toFixed(2)} µs/call`);

// The native backend, when it can start here.
let native = null;
try {
  k.setBackend('native');
  native = k[Symbol.for('ksefkit.internal')].backend('native');
  k.setBackend('wasm');
} catch (e) {
  line('native backend', `skipped (${e.message})`);
}
if (native) {
  line('native: koffi', `${native.info.koffi} (worker thread)`);
  line('call overhead native: version() via the worker', `${perCall(() => k.version({ backend: 'native' }), 20000).toFixed(2)} µs/call`);
  line('call overhead native: inflight() via the worker', `${perCall(() => k.inflight({ backend: 'native' }), 50000).toFixed(2)} µs/call`);
  line('call overhead native: env.list via ksef_call', `${perCall(() => native.call(0, 'env.list', '{}'), 5000).toFixed(2)} µs/call`);
}

// One token authentication through Node (fetch + step/resume) against ksef-sim.
const sim = await startSim(['--auth-delay', '0', '--processing-delay', '0', '--storage-delay', '0']);
// 1 000 unique FA(3) invoices: the simulator's filled sample, renumbered.
const mark = 'BENCH-00000000';
const sample = Buffer.from(await (await fetch(`${sim.url}/_sim/samples/fa3?sellerNip=${sim.nip}&number=${mark}`)).arrayBuffer());
const invoices = (tag) => Array.from({ length: 1000 }, (_, i) => Buffer.from(sample.toString('utf8').replace(mark, `${tag}-${String(i).padStart(8, '0')}`)));
try {
  for (const backend of native ? ['wasm', 'native'] : ['wasm']) {
    const c = await k.Client.create({ environment: 'test', baseUrl: sim.url, ...fast, sessionPollInitialMs: 5, sessionPollMaxMs: 50, backend });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const n = 30;
    const cpu0 = process.cpuUsage();
    t = performance.now();
    for (let i = 0; i < n; i++) await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const wall = (performance.now() - t) / n;
    const cpu = process.cpuUsage(cpu0);
    line(`token auth via Node+${backend} (wall, loopback sim)`, `${wall.toFixed(2)} ms`);
    line(`token auth via Node+${backend} (CPU of this process)`, `${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms`);
    const docs = invoices(`N${backend[0]}${Date.now() % 1e6}`);
    const sendCpu0 = process.cpuUsage();
    t = performance.now();
    const rep = await c.invoices.send(docs);
    const sendWall = performance.now() - t;
    const sendCpu = process.cpuUsage(sendCpu0);
    if (rep.successfulInvoiceCount !== docs.length || !rep.upo[0]?.verified) throw new Error(`invoices.send: ${JSON.stringify(rep.status)}`);
    line(`invoices.send 1000 × ${(sample.length / 1000).toFixed(0)} kB via Node+${backend} (wall, incl. sim, UPO verified)`,
      `${(sendWall / 1000).toFixed(2)} s, ${(sendWall / docs.length * 1000).toFixed(0)} µs/invoice`);
    line(`invoices.send 1000 via Node+${backend} (CPU of this process)`, `${((sendCpu.user + sendCpu.system) / docs.length).toFixed(0)} µs/invoice`);
    await c.close();
  }
} finally {
  await sim.close();
}

// XAdES sign inside wasm, when the operation exists.
const ops = new Set((await k.call('ops.list')).operations.map((o) => o.name));
if (ops.has('xades.sign') && ops.has('certs.generate_test')) {
  for (const keyType of ['ecdsa', 'rsa']) {
    const g = await k.certs.generateTestCertificate({ nip: '5265877635', keyType });
    const input = JSON.stringify({
      xml: '<AuthTokenRequest><Challenge>x</Challenge></AuthTokenRequest>',
      certificate: Buffer.from(g.certificatePem).toString('base64'),
      key: Buffer.from(g.keyPem).toString('base64'),
    });
    for (const [name, core] of native ? [['wasm', internal], ['native', native]] : [['wasm', internal]]) {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 1500) {
        const env = core.call(0, 'xades.sign', input);
        if (!env.ok) throw new Error(env.error.message);
        n++;
      }
      line(`xades.sign ${keyType} in ${name} (incl. key parsing)`, `${(n / ((performance.now() - t0) / 1000)).toFixed(0)} signatures/s`);
    }
  }
} else {
  line('xades.sign in wasm', 'skipped (operation absent)');
}
