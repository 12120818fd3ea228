import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Client, inflight, TimeoutError, RateLimitError } from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

let sim;
before(async () => { sim = await startSim(); });
afterEach(async () => { await sim.clearFaults(); });
after(async () => { await sim?.close(); });

forEachBackend((backend) => {
  test('429, 5xx, a dropped connection and slow answers are survived', async () => {
    await sim.addFaults([
      'POST /auth/challenge#1=429:retry-after=1',
      'GET /auth/{referenceNumber}#1=503',
      'GET /auth/{referenceNumber}#2=500',
      'GET /security/public-key-certificates#1=drop',
      'POST /auth/token/redeem#1=slow:ms=200',
    ]);
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const t0 = Date.now();
    const a = await c.auth.withToken({ token: sim.token, nip: sim.nip });
    assert.ok(a.referenceNumber);
    assert.ok(Date.now() - t0 >= 1000, 'Retry-After: 1 was not honoured');
    await c.close();
    assert.equal(inflight(), 0);
  });

  test('a 429 that outlasts the retry budget → RateLimitError with retryAfter', async () => {
    await sim.addFaults(['GET /auth/sessions#every=429:retry-after=1']);
    const c = await Client.create({ baseUrl: sim.url, ...fast, maxAttempts: 2 });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const err = await c.auth.sessions.list().catch((e) => e);
    assert.ok(err instanceof RateLimitError, `got ${err}`);
    assert.equal(err.httpStatus, 429);
    assert.equal(err.retryAfter, 1);
    await c.close();
  });

  // Native: Go's own per-attempt deadline runs in real time in libksef.so;
  // the host answers a little before it (NativeBackend.hostTimeout), or
  // ksef_resume would block for good (a core/step race).
  test('an answer slower than requestTimeoutMs → TimeoutError (host-side timeout)', async () => {
    await sim.addFaults(['POST /auth/challenge#every=slow:ms=2000']);
    const c = await Client.create({ baseUrl: sim.url, ...fast, requestTimeoutMs: 100, maxAttempts: 2, totalTimeoutMs: 1000 });
    const err = await c.auth.withToken({ token: sim.token, nip: sim.nip }).catch((e) => e);
    assert.ok(err instanceof TimeoutError, `got ${err}`);
    await c.close();
    assert.equal(inflight(), 0);
  });
});
