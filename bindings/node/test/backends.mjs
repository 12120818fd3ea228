// Runs a test file's suite once per backend: 'wasm' (ksef.wasm in this
// thread) and 'native' (libksef.so through koffi in a worker thread).
// Native needs koffi installed next to ksefkit and KSEFKIT_LIB (make
// test-node provides both and sets KSEFKIT_REQUIRE_NATIVE=1, so there a
// missing piece fails instead of skipping).
import { describe, before } from 'node:test';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { setBackend } from 'ksefkit';

const require = createRequire(import.meta.url);

function nativeMissing() {
  try {
    require.resolve('koffi', { paths: [require.resolve('ksefkit')] });
  } catch {
    return 'koffi is not installed';
  }
  if (!process.env.KSEFKIT_LIB || !existsSync(process.env.KSEFKIT_LIB)) return 'KSEFKIT_LIB does not name libksef.so';
  return null;
}

export const nativeSkip = (() => {
  const why = nativeMissing();
  if (why && process.env.KSEFKIT_REQUIRE_NATIVE === '1') throw new Error(`native backend required but ${why}`);
  return why ? `native backend unavailable: ${why}` : false;
})();

export const BACKENDS = ['wasm', 'native'];

// forEachBackend(fn) declares one suite per backend; inside it the module
// default (client-less calls, inflight(), Client.create without backend) is
// that backend, and fn gets its name.
export function forEachBackend(fn, only = BACKENDS) {
  for (const backend of only) {
    describe(backend, { skip: backend === 'native' ? nativeSkip : false }, () => {
      before(() => setBackend(backend));
      fn(backend);
    });
  }
}

export const platformRe = (backend) => (backend === 'wasm' ? /^wasip1\/wasm$/ : /^linux\//);
