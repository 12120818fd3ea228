// Online sessions and invoices.send against the simulator, on both
// backends: KSeF numbers, typed failures, duplicates, lost answers,
// restored sessions and UPOs — decided in Go, checked as a user sees them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { randomUUID } from 'node:crypto';
import k from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const { Client, InputError, ProtocolError, SignatureError } = k;
let sim;
before(async () => { sim = await startSim(); });
after(() => sim.close());

async function sample(name = 'fa3', fill = {}) {
  const q = new URLSearchParams({ sellerNip: sim.nip, number: randomUUID().slice(0, 12), ...fill });
  const res = await fetch(`${sim.url}/_sim/samples/${name}?${q}`);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

async function held() {
  const r = await (await fetch(`${sim.url}/_sim/invoices`)).json();
  return r.invoices.filter((i) => i.sellerNip === sim.nip);
}

async function sender() {
  const c = await Client.create({ environment: 'test', baseUrl: sim.url, ...fast, sessionPollInitialMs: 10, sessionPollMaxMs: 50 });
  await c.auth.withToken({ token: sim.token, nip: sim.nip });
  return c;
}

forEachBackend(() => {
  test('invoices.send: KSeF numbers, KOD I links and a verified UPO', async () => {
    const c = await sender();
    const rep = await c.invoices.send([await sample('fa3'), { name: 'second', xml: await sample('fa3') }]);
    assert.ok(rep.ok && rep.successfulInvoiceCount === 2);
    for (const d of rep.documents) {
      assert.ok(d.ok && d.outcome === 'accepted' && d.ksefNumber.startsWith(sim.nip), inspect(d));
      assert.match(d.sent.verificationLink, new RegExp(`^https://qr-test\\.ksef\\.mf\\.gov\\.pl/invoice/${sim.nip}/`));
    }
    assert.equal(rep.documents[1].name, 'second');
    const [upo] = rep.upo;
    assert.ok(upo.verified && upo.hashChecked && Buffer.isBuffer(upo.xml));
    assert.deepEqual(new Set(upo.verification.upo.documents.map((d) => d.ksefNumber)), new Set(rep.documents.map((d) => d.ksefNumber)));
    await c.close();
  });

  test('a rejected invoice and a duplicate among accepted ones', async () => {
    const c = await sender();
    const good = await sample();
    const bad = Buffer.from((await sample()).toString('utf8').replace('</P_2>', '</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>'));
    const rep = await c.invoices.send([good, bad, good]);
    const [g, b, d] = rep.documents;
    assert.ok(g.ok && g.outcome === 'accepted');
    assert.ok(!b.ok && b.outcome === 'rejected' && b.result.status.code === 430 && b.result.status.details.length > 0);
    assert.ok(d.ok && d.outcome === 'duplicate' && d.ksefNumber === g.ksefNumber && d.result.status.code === 440);
    assert.equal((await held()).filter((i) => i.ksefNumber === g.ksefNumber).length, 1);
    await c.close();
  });

  test('lost answers to sends: exactly N invoices in KSeF', async () => {
    const c = await sender();
    const before = (await held()).length;
    await sim.addFaults(['POST /sessions/online/{referenceNumber}/invoices#2+=drop-after:count=2']);
    try {
      const docs = await Promise.all([1, 2, 3, 4].map(() => sample()));
      const rep = await c.invoices.send(docs);
      assert.equal(new Set(rep.documents.filter((d) => d.ok).map((d) => d.ksefNumber)).size, 4);
      assert.equal(rep.documents.filter((d) => d.sent.recovered).length, 2);
    } finally {
      await sim.clearFaults();
    }
    assert.equal((await held()).length, before + 4);
    await c.close();
  });

  test('a session exported by one client is restored, filled and closed by another', async () => {
    const c = await sender();
    const s = await c.sessions.open();
    await s.send(await sample());
    const saved = await s.export();
    const text = JSON.stringify(saved);
    assert.ok(!inspect(saved).includes(JSON.parse(text).key));
    const other = await sender();
    const r = await other.sessions.restore(text);
    await r.send(await sample());
    const result = await r.close({ wait: true });
    assert.ok(result.ok && result.successfulInvoiceCount === 2 && result.upo[0].verified);
    await assert.rejects(other.sessions.restore('{not json'), InputError);
    await c.close();
    await other.close();
  });

  test('an invalid invoice never leaves; skipInvalid sends the rest', async () => {
    const c = await sender();
    const late = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
    const docs = [await sample(), { name: 'late', xml: await sample('fa3', { issueDate: late }) }];
    await assert.rejects(c.invoices.send(docs), (e) => e instanceof InputError && e.field === 'invoices[1].invoice.P_1');
    const rep = await c.invoices.send(docs, { skipInvalid: true });
    assert.ok(rep.documents[0].ok && rep.documents[1].outcome === 'invalid' && rep.documents[1].error.code === 'input.invalid');
    await c.close();
  });

  test('a UPO with a lying hash header, and a tampered UPO', async () => {
    const c = await sender();
    await sim.addFaults(['GET /storage=upo-hash']);
    let rep;
    try {
      rep = await c.invoices.send([await sample()]);
    } finally {
      await sim.clearFaults();
    }
    assert.ok(rep.documents[0].ok && rep.upoError.code === 'ksef.protocol');
    const upo = await c.sessions.invoiceUpo(rep.referenceNumber, { ksefNumber: rep.documents[0].ksefNumber });
    assert.ok(upo.verified);
    const number = rep.documents[0].result.invoiceNumber;
    const tampered = Buffer.from(upo.xml.toString('utf8').replace(number, number.toLowerCase()));
    await assert.rejects(k.call('upo.verify', { xml: tampered.toString('base64') }), SignatureError);
    assert.ok(ProtocolError);
    await c.close();
  });

  test('send without waiting, wait later, list the invoices page by page', async () => {
    const c = await sender();
    const rep = await c.invoices.send([await sample(), await sample()], { wait: false });
    assert.ok(rep.documents.every((d) => d.sent && d.outcome === 'processing'));
    const later = await c.sessions.wait(rep.referenceNumber);
    assert.ok(later.ok && later.successfulInvoiceCount === 2);
    const listed = [];
    for await (const inv of c.sessions.invoices(rep.referenceNumber, { pageSize: 10 })) listed.push(inv);
    assert.equal(listed.length, 2);
    await c.close();
  });
});
