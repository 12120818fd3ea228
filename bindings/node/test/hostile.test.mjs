// The hostile-server suite (core/ksef/testdata/hostile.json, faults of
// sim/hostile.go): every broken answer must become its typed error within
// the deadline, with the body cap held while reading — asserted on elapsed
// time and on the process's peak RSS, on both backends.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, inflight, KsefError } from 'ksefkit';
import { startSim } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const repo = process.env.KSEFKIT_REPO || resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const suite = JSON.parse(readFileSync(resolve(repo, 'core/ksef/testdata/hostile.json'), 'utf8'));
// Reading up to the 64 MiB cap costs about that twice over (chunks, then
// the body joined); a 200 MB answer read whole took 0.9–2.3 GB.
const MAX_RSS_GROWTH = 400 << 20;

let sim;
before(async () => { sim = await startSim(); });
afterEach(async () => { await sim.clearFaults(); });
after(async () => { await sim?.close(); });

// peakRss runs fn while sampling the RSS and returns [result, peak growth].
async function peakRss(fn) {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 2);
  try {
    const result = await fn();
    return [result, Math.max(peak, process.memoryUsage.rss()) - start];
  } finally {
    clearInterval(timer);
  }
}

forEachBackend(() => {
  for (const { kind, code, message } of suite.cases) {
    test(`${kind} → ${code}`, async () => {
      await sim.addFaults([`${suite.route}#every=${kind}`]);
      const c = await Client.create({
        baseUrl: sim.url, backoffMs: 10,
        totalTimeoutMs: suite.totalTimeoutMs, requestTimeoutMs: suite.requestTimeoutMs,
      });
      const t0 = Date.now();
      const [err, grew] = await peakRss(() => c.auth.withToken({ token: sim.token, nip: sim.nip }).catch((e) => e));
      const took = Date.now() - t0;
      await c.close();
      assert.ok(err instanceof KsefError, `got ${err}`);
      assert.equal(err.code, code, err.message);
      if (message) assert.match(err.message, new RegExp(message));
      assert.ok(took <= suite.totalTimeoutMs + suite.slackMs, `took ${took} ms, deadline ${suite.totalTimeoutMs} ms`);
      assert.ok(grew <= MAX_RSS_GROWTH, `RSS grew by ${grew >> 20} MiB`);
      assert.equal(inflight(), 0);
    });
  }
});
