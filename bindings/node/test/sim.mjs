// Starts the ksef-sim binary for a test file and talks to its /v2/_sim
// control endpoints. KSEF_SIM names the binary (make test-node sets it).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { existsSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

function simBinary() {
  const candidates = [process.env.KSEF_SIM, resolve(here, '../../../build/bin/ksef-sim')].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`ksef-sim not found (tried ${candidates.join(', ')}); build it or set KSEF_SIM`);
  return found;
}

export async function startSim(args = []) {
  const proc = spawn(simBinary(), ['--addr', '127.0.0.1:0', '--seed-token', '--log-level', 'error', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  const it = lines[Symbol.asyncIterator]();
  const first = (await it.next()).value;
  const m = /listening on (\S+)/.exec(first || '');
  if (!m) {
    proc.kill();
    throw new Error(`unexpected first line from ksef-sim: ${first}`);
  }
  const seed = JSON.parse((await it.next()).value);
  const url = m[1];
  const control = async (method, path, body) => {
    const res = await fetch(`${url}/_sim${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`ksef-sim ${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    nip: seed.nip,
    token: seed.token,
    addFaults: (faults) => control('POST', '/faults', { faults }),
    clearFaults: () => control('DELETE', '/faults'),
    // sample is a sample invoice with the values filled in ({ sellerNip, number, … }).
    async sample(name, fill = {}) {
      const res = await fetch(`${url}/_sim/samples/${name}?${new URLSearchParams(fill)}`);
      if (!res.ok) throw new Error(`ksef-sim sample ${name}: ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    },
    async close() {
      lines.close();
      proc.kill();
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    },
  };
}

// Polling fast keeps the suite quick; everything else is the core's default.
export const fast = { pollInitialMs: 20, pollMaxMs: 100, backoffMs: 20 };
