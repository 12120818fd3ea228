// The parity vectors (core/ops/testdata/parity): every case replayed through
// the generic call on both backends must answer exactly the envelope the Go
// core answers natively, compared as parsed data. KSEFKIT_REPO names the
// repository root (make test-node sets it; the default fits running from
// bindings/node/test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import k from 'ksefkit';
import { forEachBackend } from './backends.mjs';

const repo = process.env.KSEFKIT_REPO || resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = resolve(repo, 'core/ops/testdata/parity');
const cases = JSON.parse(readFileSync(resolve(dir, 'cases.json'), 'utf8'));
const expected = JSON.parse(readFileSync(resolve(dir, 'expected.json'), 'utf8'));
const { callEnvelope } = k[Symbol.for('ksefkit.internal')];

test('the parity vectors are there', () => {
  assert.ok(cases.length >= 10, `only ${cases.length} cases in ${dir}`);
  assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(expected).sort());
});

forEachBackend((backend) => {
  for (const c of cases) {
    test(`parity: ${c.name}`, async () => {
      const env = await callEnvelope(c.op, c.input, { backend, client: c.client, setup: c.setup });
      assert.deepEqual(env, expected[c.name]);
    });
  }
});
