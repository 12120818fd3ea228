// Profiles, test-certificate authentication and KSeF tokens against the
// simulator, on both backends. On wasm the core reads the configuration
// file through "file" events the package answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, GeneratedToken, InputError, ApiError, AuthFailedError, inflight } from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

let sim;
let dir;
let config;
const KSEF_VARS = ['CONFIG', 'PROFILE', 'ENV', 'BASE_URL', 'NIP', 'TOKEN', 'CONTEXT_TYPE', 'KEY_PASSWORD', 'P12_PASSWORD'];

before(async () => {
  sim = await startSim();
  for (const v of KSEF_VARS) {
    delete process.env[`KSEF_${v}`];
    delete process.env[`KSEF2_${v}`];
  }
  dir = mkdtempSync(join(tmpdir(), 'ksefkit-profile-'));
  config = join(dir, 'config.toml');
  writeFileSync(config, `active_profile = "cert"

[profiles.tok]
environment = "test"
nip = "${sim.nip}"
[profiles.tok.auth]
type = "token"
token_env = "NODE_SIM_TOKEN"
[profiles.tok.ksefkit]
base_url = "${sim.url}"

[profiles.cert]
environment = "test"
nip = "${sim.nip}"
poll_interval = 0.1
[profiles.cert.auth]
type = "test_certificate"
[profiles.cert.ksefkit]
base_url = "${sim.url}"
`);
});
after(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

forEachBackend(() => {
  test('withProfile reads the token from the variable the profile names', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    delete process.env.NODE_SIM_TOKEN;
    await assert.rejects(c.auth.withProfile({ name: 'tok', config }), (e) => e instanceof InputError && /NODE_SIM_TOKEN/.test(e.message));
    process.env.NODE_SIM_TOKEN = sim.token;
    const a = await c.auth.withProfile({ name: 'tok', config });
    assert.equal(a.method, 'ksef-token');
    assert.equal(a.context.value, sim.nip);
    await c.close();
  });

  test('fromProfile: the active profile, a test certificate, KSEF_CONFIG', async () => {
    process.env.KSEF_CONFIG = config;
    try {
      const c = await Client.fromProfile({ backoffMs: 20 });
      const info = await c.auth.info();
      assert.equal(info.auth.method, 'xades');
      assert.equal(info.auth.context.value, sim.nip);
      await c.close();
    } finally {
      delete process.env.KSEF_CONFIG;
    }
  });

  test('an environment other than the client\'s is an InputError', async () => {
    process.env.KSEF_ENV = 'demo';
    try {
      const c = await Client.create({ baseUrl: sim.url, ...fast });
      await assert.rejects(c.auth.withProfile({ name: 'cert', config }), (e) => e instanceof InputError && e.field === 'environment');
      await c.close();
    } finally {
      delete process.env.KSEF_ENV;
    }
  });

  test('withTestCertificate is refused against production', async () => {
    const c = await Client.create({ environment: 'prod' }); // refused before any request
    await assert.rejects(c.auth.withTestCertificate('5265877635'), (e) => e instanceof InputError && /PRODUCTION/.test(e.message));
    await c.close();
  });

  test('tokens: generate, authenticate with it, list (async iterator), revoke', async () => {
    const admin = await Client.create({ baseUrl: sim.url, ...fast });
    await admin.auth.withTestCertificate(sim.nip);
    const g = await admin.tokens.generate({ permissions: ['InvoiceRead'], description: 'node binding test' });
    assert.ok(g instanceof GeneratedToken);
    assert.equal(g.status, 'Active');
    assert.equal(g.waitError, undefined);
    assert.ok(g.token.startsWith(`${g.referenceNumber}|`));
    assert.ok(!inspect(g).includes(g.token));

    const erp = await Client.create({ baseUrl: sim.url, ...fast });
    assert.equal((await erp.auth.withToken({ token: g.token, nip: sim.nip })).method, 'ksef-token');
    assert.equal((await admin.tokens.get(g.referenceNumber)).status, 'Active');

    for (let i = 0; i < 10; i++) await admin.tokens.generate({ permissions: ['InvoiceRead'], description: `paging ${i}`, wait: false });
    const first = await admin.tokens.page({ pageSize: 10 });
    assert.equal(first.tokens.length, 10);
    assert.ok(first.cursor);
    const refs = [];
    for await (const t of admin.tokens.list({ pageSize: 10 })) refs.push(t.referenceNumber);
    assert.ok(refs.length > 10 && new Set(refs).size === refs.length && refs.includes(g.referenceNumber));

    assert.equal(await admin.tokens.revoke(g.referenceNumber), g.referenceNumber);
    await assert.rejects(erp.auth.refresh(), AuthFailedError);
    assert.equal((await admin.tokens.get({ referenceNumber: g.referenceNumber })).status, 'Revoked');
    await erp.close();
    await admin.close();
    assert.equal(inflight(), 0);
  });

  test('a permission the session lacks is KSeF\'s 26001', async () => {
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    await c.auth.withToken({ token: sim.token, nip: sim.nip });
    await assert.rejects(c.tokens.generate({ permissions: ['CredentialsManage'], description: 'more than I hold' }),
      (e) => e instanceof ApiError && e.exceptions.some((x) => x.code === 26001));
    await c.close();
  });
});
