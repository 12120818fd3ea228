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
});
