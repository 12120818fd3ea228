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
});
