import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  Client, version, inflight, call, AuthFailedError, InputError, KsefError, NotAuthenticatedError, InvalidHandleError,
} from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend, platformRe } from './backends.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.close(); });

forEachBackend((backend) => {
  test('version comes from the chosen core', () => {
    const v = version();
    assert.match(v.platform, platformRe(backend));
    assert.match(v.version, /^\d+\.\d+\.\d+/);
  });

  test('token authentication, info, sessions, refresh, revoke', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    assert.deepEqual(await c.auth.info(), { authenticated: false });
    const a = await c.auth.withToken({ token: sim.token, nip: sim.nip });
    assert.equal(a.context.value, sim.nip);
    assert.ok(a.referenceNumber);
    const info = await c.auth.info();
    assert.equal(info.authenticated, true);
    const list = await c.auth.sessions.list({ all: true });
    assert.ok(list.items.some((s) => s.isCurrent));
    const r = await c.auth.refresh();
    assert.equal(r.referenceNumber, a.referenceNumber);
    const rv = await c.auth.sessions.revoke({});
    assert.equal(rv.current, true);
    await assert.rejects(c.auth.sessions.list(), NotAuthenticatedError);
    await c.close();
    assert.equal(inflight(), 0);
  });

  test('context form and the generic call', async () => {
    const c = await Client.create({ backend, baseUrl: sim.url, ...fast }); // explicit, not the default
    assert.equal(c.backend, backend);
    await call('auth.token', { token: sim.token, context: { type: 'Nip', value: sim.nip } }, { client: c });
    assert.equal((await c.call('auth.info')).authenticated, true);
    const envs = await call('env.list');
    assert.ok(envs.environments.some((e) => e.name === 'test'));
    await c.close();
  });

  test('unknown token → AuthFailedError with status 450, no secret in the message', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const bad = sim.token.slice(0, -6) + '000000';
    const err = await c.auth.withToken({ token: bad, nip: sim.nip }).catch((e) => e);
    assert.ok(err instanceof AuthFailedError, `got ${err}`);
    assert.ok(err instanceof KsefError);
    assert.equal(err.code, 'ksef.auth_failed');
    assert.equal(err.status, 450);
    assert.ok(!err.message.includes(bad) && !inspect(err).includes(bad));
    await c.close();
  });

  test('invalid NIP → InputError before any HTTP call', async () => {
    const c = await Client.create({ baseUrl: 'http://127.0.0.1:9/v2' }); // nothing listens there
    const err = await c.auth.withToken({ token: 'x', nip: '1234567890' }).catch((e) => e);
    assert.ok(err instanceof InputError, `got ${err}`);
    assert.equal(err.code, 'input.invalid');
    await c.close();
  });

  test('bad configuration and closed clients give typed errors', async () => {
    await assert.rejects(Client.create({ environment: 'nowhere' }), InputError);
    await assert.rejects(Client.create({ environment: 'test', notAnOption: 1 }), InputError);
    const c = await Client.create({ environment: 'test' });
    await c.close();
    await assert.rejects(c.auth.info(), InvalidHandleError);
  });

  test('secrets never show in inspect', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const secret = sim.token.split('|')[2];
    assert.ok(!inspect(c, { depth: 10, showHidden: true }).includes(secret));
    assert.ok(!JSON.stringify(c).includes(secret));
    await c.close();
  });

  test('exported tokens survive a restart and never show in inspect', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    const saved = await c.auth.exportTokens();
    assert.ok(!inspect(saved).includes(JSON.stringify(saved).match(/"token":"([^"]+)"/)[1]));
    const text = JSON.stringify(saved);
    await c.close();
    const fresh = await Client.create({ baseUrl: sim.url, ...fast });
    await assert.rejects(fresh.auth.sessions.list(), NotAuthenticatedError);
    const a = await fresh.auth.restoreTokens(text);
    assert.equal(a.referenceNumber, saved.referenceNumber);
    assert.ok((await fresh.auth.sessions.list()).items.some((s) => s.isCurrent));
    await fresh.auth.refresh();
    await fresh.close();
  });
});
