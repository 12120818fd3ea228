// The child process of canary.test.mjs: runs every operation of the core's
// table and the flows with canary secrets on one backend (KSEFKIT_BACKEND)
// and fails on any canary in an error (message, stack, util.inspect,
// JSON.stringify, own properties) or a result (util.inspect, JSON). The
// parent scans this process's stdout and stderr — where the core's log goes
// at logLevel debug, on both backends — with every canary, including the
// tokens KSeF issued, which this process reports in the summary file.
import { inspect } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import k from 'ksefkit';

const { Client, certs, xades, call, KsefError } = k;
const env = process.env;
const repo = env.KSEFKIT_REPO;
const fixtures = resolve(repo, 'core/certs/testdata');
const KEY_PASSWORD = 'ksef-Test-123'; // the fixture's encrypted key
const P12_PASSWORD = 'canary-P12-password-js-6a2b';
const ACCESS_CANARY = 'eyJcanary-ACCESS-token-js.71fe';
const REFRESH_CANARY = 'eyJcanary-REFRESH-token-js.0b8c';
const STUFFED_SECRET = 'canary-STUFFED-secret-js-d04e';
const PLAIN_CANARY = '20251010-EC-CANARY0001-PLAIN00001-AB|nip-5265877635|plaincanary0123456789abcdef';

// Breaches of the echo rule in core packages, listed with where to fix them
// (core/ops's canary test keeps the list honest).
const knownEchoes = JSON.parse(readFileSync(resolve(repo, 'core/ops/testdata/known-echoes.json'), 'utf8')).map((k) => k.message);
// Operations whose purpose is to return secrets (tokens.generate: a new KSeF
// token, not run with success here).
const EXPORTS = new Set(['auth.tokens.export', 'sessions.online.export', 'tokens.generate']);
const secrets = [env.SIM_TOKEN, env.SIM_TOKEN.split('|').pop(), KEY_PASSWORD, P12_PASSWORD, ACCESS_CANARY, REFRESH_CANARY, STUFFED_SECRET];
const issued = []; // secrets learnt during the run, for the parent
const called = new Set();
const succeeded = new Set();
const carried = new Set();
const add = (...s) => { for (const x of s) if (x && x.length >= 8) { secrets.push(x); issued.push(x); } };
const leak = (text) => secrets.find((s) => text.includes(s));

function renderings(v) {
  const out = [inspect(v, { depth: Infinity, showHidden: true }), String(v)];
  try { out.push(JSON.stringify(v) ?? ''); } catch { /* cycles: inspect covers it */ }
  if (v instanceof Error) out.push(v.stack ?? '', JSON.stringify(Object.entries(v)), inspect(v.cause));
  return out;
}

function check(op, v, exported = false) {
  for (const text of renderings(v)) {
    const s = leak(text);
    if (!s) continue;
    if (exported && !(v instanceof Error)) { carried.add(op); continue; }
    throw new Error(`${op}: a secret (${s.slice(0, 10)}…) shows in ${v?.constructor?.name}: ${text.slice(0, 300)}`);
  }
}

// run calls fn and checks what it gives; ok is true (must succeed), false
// (must fail) or 'either' (stuffed inputs: whatever the core says).
async function run(op, fn, { ok = true, exported = false } = {}) {
  called.add(op);
  let r;
  try {
    r = await fn();
  } catch (e) {
    if (!(e instanceof KsefError)) throw new Error(`${op}: not a KsefError: ${inspect(e)}`);
    if (ok === true) throw new Error(`${op}: ${inspect(e)}`);
    check(op, e);
    if (e.httpStatus === undefined && e.message.includes('plaincanary') && !knownEchoes.some((m) => e.message.includes(m))) {
      throw new Error(`${op}: the error quotes an input value (the echo rule): ${e.message}`);
    }
    return undefined;
  }
  if (ok === false) throw new Error(`${op} succeeded`);
  succeeded.add(op);
  check(op, r, exported);
  return r;
}

