import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, inflight, version, CanceledError, InternalError } from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const internal = (await import('ksefkit')).default[Symbol.for('ksefkit.internal')];

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.close(); });

// inflight() is the chosen backend's: the wasm module's, or libksef.so's
// ksef_inflight for native — both must return to 0 after an abort.
forEachBackend(() => {
  test('AbortSignal during an HTTP request unwinds the Go operation', async () => {
    await sim.addFaults(['POST /auth/challenge#1=slow:ms=3000']);
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const ac = new AbortController();
    const p = c.auth.withToken({ token: sim.token, nip: sim.nip, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(inflight(), 1);
    ac.abort();
    const err = await p.catch((e) => e);
    assert.ok(err instanceof CanceledError, `got ${err}`);
    assert.equal(err.name, 'AbortError');
    assert.equal(err.code, 'canceled');
    assert.equal(inflight(), 0);
    await sim.clearFaults();
    await c.close();
  });

  test('AbortSignal during a backoff sleep, and an already aborted signal', async () => {
    await sim.addFaults(['POST /auth/challenge#1=429:retry-after=5']);
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const err = await c.auth.withToken({ token: sim.token, nip: sim.nip, signal: AbortSignal.timeout(300) }).catch((e) => e);
    assert.ok(err instanceof CanceledError, `got ${err}`);
    assert.equal(inflight(), 0);
    await assert.rejects(c.auth.info({ signal: AbortSignal.abort() }), CanceledError);
    await sim.clearFaults();
    await c.close();
  });
});

// Traps exist only in the wasm instance.
forEachBackend(() => {
  test('a trap drops the instance; the next call runs on a fresh one', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const before = internal.instance();
    assert.throws(() => before.forceTrap(), InternalError);
    assert.equal(before.dead, true);
    assert.equal(version().platform, 'wasip1/wasm');
    assert.notEqual(internal.instance().generation, before.generation);
    // The client re-creates its handle from its kept configuration; the
    // tokens died with the old instance.
    assert.deepEqual(await c.auth.info(), { authenticated: false });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    assert.equal((await c.auth.info()).authenticated, true);
    await c.close();
  });
}, ['wasm']);
