import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, inflight } from 'ksefkit';
import { startSim, fast } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(async () => { await sim?.close(); });

forEachBackend((backend) => {
  test('20 token authentications in flight at once on one instance', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => Client.create({ baseUrl: sim.url, ...fast })));
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, inflight()); }, 1);
    const results = await Promise.all(clients.map((c) => c.auth.withToken({ token: sim.token, nip: sim.nip })));
    clearInterval(timer);
    assert.equal(new Set(results.map((r) => r.referenceNumber)).size, 20);
    assert.ok(peak > 1, `operations did not overlap (peak ${peak})`);
    // …and 20 session listings at once on one client.
    const lists = await Promise.all(Array.from({ length: 20 }, () => clients[0].auth.sessions.list({ pageSize: 10 })));
    assert.ok(lists.every((l) => l.items.length > 0));
    assert.equal(inflight(), 0);
    await Promise.all(clients.map((c) => c.close()));
  });
});