// The same inputs as core/ops's canary test, from ops.list's fields.
function stuffed(fields, secret) {
  const out = {};
  for (const f of fields) {
    const text = f.secret ? secret : PLAIN_CANARY;
    const sub = f.fields || [];
    if (sub.length && f.type.endsWith('[]')) out[f.name] = [stuffed(sub, secret)];
    else if (sub.length) out[f.name] = stuffed(sub, secret);
    else if (['string', 'date-time', 'any'].includes(f.type)) out[f.name] = text;
    else if (f.type === 'string[]') out[f.name] = [text];
    else if (f.type === 'base64') out[f.name] = Buffer.from(text).toString('base64');
    else if (f.type === 'number') out[f.name] = 0;
    else if (f.type === 'bool') out[f.name] = false;
  }
  return out;
}

function stuffedInputs(fields, secret) {
  const out = [stuffed(fields, secret)];
  const alone = (fs, wrap) => {
    for (const f of fs) {
      out.push(wrap(stuffed([f], secret)));
      if (f.fields?.length && !f.type.endsWith('[]')) alone(f.fields, (v) => wrap({ [f.name]: v }));
    }
  };
  alone(fields, (v) => v);
  return out;
}

const opts = { baseUrl: env.SIM_URL, backoffMs: 1, pollInitialMs: 10, pollMaxMs: 50, logLevel: 'debug' };
const nip = env.SIM_NIP;
const certPem = readFileSync(resolve(fixtures, 'ec.crt.pem'), 'utf8');
const encKey = readFileSync(resolve(fixtures, 'ec.enc-aes256.pem'), 'utf8');
add(readFileSync(resolve(fixtures, 'ec.pk8.pem'), 'utf8').split('\n')[1], encKey.split('\n')[3]);
const gen = await certs.generateTestCertificate({ kind: 'seal', nip, password: P12_PASSWORD });
add(gen.pkcs12.toString('base64').slice(20, 60), gen.keyPem.split('\n')[1]);

// 1. Every operation, stuffed, on no client, a fresh and an authenticated one.
const fresh = await Client.create(opts);
const authed = await Client.create(opts);
await authed.auth.withToken({ token: env.SIM_TOKEN, nip });
const saved = (await authed.auth.exportTokens()).toJSON();
add(saved.accessToken.token, saved.refreshToken.token);
const ops = (await call('ops.list')).operations;
for (const op of ops) {
  for (const input of stuffedInputs(op.input || [], STUFFED_SECRET)) {
    for (const client of [undefined, fresh, authed]) {
      await run(op.name, () => call(op.name, input, { client }), { ok: 'either', exported: EXPORTS.has(op.name) });
    }
  }
}
await fresh.close();
await authed.close();

