// Batch sessions through the binding: one operation per call (the core's
// own tests cover the protocol in depth).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Client, InputError, ApiError } from 'ksefkit';
import { forEachBackend, streamsSkip } from './backends.mjs';
import { startSim, fast } from './sim.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim.close(); });

async function invoices(n) {
  const prefix = randomUUID().slice(0, 8);
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push({ name: `FV-${String(i).padStart(4, '0')}.xml`, data: await sim.sample('fa3', { sellerNip: sim.nip, number: `${prefix}-${i}` }) });
  }
  return out;
}

async function authed(backend) {
  const c = await Client.create({ baseUrl: sim.url, backend, ...fast, sessionPollInitialMs: 20, sessionPollMaxMs: 100 });
  await c.auth.withToken({ token: sim.token, nip: sim.nip });
  return c;
}

forEachBackend((backend) => {
  for (const compression of ['Zip', 'TarGz']) {
    test(`batch.send of 100+ invoices in ${compression}: outcomes per document and a verified UPO`, { skip: streamsSkip(backend) }, async () => {
      const client = await authed(backend);
      const docs = await invoices(100);
      const dir = mkdtempSync(join(tmpdir(), 'ksefkit-batch-'));
      try {
        docs.push({ name: 'dup-of-FV-0005.xml', data: docs[4].data });
        const noCurrency = await sim.sample('fa3', { sellerNip: sim.nip, number: randomUUID() });
        docs.push({ name: 'no-currency.xml', data: Buffer.from(noCurrency.toString('utf8').replace('<KodWaluty>PLN</KodWaluty>', '')) });
        docs.push({ name: 'not-xml.xml', data: Buffer.from('this is no invoice') });
        for (const d of docs) writeFileSync(join(dir, d.name), d.data);
        const files = compression === 'Zip' ? dir : docs.map((d) => join(dir, d.name));
        const r = await client.batch.send(files, { compression, partSize: compression === 'Zip' ? 40_000 : 2_000, skipInvalid: true });
        assert.equal(r.status.code, 200);
        assert.ok(r.parts.length >= 3);
        const outcome = Object.fromEntries(r.documents.map((d) => [d.name, d.outcome]));
        assert.equal(outcome['dup-of-FV-0005.xml'], 'duplicate');
        assert.equal(outcome['no-currency.xml'], 'rejected');
        assert.equal(outcome['not-xml.xml'], 'invalid');
        const accepted = new Set(r.documents.filter((d) => d.outcome === 'accepted').map((d) => d.ksefNumber));
        assert.equal(accepted.size, 100);
        const listed = new Set(r.upo.flatMap((p) => { assert.ok(p.verified && p.hashChecked); return p.verification.upo.documents.map((d) => d.ksefNumber); }));
        assert.deepEqual(listed, accepted);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await client.close();
      }
    });
  }

  test('an interrupted batch resumes from its state file; the state prints no secret', { skip: streamsSkip(backend) }, async () => {
    const client = await authed(backend);
    const docs = await invoices(30);
    const dir = mkdtempSync(join(tmpdir(), 'ksefkit-batch-'));
    const statePath = join(dir, 'batch.json');
    try {
      await sim.addFaults(['PUT /storage#2=expired']);
      await assert.rejects(client.batch.send(docs, { partSize: 20_000, uploadConcurrency: 1, statePath }), ApiError);
      await sim.clearFaults();
      const r = await client.batch.resume(docs, { statePath });
      assert.equal(r.successfulInvoiceCount, 30);
      const saved = await client.batch.exportState(r.referenceNumber);
      assert.ok(!inspect(saved).includes(saved.toJSON().key));
    } finally {
      await sim.clearFaults();
      rmSync(dir, { recursive: true, force: true });
      await client.close();
    }
  });

  test('batch inputs KSeF would refuse are InputErrors before anything is sent', async () => {
    const client = await authed(backend);
    await assert.rejects(client.batch.send([{ name: 'a.xml', data: '<a/>' }], { partSize: 100_000_001 }),
      (e) => e instanceof InputError && e.field === 'partSize');
    await assert.rejects(client.batch.send([{ name: 'a.xml', data: '<a/>' }, { name: 'A.XML', data: '<a/>' }]),
      (e) => e instanceof InputError && e.field === 'documents[1].name');
    await client.close();
  });
});
