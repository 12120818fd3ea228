import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xades, certs, call, InputError } from 'ksefkit';
import { forEachBackend } from './backends.mjs';

const ops = new Set((await call('ops.list')).operations.map((o) => o.name));
const need = (op) => (ops.has(op) ? {} : { skip: `${op} is not in ops.list yet` });

forEachBackend((backend) => {
  test('certs.generateTestCertificate + certs.inspect', need('certs.generate_test'), async () => {
    const g = await certs.generateTestCertificate({ nip: '5265877635' });
    assert.match(g.certificatePem, /BEGIN CERTIFICATE/);
    const i = await certs.inspect({ cert: Buffer.from(g.certificatePem), key: g.keyPem });
    assert.deepEqual([i.identity.type, i.identity.value], ['Nip', '5265877635']);
    assert.equal(i.keyLoaded, true);
  });

  test('xades.sign (and verify when present)', need('xades.sign'), async () => {
    const g = await certs.generateTestCertificate({ nip: '5265877635' });
    const s = await xades.sign({ xml: '<Doc><A>1</A></Doc>', cert: g.certificatePem, key: g.keyPem });
    assert.match(s.xml, /SignatureValue/);
    if (ops.has('xades.verify')) await xades.verify({ xml: s.xml });
    await assert.rejects(xades.sign({ xml: 'not xml', cert: g.certificatePem, key: g.keyPem }), InputError);
  });
});