// 2. The flows through the typed API (the parent put a 503 on the way, so a retry is logged).
{
  const c = await Client.create(opts);
  await run('auth.token', () => c.auth.withToken({ token: env.SIM_TOKEN, nip }));
  await run('auth.info', () => c.auth.info());
  await run('auth.refresh', () => c.auth.refresh());
  await run('auth.sessions.list', () => c.auth.sessions.list({ pageSize: 10 }));
  await run('auth.sessions.list', () => c.auth.sessions.list({ all: true }));
  const exp = await run('auth.tokens.export', () => c.auth.exportTokens());
  const raw = exp.toJSON();
  add(raw.accessToken.token, raw.refreshToken.token);
  if (!leak(JSON.stringify(exp))) throw new Error('the export carries no token: the exception proves nothing');
  carried.add('auth.tokens.export');
  await run('auth.sessions.revoke', () => c.auth.sessions.revoke({}));
  await c.close();
}
{
  const c = await Client.create(opts);
  await run('auth.xades', () => c.auth.withCertificate({ cert: gen.pkcs12, password: P12_PASSWORD, nip }));
  await run('auth.refresh', () => c.auth.refresh());
  await c.close();
  const c2 = await Client.create(opts);
  await run('auth.xades', () => c2.auth.withCertificate({ cert: certPem, key: encKey, password: KEY_PASSWORD, nip: '5265877635' }));
  await c2.close();
  const c3 = await Client.create(opts);
  await run('auth.xades', () => c3.auth.withCertificate({ cert: gen.pkcs12, password: KEY_PASSWORD, nip }), { ok: false });
  await run('auth.token', () => c3.auth.withToken({ token: `${env.SIM_TOKEN}\udc80`, nip }), { ok: false });
  await run('auth.token', () => c3.auth.withToken({ token: env.SIM_TOKEN, nip: env.SIM_TOKEN }), { ok: false });
  await c3.close();
}
{
  const c = await Client.create(opts);
  const valid = '2099-01-01T00:00:00Z';
  const restored = {
    referenceNumber: '20250101-AU-CANARY0000-0000000000-00', context: { type: 'Nip', value: nip },
    accessToken: { token: ACCESS_CANARY, validUntil: valid }, refreshToken: { token: REFRESH_CANARY, validUntil: valid },
  };
  await run('auth.tokens.restore', () => c.auth.restoreTokens(restored));
  await run('auth.tokens.restore', () => c.auth.restoreTokens(JSON.stringify(restored)));
  await run('auth.tokens.restore', () => c.auth.restoreTokens(JSON.stringify(restored).slice(0, -9)), { ok: false });
  await run('auth.info', () => c.auth.info());
  await run('auth.sessions.list', () => c.auth.sessions.list(), { ok: false }); // KSeF does not know the canary: 401
  await run('auth.refresh', () => c.auth.refresh(), { ok: false });
  await c.close();
}
await run('certs.inspect', () => certs.inspect({ cert: gen.pkcs12, password: P12_PASSWORD }));
await run('certs.inspect', () => certs.inspect({ cert: certPem, key: encKey, password: KEY_PASSWORD }));
await run('certs.inspect', () => certs.inspect({ cert: certPem, key: encKey, password: P12_PASSWORD }), { ok: false });
const unsigned = '<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"><Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge>'
  + '<ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>';
await run('xades.sign', () => xades.sign({ xml: unsigned, cert: certPem, key: encKey, password: KEY_PASSWORD }));
await run('xades.sign', () => xades.sign({ xml: unsigned, cert: gen.pkcs12, password: P12_PASSWORD }));
await run('certs.generate_test', () => certs.generateTestCertificate({ nip, password: P12_PASSWORD }));

// An online session restored with a canary AES key: exported (the one other
// output allowed to hold it), listed, sent into (KSeF never saw it).
{
  const canaryAES = Buffer.from('CANARY-js-aes-key!!-0123456789ab');
  add(canaryAES.toString('base64'), canaryAES.toString('latin1'), canaryAES.toString('hex'));
  const ref = '20261201-SO-CANARY0000-0000000000-02';
  const state = {
    referenceNumber: ref, formCode: { systemCode: 'FA (3)', schemaVersion: '1-0E', value: 'FA' },
    validUntil: '2099-01-01T00:00:00Z', context: { type: 'Nip', value: nip },
    key: canaryAES.toString('base64'), iv: Buffer.alloc(16).toString('base64'),
  };
  const c = await Client.create(opts);
  await c.auth.withToken({ token: env.SIM_TOKEN, nip });
  await run('sessions.online.restore', () => c.call('sessions.online.restore', state));
  const saved = await run('sessions.online.export', () => c.call('sessions.online.export', { referenceNumber: ref }), { exported: true });
  if (saved.key !== state.key || !carried.has('sessions.online.export')) throw new Error('the session export lost its key');
  await run('sessions.online.list', () => c.call('sessions.online.list', {}));
  const invoice = Buffer.from('<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"/>').toString('base64');
  await run('sessions.online.send', () => c.call('sessions.online.send', { referenceNumber: ref, xml: invoice }), { ok: false });
  await c.close();
}

// 3. The parity vectors.
for (const c of JSON.parse(readFileSync(resolve(repo, 'core/ops/testdata/parity/cases.json'), 'utf8'))) {
  await run(c.op, () => call(c.op, c.input), { ok: 'either' });
}

writeFileSync(env.SUMMARY, JSON.stringify({
  issued, ops: ops.map((o) => o.name), called: [...called], succeeded: [...succeeded], carried: [...carried],
}));
