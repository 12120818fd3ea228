// The secret-canary test of issue 10 for the Node package, on both backends.
// canary-child.mjs runs every operation of the core's table (walked from
// ops.list) and the flows with canary secrets and fails on any canary in an
// error or a result; this file runs it in a child process so that it can
// read everything the process wrote — the core's log at logLevel debug goes
// to file descriptor 2 on both backends, past any JS stream — and fails on
// any canary there, including the tokens KSeF issued during the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSim } from './sim.mjs';
import { forEachBackend } from './backends.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = process.env.KSEFKIT_REPO || resolve(here, '../../..');

let sim;
let dir;
before(async () => {
  sim = await startSim();
  dir = mkdtempSync(join(tmpdir(), 'ksefkit-canary-'));
});
after(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function child(backend, summary) {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [join(here, 'canary-child.mjs')], {
      env: {
        ...process.env, KSEFKIT_BACKEND: backend, KSEFKIT_REPO: repo, SUMMARY: summary,
        SIM_URL: sim.url, SIM_TOKEN: sim.token, SIM_NIP: sim.nip,
      },
      maxBuffer: 64 << 20,
      timeout: 240_000,
    }, (error, stdout, stderr) => resolveRun({ error, stdout, stderr }));
  });
}

forEachBackend((backend) => {
  test('no canary secret leaves through any output', { timeout: 300_000 }, async () => {
    await sim.addFaults(['POST /auth/challenge#1=503']);
    const summary = join(dir, `${backend}.json`);
    const { error, stdout, stderr } = await child(backend, summary);
    await sim.clearFaults();
    assert.equal(error, null, `the child failed: ${error?.message}\n${stderr.slice(-3000)}`);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    const secrets = [sim.token, sim.token.split('|').pop(), 'ksef-Test-123', 'canary-P12-password-js-6a2b',
      'eyJcanary-ACCESS-token-js.71fe', 'eyJcanary-REFRESH-token-js.0b8c', 'canary-STUFFED-secret-js-d04e', ...s.issued];
    const out = stdout + stderr;
    const found = secrets.find((x) => out.includes(x));
    assert.equal(found, undefined, `the process output holds a secret (${found?.slice(0, 10)}…)`);
    assert.match(stderr, /ksef request retry/, 'the core logged no retry: the log check saw nothing worth checking');
    assert.deepEqual(s.ops.filter((o) => !s.called.includes(o)), [], 'operations never run');
    const flows = ['auth.token', 'auth.xades', 'auth.refresh', 'auth.sessions.list', 'auth.sessions.revoke', 'auth.tokens.export',
      'auth.tokens.restore', 'certs.inspect', 'certs.generate_test', 'xades.sign'];
    assert.deepEqual(flows.filter((o) => !s.succeeded.includes(o)), [], 'flows that never succeeded');
    assert.deepEqual(s.carried.sort(), ['auth.tokens.export', 'sessions.online.export'], 'only the exports may carry a secret, and both do');
  });
});
