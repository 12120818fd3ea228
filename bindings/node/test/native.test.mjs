// What is particular to the native backend: how it is chosen, what happens
// without koffi or libksef.so, that koffi never loads on the main thread,
// and payloads too big for the shared buffer (they take the port).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import k, { Client, version, getBackend, setBackend, certs, InputError } from 'ksefkit';
import { nativeSkip, platformRe } from './backends.mjs';

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('ksefkit'));
const { callEnvelope } = k[Symbol.for('ksefkit.internal')];
const skip = nativeSkip;

// node runs a snippet in a fresh process (CommonJS, stdout parsed as JSON).
function node(script, env, cwd) {
  const out = execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, ...env }, cwd, encoding: 'utf8' });
  return JSON.parse(out);
}

test('the default backend is wasm; unknown names are InputErrors', async () => {
  assert.equal(getBackend(), 'wasm');
  assert.throws(() => setBackend('jvm'), InputError);
  await assert.rejects(Client.create({ environment: 'test', backend: 'jvm' }), InputError);
  const c = await Client.create({ environment: 'test' });
  assert.equal(c.backend, 'wasm');
  await c.close();
});

test('Client.create({ backend: "native" }) leaves the module default alone', { skip }, async () => {
  const c = await Client.create({ environment: 'test', backend: 'native' });
  assert.equal(c.backend, 'native');
  assert.deepEqual(await c.auth.info(), { authenticated: false });
  assert.equal(getBackend(), 'wasm');
  assert.match(version().platform, platformRe('wasm'));
  assert.match(version({ backend: 'native' }).platform, platformRe('native'));
  await c.close();
});

test('koffi is loaded in the worker only, never on the main thread', { skip }, () => {
  version({ backend: 'native' });
  const loaded = Object.keys(require.cache).filter((p) => /[\\/]koffi[\\/]/.test(p));
  assert.deepEqual(loaded, []);
});

test('KSEFKIT_BACKEND=native chooses the default; KSEFKIT_LIB names the library', { skip }, () => {
  const r = node(`const k=require(${JSON.stringify(pkgDir)});console.log(JSON.stringify({b:k.getBackend(),p:k.version().platform}))`,
    { KSEFKIT_BACKEND: 'native', KSEFKIT_LIB: process.env.KSEFKIT_LIB });
  assert.equal(r.b, 'native');
  assert.match(r.p, platformRe('native'));
});

test('a missing library and a second, different library are clear InputErrors', { skip }, () => {
  const r = node(`const k=require(${JSON.stringify(pkgDir)});try{k.setBackend('native')}catch(e){console.log(JSON.stringify({n:e.constructor.name,f:e.field,m:e.message}))}`,
    { KSEFKIT_LIB: '/nonexistent/libksef.so' });
  assert.deepEqual([r.n, r.f], ['InputError', 'library']);
  assert.match(r.m, /not found at \/nonexistent\/libksef\.so/);
  const none = node(`const k=require(${JSON.stringify(pkgDir)});k.Client.create({environment:'test',backend:'native'}).catch((e)=>console.log(JSON.stringify({n:e.constructor.name,m:e.message})))`, {});
  assert.equal(none.n, 'InputError');
  assert.match(none.m, /KSEFKIT_LIB/);
  version({ backend: 'native' });
  assert.throws(() => setBackend('native', { library: '/elsewhere/libksef.so' }), /already loaded/);
});

test('without koffi installed, backend native says how to get it', () => {
  // A copy of the installed package with no koffi anywhere above it.
  const root = mkdtempSync(join(tmpdir(), 'ksefkit-nokoffi-'));
  try {
    cpSync(pkgDir, join(root, 'node_modules', 'ksefkit'), { recursive: true });
    const peer = require(join(pkgDir, 'package.json')).peerDependencies.koffi;
    const r = node(`const k=require('ksefkit');
      const v=k.version().platform;
      k.call('version',{}, {backend:'native'}).catch((e)=>console.log(JSON.stringify({v,n:e.constructor.name,f:e.field,m:e.message})))`,
    { KSEFKIT_LIB: process.env.KSEFKIT_LIB || '/x/libksef.so' }, root);
    assert.equal(r.v, 'wasip1/wasm', 'wasm keeps working without koffi');
    assert.deepEqual([r.n, r.f], ['InputError', 'backend']);
    assert.ok(r.m.includes(`npm install koffi@${peer}`), r.m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('payloads larger than the shared buffer travel both ways, same answers as wasm', { skip }, async () => {
  const g = await certs.generateTestCertificate({ nip: '5265877635', keyType: 'rsa' });
  const input = {
    xml: `<Doc><A>${'x'.repeat(3 << 20)}</A></Doc>`,
    certificate: Buffer.from(g.certificatePem).toString('base64'),
    key: Buffer.from(g.keyPem).toString('base64'),
  };
  const signed = await callEnvelope('xades.sign', input, { backend: 'native' }); // 3 MiB out, 3 MiB back
  assert.equal(signed.ok, true, JSON.stringify(signed.error));
  assert.ok(signed.result.xml.length > 3 << 20);
  // Signature ids are random, so compare the (deterministic) verification.
  const n = await callEnvelope('xades.verify', { xml: signed.result.xml }, { backend: 'native' });
  const w = await callEnvelope('xades.verify', { xml: signed.result.xml }, { backend: 'wasm' });
  assert.equal(n.result.valid, true);
  assert.deepEqual(n, w);
});

// Every answer from libksef used to be copied out through koffi.view, which
// kept ~0.2 KB of native memory per call for good: RSS grew by ~0.44 KB
// per create/call/free cycle without levelling off (+154 MB over 350 k
// cycles, the JS heap flat). The worker now copies with memcpy; RSS must
// stay put after a warm-up. In a fresh process: memory freed by earlier
// tests would hide the growth.
test('create/call/free cycles do not grow RSS', { skip }, () => {
  const r = node(`const k=require(${JSON.stringify(pkgDir)});
    const cycle=async()=>{const c=await k.Client.create({environment:'test',backend:'native'});await c.auth.info();await c.close();};
    (async()=>{for(let i=0;i<5000;i++)await cycle();const a=process.memoryUsage.rss();
      for(let i=0;i<25000;i++)await cycle();console.log(JSON.stringify({grew:process.memoryUsage.rss()-a}));})();`,
  { KSEFKIT_LIB: process.env.KSEFKIT_LIB });
  // The leak showed as ~11 MB here.
  assert.ok(r.grew < 3 << 20, `RSS grew by ${(r.grew / 1024).toFixed(0)} KiB over 25000 cycles`);
});
