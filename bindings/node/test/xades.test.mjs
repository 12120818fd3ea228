import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, privateEncrypt, constants } from 'node:crypto';
import { xades, certs, SignatureError, CryptoError } from 'ksefkit';
import { forEachBackend } from './backends.mjs';

const doc = '<a xmlns="urn:x"><b>1</b></a>';

forEachBackend((backend) => {
  test('verify reports tampering as findings, strict rejects with SignatureError', async () => {
    const g = await certs.generateTestCertificate({ nip: '5265877635' });
    const { xml } = await xades.sign({ xml: doc, cert: g.certificatePem, key: g.keyPem });
    assert.equal((await xades.verify({ xml })).valid, true);
    const tampered = xml.replace('<b>1</b>', '<b>2</b>');
    const report = await xades.verify({ xml: tampered });
    assert.equal(report.valid, false);
    assert.ok(report.findings.some((f) => f.code === 'document_digest_mismatch'));
    await assert.rejects(xades.verify({ xml: tampered, strict: true }), (e) => e instanceof SignatureError && e.findings.includes('document_digest_mismatch'));
  });

  test('external signer: prepare, sign the digest outside, complete', async () => {
    const g = await certs.generateTestCertificate({ nip: '5265877635', keyType: 'rsa' });
    const p = await xades.prepare({ xml: doc, cert: g.certificatePem });
    assert.equal(p.hash, 'SHA-256');
    assert.equal(p.digest.length, 32);
    // PKCS#1 v1.5 over a pre-hashed digest: DigestInfo(SHA-256) || digest, as a card would do.
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), p.digest]);
    const key = createPrivateKey(g.keyPem);
    const sig = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
    const { xml } = await xades.complete({ state: p.state, signatureValue: sig });
    assert.equal((await xades.verify({ xml })).valid, true);
    sig[5] ^= 1;
    await assert.rejects(xades.complete({ state: p.state, signatureValue: sig }), CryptoError);
  });
});
