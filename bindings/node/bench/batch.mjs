// One batch of N generated FA (3) invoices (~3 kB each) end to end against
// ksef-sim, through the given backend: wall time, CPU time, peak RSS.
// KSEFKIT_BENCH_COUNT (default 10 000), KSEFKIT_BENCH_BACKEND (wasm|native).
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'ksefkit';
import { startSim, fast } from '../test/sim.mjs';

const COUNT = Number(process.env.KSEFKIT_BENCH_COUNT || 10_000);
const BACKEND = process.env.KSEFKIT_BENCH_BACKEND || 'wasm';
const peakRssMB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;

const sim = await startSim();
const dir = mkdtempSync(join(tmpdir(), 'ksefkit-bench-'));
try {
  const client = await Client.create({ baseUrl: sim.url, backend: BACKEND, ...fast, sessionPollInitialMs: 50, sessionPollMaxMs: 500 });
  await client.auth.withToken({ token: sim.token, nip: sim.nip });
  const marker = `B${randomUUID().slice(0, 8)}X`;
  const doc = (await sim.sample('fa3', { sellerNip: sim.nip, number: `${marker}000000` })).toString('utf8');
  let bytes = 0;
  for (let i = 1; i <= COUNT; i++) {
    const d = doc.replaceAll(`${marker}000000`, `${marker}${String(i).padStart(6, '0')}`);
    bytes += Buffer.byteLength(d);
    writeFileSync(join(dir, `FV-${String(i).padStart(5, '0')}.xml`), d);
  }
  global.gc?.();
  const before = peakRssMB();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await client.batch.send(dir, { timeoutMs: 900_000 });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`node ${BACKEND}: batch of ${COUNT} invoices (${(bytes / 1e6).toFixed(1)} MB) in ${r.parts.length} parts: ` +
    `${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU in this process, peak RSS ${before.toFixed(0)} MB before the call, ${peakRssMB().toFixed(0)} MB after; ` +
    `accepted ${r.successfulInvoiceCount}`);
  await client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await sim.close();
}
