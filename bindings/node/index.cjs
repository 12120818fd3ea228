'use strict';
// ksefkit: KSeF 2.0 client for Node, running the Go core as WebAssembly
// (default) or, optionally, as libksef.so in a worker thread.
const api = require('./lib/client.cjs');
const errors = require('./lib/errors.cjs');
const receive = require('./lib/receive.cjs');

module.exports = {
  Client: api.Client,
  SavedTokens: api.SavedTokens,
  GeneratedToken: api.GeneratedToken,
  SavedBatchState: api.SavedBatchState,
  SavedSession: api.SavedSession,
  OnlineSession: api.OnlineSession,
  SyncState: receive.SyncState,
  xades: api.xades,
  certs: api.certs,
  version: api.version,
  inflight: api.inflight,
  call: api.call,
  setBackend: api.setBackend,
  getBackend: api.getBackend,
  // The exception classes, one per error code of the core (generated, lib/errors.cjs).
  KsefError: errors.KsefError,
  ...errors.CLASSES,
};

// Not public API: test and benchmark hooks — the live wasm instance, the
// core object of either backend, and the generic call answering the raw
// envelope (the parity vectors compare envelopes, not results).
const { run } = require('./lib/driver.cjs');
const { backend } = require('./lib/backend.cjs');

Object.defineProperty(module.exports, Symbol.for('ksefkit.internal'), {
  value: {
    instance: require('./lib/runtime.cjs').instance,
    errors,
    backend,
    // client: a configuration to run the operation on a fresh client
    // (after the setup steps, each of which must answer ok); the parity
    // vectors of session operations use it.
    callEnvelope: async (op, input, { backend: name, signal, client, setup = [] } = {}) => {
      const inst = backend(name);
      if (!client) return run(inst, 0, op, input, { signal, raw: true });
      const made = inst.clientNew(JSON.stringify(client));
      if (!made.ok) return made;
      const handle = made.result.client;
      try {
        for (const st of setup) {
          const env = await run(inst, handle, st.op, st.input, { signal, raw: true });
          if (!env.ok) throw new Error(`setup ${st.op} failed: ${JSON.stringify(env)}`);
        }
        return await run(inst, handle, op, input, { signal, raw: true });
      } finally {
        inst.clientFree(handle);
      }
    },
  },
});
