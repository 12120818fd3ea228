// The error taxonomy: one class per code of the core's table
// (core/errs/testdata/codes.json, written from core/errs/table.go), with the
// same parents as in Python, and the one rule for what is not a valid call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import * as esm from 'ksefkit';
import k from 'ksefkit';
import { forEachBackend } from './backends.mjs';

const repo = process.env.KSEFKIT_REPO || resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const codes = JSON.parse(readFileSync(resolve(repo, 'core/errs/testdata/codes.json'), 'utf8'));
const { fromEnvelope, BY_CODE } = k[Symbol.for('ksefkit.internal')].errors;

test('every code has a class and no other is mapped', () => {
  assert.ok(codes.length >= 17);
  assert.deepEqual(Object.keys(BY_CODE).sort(), codes.map((c) => c.code).sort());
});

for (const v of codes) {
  test(`envelope ${v.code} → ${v.class}`, () => {
    const e = fromEnvelope({ ok: false, error: { code: v.code, message: 'm', retryAfterSeconds: 7 } });
    assert.equal(e.constructor.name, v.class);
    assert.equal(esm[v.class], e.constructor, 'exported from the ESM entry');
    assert.equal(k[v.class], e.constructor, 'exported from the CommonJS entry');
    for (const parent of v.ancestors) assert.ok(e instanceof esm[parent], `${v.class} must be a ${parent}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, v.code);
    assert.equal(e.message, 'm');
    assert.equal(e.retryAfter, 7);
    assert.equal(e.retryable, v.retryable);
    if (v.code.startsWith('ksef.')) assert.ok(e instanceof esm.ApiError);
    assert.equal(e.name, v.code === 'canceled' ? 'AbortError' : v.class);
    // Made by hand (as the package does for local failures) it keeps its code.
    assert.equal(new esm[v.class]({ message: 'x' }).code, v.code);
  });
}

test('an unknown code is the base class', () => {
  const e = fromEnvelope({ ok: false, error: { code: 'from.the.future', message: 'm' } });
  assert.equal(e.constructor, esm.KsefError);
  assert.equal(e.code, 'from.the.future');
  assert.equal(e.retryable, false);
});

forEachBackend(() => {
  for (const op of [undefined, null, '', 42, {}]) {
    test(`call(${inspect(op)}) is an InputError naming op`, async () => {
      const err = await esm.call(op).catch((e) => e);
      assert.equal(err.constructor, esm.InputError, `got ${err}`);
      assert.equal(err.field, 'op');
    });
  }

  test('an unknown operation is an UnknownOperationError, an InputError too', async () => {
    const err = await esm.call('auth.tokn').catch((e) => e);
    assert.ok(err instanceof esm.UnknownOperationError && err instanceof esm.InputError, `got ${err}`);
    assert.equal(err.field, 'op');
    assert.match(err.message, /did you mean auth\.token\?/);
  });

  test('restoreTokens with malformed text is an InputError without the text', async () => {
    const c = await esm.Client.create({ environment: 'test' });
    for (const text of ['{bad "eyJ-secret-access-token"', '[1, 2]']) {
      const err = await c.auth.restoreTokens(text).catch((e) => e);
      assert.ok(err instanceof esm.InputError, `got ${err}`);
      assert.ok(!inspect(err).includes('eyJ-secret'));
    }
    await c.close();
  });

  test('a lone surrogate is an InputError naming the field, without the value', async () => {
    const c = await esm.Client.create({ environment: 'test' });
    const token = '20251010-EC-ABC|nip-5265877635|secret\udc80part';
    const err = await c.auth.withToken({ token, nip: '5265877635' }).catch((e) => e);
    assert.ok(err instanceof esm.InputError, `got ${err}`);
    assert.equal(err.field, 'token');
    assert.ok(!inspect(err).includes('secret') && !JSON.stringify(err).includes('secret'));
    const e2 = await esm.call('xades.auth_request', { context: { type: 'Nip', value: 'x\ud800' } }).catch((e) => e);
    assert.equal(e2.field, 'context.value');
    await c.close();
  });

  test('a control character in userAgent is refused at create (issue 10 finding 6)', async () => {
    for (const userAgent of ['app/1.0\r\nX-Injected: yes', 'nul\0']) {
      const err = await esm.Client.create({ environment: 'test', userAgent }).catch((e) => e);
      assert.ok(err instanceof esm.InputError, `got ${err}`);
      assert.equal(err.field, 'userAgent');
      assert.ok(!err.message.includes('Injected'));
    }
  });

  test('options of the wrong kind are InputErrors naming them, from the core', async () => {
    for (const [opts, field] of [[{ requestTimeoutMs: 'thirty' }, 'requestTimeoutMs'], [{ logLevel: 'verbose' }, 'logLevel'], [{ maxAttempts: -1 }, 'maxAttempts']]) {
      const err = await esm.Client.create({ environment: 'test', ...opts }).catch((e) => e);
      assert.ok(err instanceof esm.InputError, `got ${err}`);
      assert.equal(err.field, field);
      assert.ok(!err.message.includes('thirty') && !err.message.includes('verbose'));
    }
  });

  test('input JSON cannot hold is an InputError', async () => {
    const err = await esm.call('xades.verify', { xml: 1n }).catch((e) => e);
    assert.ok(err instanceof esm.InputError, `got ${err}`);
    assert.equal(err.field, 'input');
  });
});
