// Invoices out of KSeF against a simulator with low limits, on both
// backends: a sent invoice downloaded byte for byte, the metadata query
// across pages and past the truncation limit (each record once), a
// multi-part export decrypted and read, a tampered part as a typed error,
// and the sync iterator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt, randomUUID } from 'node:crypto';
import k from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const { Client, ApiError, InputError, ProtocolError, SyncState } = k;

let sim;
before(async () => {
  sim = await startSim(['--query-limit', '25', '--export-part-size', '64000', '--export-delay', '20ms',
    '--processing-delay', '20ms', '--storage-delay', '100ms', '--hwm-lag', '50ms']);
});
after(() => sim.close());

function randomNip() {
  const w = [6, 5, 7, 2, 3, 4, 5, 6, 7];
  for (;;) {
    const d = [randomInt(1, 10), ...Array.from({ length: 8 }, () => randomInt(0, 10))];
    const c = d.reduce((s, x, i) => s + x * w[i], 0) % 11;
    // KSeF's NIP pattern also refuses 0 as both the second and third digit.
    if (c !== 10 && (d[1] || d[2])) return d.join('') + c;
  }
}

async function control(method, path, body) {
  const res = await fetch(`${sim.url}/_sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  return res.headers.get('content-type')?.includes('json') ? res.json() : Buffer.from(await res.arrayBuffer());
}

// party is a client authenticated as the owner of a fresh NIP.
async function party() {
  const nip = randomNip();
  const { token } = await control('POST', '/tokens', { contextIdentifier: { type: 'Nip', value: nip } });
  const c = await Client.create({ environment: 'test', baseUrl: sim.url, ...fast, sessionPollInitialMs: 10, sessionPollMaxMs: 50,
    receivePollInitialMs: 10, receivePollMaxMs: 50, noRateLimiter: true });
  await c.auth.withToken({ token, nip });
  return { c, nip };
}

const hoursAgo = (h) => new Date(Date.now() - h * 3600e3);
const filters = (from) => ({ subjectType: 'Subject2', dateRange: { dateType: 'PermanentStorage', from, restrictToPermanentStorageHwmDate: true } });

// inOrder is the order the simulator sorts by: date, then KSeF number.
function inOrder(numbers, per = 3) {
  const out = [...numbers];
  for (let i = 0; i < out.length; i += per) out.splice(i, per, ...out.slice(i, i + per).sort());
  return out;
}

forEachBackend((backend) => {
  let seller, buyer, numbers, start;
  before(async () => {
    seller = await party();
    buyer = await party();
    start = hoursAgo(30);
    ({ ksefNumbers: numbers } = await control('POST', '/invoices', {
      sellerNip: seller.nip, buyerNip: buyer.nip, count: 97, size: 5000,
      storedFrom: new Date(start.getTime() + 60e3), spacing: '10m', perInstant: 3,
    }));
  });
  after(async () => { await seller.c.close(); await buyer.c.close(); });

  test('a sent invoice downloads byte for byte; 21164 and bad numbers are typed', async () => {
    const s = await party();
    const b = await party();
    const q = new URLSearchParams({ sellerNip: s.nip, buyerNip: b.nip, number: randomUUID().slice(0, 12) });
    const xml = Buffer.from(await (await fetch(`${sim.url}/_sim/samples/fa3?${q}`)).arrayBuffer());
    const rep = await s.c.invoices.send([xml], { upo: false });
    const n = rep.documents[0].ksefNumber;
    assert.ok(n && (await control('GET', `/invoices/${n}`)).equals(xml));
    const got = await b.c.invoices.get(n); // 21165 until stored for good: waited out
    assert.ok(got.xml.equals(xml) && got.hashChecked && got.size === xml.length);
    const stranger = await party();
    await assert.rejects(stranger.c.invoices.get(n), (e) => e instanceof ApiError && e.exceptions.some((x) => x.code === 21164));
    await assert.rejects(b.c.invoices.get('5265877635-20260101-0123456789AB-00'), (e) => e instanceof InputError && e.field === 'ksefNumber');
    for (const x of [s, b, stranger]) await x.c.close();
  });

  test('the query yields each record once, across pages and KSeF\'s truncation', async () => {
    const want = inOrder(numbers);
    const got = [];
    for await (const m of buyer.c.invoices.query(filters(start), { pageSize: 10 })) got.push(m.ksefNumber);
    assert.deepEqual(got, want);
    const desc = [];
    for await (const m of buyer.c.invoices.query(filters(start), { pageSize: 10, sortOrder: 'Desc' })) desc.push(m.ksefNumber);
    assert.deepEqual(desc, [...want].reverse());
    const page = await buyer.c.invoices.queryPage(filters(start), { pageSize: 10 });
    assert.ok(page.invoices.length === 10 && page.cursor && page.permanentStorageHwmDate);
    const bad = filters(start);
    bad.dateRange = { ...bad.dateRange, from: hoursAgo(24 * 120), to: start };
    await assert.rejects(buyer.c.invoices.queryPage(bad), (e) => e instanceof InputError && e.field === 'filters.dateRange.to');
  });

  test('a multi-part export, decrypted and read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksef-export-'));
    const r = await buyer.c.invoices.export(filters(start), { dir: join(dir, 'x') });
    assert.ok(r.package.invoiceCount === 97 && r.package.parts.length >= 3 && !r.package.isTruncated);
    assert.deepEqual(r.invoices.map((i) => i.metadata.ksefNumber), inOrder(numbers));
    for (const inv of r.invoices.filter((_, i) => i % 10 === 0)) {
      assert.ok(readFileSync(inv.path).equals(await control('GET', `/invoices/${inv.metadata.ksefNumber}`)));
    }
    assert.ok(existsSync(join(dir, 'x', '_metadata.json')));
    const inline = await buyer.c.invoices.export(filters(start));
    assert.ok(inline.invoices.length === 97 && Buffer.isBuffer(inline.invoices[0].xml));
    const seen = [];
    const zipped = await buyer.c.invoices.export(filters(start), { path: join(dir, 'p.zip'), onProgress: (p) => seen.push(p) });
    assert.equal(statSync(join(dir, 'p.zip')).size, zipped.package.size);
    const last = seen.filter((p) => p.stage === 'download').at(-1);
    assert.ok(last && last.done === zipped.package.parts.length && last.bytes === last.bytesTotal, JSON.stringify(seen));
  });

  test('a tampered part is a typed error and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksef-export-'));
    await sim.addFaults(['GET /storage#2=part-tamper']);
    try {
      await assert.rejects(buyer.c.invoices.export(filters(start), { path: join(dir, 't.zip') }),
        (e) => e instanceof ProtocolError && e.message.includes('encryptedPartHash') && Boolean(e.referenceNumber));
    } finally {
      await sim.clearFaults();
    }
    assert.ok(!existsSync(join(dir, 't.zip')));
  });

  test('sync: the state moves only after a window was taken', async () => {
    const s = await party();
    const b = await party();
    const { ksefNumbers } = await control('POST', '/invoices', { sellerNip: s.nip, buyerNip: b.nip, count: 40, storedFrom: hoursAgo(20), spacing: '20m' });
    const dir = mkdtempSync(join(tmpdir(), 'ksef-sync-'));
    const state = join(dir, 'sync.json');
    const got = [];
    let i = 0;
    for await (const d of b.c.invoices.sync({ state, dir: join(dir, 'in'), since: hoursAgo(24) })) {
      if (i++ === 7) break; // the consumer stops mid-window: that window comes again
      got.push(d.ksefNumber);
    }
    assert.ok(!existsSync(state));
    for await (const d of b.c.invoices.sync({ state, dir: join(dir, 'in'), since: hoursAgo(24) })) {
      assert.ok(d.xml.subarray(0, 5).toString() === '<?xml' && d.metadata.ksefNumber === d.ksefNumber);
      got.push(d.ksefNumber);
    }
    assert.deepEqual([...new Set(got)].sort(), [...ksefNumbers].sort());
    assert.equal(got.length, 47);
    for await (const d of b.c.invoices.sync({ state, dir: join(dir, 'in') })) assert.fail(`came again: ${d.ksefNumber}`);
    const kept = new SyncState();
    let n = 0;
    for await (const d of b.c.invoices.sync({ state: kept, dir: join(dir, 'in2'), since: hoursAgo(24) })) n += d ? 1 : 0;
    assert.equal(n, 40);
    assert.equal(JSON.parse(JSON.stringify(kept)).subjects.Subject2.delivered, 40);
    await s.c.close();
    await b.c.close();
  });
});
