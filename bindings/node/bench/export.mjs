// One export of N seeded invoices of SIZE bytes against ksef-sim, through
// the given backend: package MB/s of download + decrypt + hash checks into
// a file (MODE=dir: extracted, a file per invoice), from the first to the
// last download report and over the whole call (the export's wait
// included), and peak RSS. KSEFKIT_BENCH_BACKEND (wasm|native).
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ksefkit';
import { startSim, fast } from '../test/sim.mjs';

const COUNT = Number(process.env.KSEFKIT_BENCH_COUNT || 400);
const SIZE = Number(process.env.KSEFKIT_BENCH_SIZE || 500_000);
// MODE=dir extracts into a directory (a file per invoice) instead of
// writing the decrypted package to one file.
const BACKEND = process.env.KSEFKIT_BENCH_BACKEND || 'wasm';
const peakRssMB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;

const sim = await startSim(['--export-delay', '10ms']);
const dir = mkdtempSync(join(tmpdir(), 'ksefkit-bench-'));
try {
  const seller = '5265877635';
  const from = new Date(Date.now() - 3600_000).toISOString();
  const res = await fetch(`${sim.url}/_sim/invoices`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sellerNip: seller, buyerNip: sim.nip, count: COUNT, size: SIZE, storedFrom: from, spacing: '1ms' }) });
  if (!res.ok) throw new Error(`seed: ${res.status} ${await res.text()}`);
  const client = await Client.create({ baseUrl: sim.url, backend: BACKEND, ...fast });
  await client.auth.withToken({ token: sim.token, nip: sim.nip });
  let first = null, last = null;
  const t0 = performance.now();
  const r = await client.invoices.export({ subjectType: 'Subject2', dateRange: { dateType: 'PermanentStorage', from } },
    {
      ...(process.env.MODE === 'dir' ? { dir } : { path: join(dir, 'pkg.zip') }),
      timeoutMs: 600_000,
      onProgress: (p) => {
        const now = performance.now();
        if (!first) first = now;
        last = { t: now, p };
      },
    });
  const wall = (performance.now() - t0) / 1000;
  const size = r.package?.size ?? 0;
  const dl = last && first ? (last.t - first) / 1000 : NaN;
  console.log(`node ${BACKEND}: export of ${COUNT} invoices of ${SIZE} B: package ${(size / 1e6).toFixed(1)} MB in ${r.package?.parts?.length ?? '?'} parts; ` +
    `${wall.toFixed(2)} s for the call (${(size / 1e6 / wall).toFixed(1)} MB/s), ${(size / 1e6 / dl).toFixed(1)} MB/s between the first and last report; peak RSS ${peakRssMB().toFixed(0)} MB`);
  await client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await sim.close();
}
