import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, certs, call } from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const ops = new Set((await call('ops.list')).operations.map((o) => o.name));
const skip = ops.has('auth.xades') && ops.has('certs.generate_test') ? false : 'auth.xades or certs.generate_test not in ops.list yet';

let sim;
before(async () => { if (!skip) sim = await startSim(); });
after(async () => { await sim?.close(); });

forEachBackend((backend) => {
  test('certificate (XAdES) authentication with a generated test certificate', { skip }, async () => {
    const g = await certs.generateTestCertificate({ nip: sim.nip });
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const a = await c.auth.withCertificate({ cert: g.certificatePem, key: Buffer.from(g.keyPem), nip: sim.nip });
    assert.equal(a.context.value, sim.nip);
    await c.close();
  });

  // Issue 10 finding 9: the PKCS#12 the package hands out goes straight back in.
  test('generateTestCertificate().pkcs12 is the file bytes withCertificate takes', { skip }, async () => {
    const g = await certs.generateTestCertificate({ kind: 'seal', nip: sim.nip, password: 'pw-canary-9' });
    assert.ok(Buffer.isBuffer(g.pkcs12));
    assert.equal(g.pkcs12[0], 0x30, 'DER of a PKCS#12 PFX');
    const c = await Client.create({ baseUrl: sim.url, ...fast });
    const a = await c.auth.withCertificate({ cert: g.pkcs12, password: 'pw-canary-9', nip: sim.nip });
    assert.equal(a.context.value, sim.nip);
    // Text forms the core reads too: base64 of the file, PEM after openssl's Bag Attributes.
    const i = await certs.inspect({ cert: g.pkcs12.toString('base64'), password: 'pw-canary-9' });
    assert.equal(i.keyLoaded, true);
    const bagged = `Bag Attributes\n    localKeyID: 01 00 00 00 \nsubject=CN = x\n${g.certificatePem}`;
    const j = await certs.inspect({ cert: '\ufeff' + bagged, key: `Bag Attributes\nKey Attributes: <No Attributes>\n${g.keyPem}` });
    assert.equal(j.keyLoaded, true);
    const err = await certs.inspect({ cert: 42 }).catch((e) => e);
    assert.equal(err.constructor.name, 'InputError');
    assert.equal(err.field, 'certificate');
    await c.close();
  });
});
