// A ~200 MB batch over ksef.wasm stays bounded in memory (make
// test-memory-node; too slow for make test). 200 invoices of ~1 MB are
// packed uncompressed, so ~200 MB of encrypted parts cross the boundary in
// chunks: the host pulls them from the core into fetch, and the core reads
// the documents through the host's file events. Neither side may hold the
// archive: the process's peak RSS must stay well below its size.
//
// Prints the upload's throughput through the boundary (MB/s, from the
// core's progress reports) and the peak RSS; fails when the RSS grows by
// more than LIMIT_MB over the baseline.
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'ksefkit';
import { startSim, fast } from './sim.mjs';

const COUNT = Number(process.env.KSEFKIT_MEMORY_COUNT || 200);
const LIMIT_MB = 160;

function peakRssMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

const sim = await startSim();
const dir = mkdtempSync(join(tmpdir(), 'ksefkit-memory-'));
let failed = false;
try {
  const client = await Client.create({ baseUrl: sim.url, backend: 'wasm', ...fast, sessionPollInitialMs: 50, sessionPollMaxMs: 500 });
  await client.auth.withToken({ token: sim.token, nip: sim.nip });
  const prefix = randomUUID().slice(0, 8);
  let bytes = 0;
  for (let i = 1; i <= COUNT; i++) {
    const doc = (await sim.sample('fa3', { sellerNip: sim.nip, number: `${prefix}-${i}` })).toString('utf8');
    // ~1 MB each (KSeF's limit is 1 000 000 bytes), random text so nothing
    // shrinks it on the way.
    const pad = randomBytes(480_000).toString('hex');
    const big = Buffer.from(doc.replace('</Faktura>', `<!--${pad}--></Faktura>`));
    bytes += big.length;
    writeFileSync(join(dir, `FV-${String(i).padStart(4, '0')}.xml`), big);
  }
  global.gc?.();
  const base = process.memoryUsage().rss / 2 ** 20;
  let first = null;
  let last = null;
  const r = await client.batch.send(dir, {
    store: true,
    timeoutMs: 600_000,
    onProgress: (p) => {
      if (p.stage !== 'upload') return;
      const now = performance.now();
      if (!first) first = { t: now, bytes: p.bytes || 0 };
      last = { t: now, bytes: p.bytes || 0, total: p.bytesTotal };
    },
  });
  const peak = peakRssMB();
  const secs = last && first && last.t > first.t ? (last.t - first.t) / 1000 : NaN;
  const mbps = (last.bytes - first.bytes) / 2 ** 20 / secs;
  console.log(`batch over wasm: ${COUNT} invoices, ${(bytes / 2 ** 20).toFixed(0)} MB of documents, ${r.parts.length} parts, ` +
    `${(last.total / 2 ** 20).toFixed(0)} MB uploaded; accepted ${r.successfulInvoiceCount}`);
  console.log(`upload through the boundary: ${mbps.toFixed(1)} MB/s; RSS before ${base.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (+${(peak - base).toFixed(0)} MB)`);
  if (r.successfulInvoiceCount !== COUNT) {
    console.error(`FAIL: ${r.successfulInvoiceCount} of ${COUNT} accepted`);
    failed = true;
  }
  if (peak - base > LIMIT_MB) {
    console.error(`FAIL: peak RSS grew by ${(peak - base).toFixed(0)} MB, over ${LIMIT_MB} MB: something holds the archive`);
    failed = true;
  }
  await client.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
  await sim.close();
}
process.exit(failed ? 1 : 0);
