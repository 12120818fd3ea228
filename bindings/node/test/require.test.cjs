// The CommonJS entry point works and shares the ESM entry's core.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const k = require('ksefkit');

test('require("ksefkit") exposes the API', async () => {
  assert.equal(typeof k.Client.create, 'function');
  assert.equal(k.version().platform, 'wasip1/wasm');
  const err = await k.Client.create({}).catch((e) => e);
  assert.ok(err instanceof k.InputError);
  const esm = await import('ksefkit');
  assert.equal(esm.Client, k.Client, 'ESM and CJS must share one core');
  assert.equal(esm.setBackend, k.setBackend);
});

test('require("ksefkit") with the native backend', async (t) => {
  const { nativeSkip } = await import('./backends.mjs');
  if (nativeSkip) return t.skip(nativeSkip);
  const c = await k.Client.create({ environment: 'test', backend: 'native' });
  assert.equal(c.backend, 'native');
  assert.match(k.version({ backend: 'native' }).platform, /^linux\//);
  assert.equal((await k.call('env.list', {}, { backend: 'native' })).environments.length, 3);
  assert.equal(k.inflight({ backend: 'native' }), 0);
  await c.close();
});
