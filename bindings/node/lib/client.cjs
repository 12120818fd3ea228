'use strict';
// The public API, mirroring the Python package. Every method is one
// operation of the core's table; nothing is validated or computed here.

const { inspect } = require('node:util');
const { run, call } = require('./driver.cjs');
const { backend, setBackend, getBackend } = require('./backend.cjs');
const { fromEnvelope, InvalidHandleError, InputError } = require('./errors.cjs');
const { Sessions, Invoices, OnlineSession, SavedSession } = require('./sessions.cjs');

// b64 turns a Buffer/Uint8Array (file bytes) or a string (the file's text:
// PEM, or base64 of DER/PKCS#12 — the core decides which) into the base64
// the operations take. The error names the argument, never its value.
function b64(v, field) {
  if (v == null || v === '') return undefined;
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('base64');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  throw new InputError({ field, message: `${field} must be the file's bytes (Buffer, Uint8Array) or its text (string)` });
}

// Client's method taking the input as JSON text (not public API).
const CALL_TEXT = Symbol('callText');

function compact(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

// SavedTokens holds exported tokens (secrets). JSON.stringify gives the text
// to store; util.inspect and console.log show no token.
class SavedTokens {
  #raw;
  constructor(raw) {
    this.#raw = raw;
    this.referenceNumber = raw.referenceNumber;
    this.refreshTokenValidUntil = raw.refreshToken?.validUntil;
  }
  toJSON() { return this.#raw; }
  [inspect.custom]() {
    return `SavedTokens { referenceNumber: '${this.referenceNumber}', refreshTokenValidUntil: '${this.refreshTokenValidUntil}', tokens: <redacted> }`;
  }
}

// profileInput is the input of the profile operations: the core resolves
// everything, against this process's environment (which ksef.wasm cannot
// see itself).
function profileInput(arg) {
  const { name, config, signal } = typeof arg === 'string' ? { name: arg } : (arg ?? {});
  return [compact({ profile: name, config, environ: { ...process.env } }), { signal }];
}

// GeneratedToken is a token KSeF has just generated (tokens.generate). The
// token is a secret shown once: `token` gives it, util.inspect hides it,
// toJSON keeps it (for storage). waitError is why waiting for Active failed
// — the token is still valid output.
class GeneratedToken {
  #raw;
  constructor(raw) {
    this.#raw = raw;
    this.referenceNumber = raw.referenceNumber;
    this.status = raw.status;
    this.waitError = raw.waitError ? fromEnvelope({ ok: false, error: raw.waitError }) : undefined;
  }
  get token() { return this.#raw.token; }
  toJSON() { return this.#raw; }
  [inspect.custom]() {
    return `GeneratedToken { referenceNumber: '${this.referenceNumber}', status: '${this.status}', token: <redacted> }`;
  }
}

class Tokens {
  #c;
  constructor(c) { this.#c = c; }
  async generate({ permissions, description, wait = true, signal } = {}) {
    return new GeneratedToken(await this.#c.call('tokens.generate', compact({ permissions, description, wait: wait || undefined }), { signal }));
  }
  get(arg) {
    const { referenceNumber, wait, signal } = typeof arg === 'string' ? { referenceNumber: arg } : (arg ?? {});
    return this.#c.call('tokens.get', compact({ referenceNumber, wait }), { signal });
  }
  // page is one page of GET /tokens; pass its cursor back for the next.
  page({ statuses, description, authorIdentifier, authorIdentifierType, pageSize, cursor, signal } = {}) {
    return this.#c.call('tokens.list', compact({ statuses, description, authorIdentifier, authorIdentifierType, pageSize, cursor }), { signal });
  }
  // list yields every matching token, fetching pages as the loop advances.
  async *list({ cursor, ...filters } = {}) {
    let next = cursor;
    do {
      const p = await this.page({ ...filters, cursor: next });
      yield* p.tokens;
      next = p.cursor;
    } while (next);
  }
  async revoke(arg) {
    const { referenceNumber, signal } = typeof arg === 'string' ? { referenceNumber: arg } : (arg ?? {});
    return (await this.#c.call('tokens.revoke', { referenceNumber }, { signal })).revoked;
  }
}

// AuthSessions are the context's authentication sessions (client.auth.sessions).
class AuthSessions {
  #c;
  constructor(c) { this.#c = c; }
  list({ pageSize, continuationToken, all, signal } = {}) {
    return this.#c.call('auth.sessions.list', compact({ pageSize, continuationToken, all }), { signal });
  }
  revoke({ referenceNumber, signal } = {}) {
    return this.#c.call('auth.sessions.revoke', compact({ referenceNumber }), { signal });
  }
}

class Auth {
  #c;
  constructor(c) {
    this.#c = c;
    this.sessions = new AuthSessions(c);
  }
  withToken({ token, nip, context, authorizationPolicy, signal } = {}) {
    return this.#c.call('auth.token', compact({ token, nip, context, authorizationPolicy }), { signal });
  }
  async withCertificate({ cert, certificate, key, password, nip, context, subjectType, verifyCertificateChain, authorizationPolicy, signal } = {}) {
    const input = compact({
      certificate: b64(cert ?? certificate, 'certificate'), key: b64(key, 'key'), password, nip, context, subjectType,
      verifyCertificateChain, authorizationPolicy,
    });
    return this.#c.call('auth.xades', input, { signal });
  }
  // withProfile authenticates as a profile says (name, or { name, config });
  // its environment must be this client's.
  withProfile(arg) { return this.#c.call('auth.profile', ...profileInput(arg)); }
  // withTestCertificate generates a test certificate for the NIP and
  // authenticates with it (TEST and the simulator; refused against production).
  withTestCertificate(arg) {
    const { nip, context, signal } = typeof arg === 'string' ? { nip: arg } : (arg ?? {});
    return this.#c.call('auth.test_certificate', compact({ nip, context }), { signal });
  }
  refresh({ signal } = {}) { return this.#c.call('auth.refresh', {}, { signal }); }
  info({ signal } = {}) { return this.#c.call('auth.info', {}, { signal }); }
  async exportTokens({ signal } = {}) {
    return new SavedTokens(await this.#c.call('auth.tokens.export', {}, { signal }));
  }
  // Text is handed to the core as it is: a malformed one is an InputError
  // like any bad input (never a SyntaxError quoting the tokens).
  restoreTokens(saved, { signal } = {}) {
    if (typeof saved === 'string') return this.#c[CALL_TEXT]('auth.tokens.restore', saved, { signal });
    const raw = saved instanceof SavedTokens ? saved.toJSON() : saved;
    return this.#c.call('auth.tokens.restore', raw, { signal });
  }
  [inspect.custom]() { return 'Auth {}'; }
}

// batchSource names a batch's documents the way batch.send takes them: a
// directory (a string), paths (strings), or { name, data } for small inputs.
function batchSource(files) {
  if (typeof files === 'string') return { dir: files };
  if (!Array.isArray(files)) throw new InputError({ field: 'files', message: 'files must be a directory, an array of paths or an array of { name, data }' });
  if (files.every((f) => typeof f === 'string')) return { paths: files };
  return { documents: files.map(({ name, data }, i) => ({ name, xml: b64(data, `files[${i}].data`) })) };
}

function batchRun({ wait = true, upo = true, statePath, uploadConcurrency, timeoutMs }) {
  return compact({ noWait: wait ? undefined : true, noUpo: upo ? undefined : true, statePath, uploadConcurrency, timeoutMs });
}

// SavedBatchState is a batch's state (secrets: the session key, the upload
// URLs). JSON.stringify gives the text to store; util.inspect hides it.
class SavedBatchState {
  #raw;
  constructor(raw) {
    this.#raw = raw;
    this.referenceNumber = raw.referenceNumber;
  }
  toJSON() { return this.#raw; }
  [inspect.custom]() { return `SavedBatchState { referenceNumber: '${this.referenceNumber}', state: <redacted> }`; }
}

class Batch {
  #c;
  constructor(c) { this.#c = c; }
  // send runs batch.send: files is a directory, paths, or { name, data }.
  send(files, { signal, formCode, compression, level, store, partSize, skipInvalid, offlineMode, ...run } = {}) {
    const input = { ...batchSource(files), ...compact({ formCode, compression, level, store, partSize, skipInvalid, offlineMode }), ...batchRun(run) };
    return this.#c.call('batch.send', input, { signal });
  }
  // resume runs batch.resume: the documents again, and the state (a
  // SavedBatchState, its JSON), statePath or referenceNumber.
  resume(files, { signal, state, referenceNumber, ...run } = {}) {
    const raw = state instanceof SavedBatchState ? state.toJSON() : typeof state === 'string' ? JSON.parse(state) : state;
    return this.#c.call('batch.resume', { ...batchSource(files), ...compact({ state: raw, referenceNumber }), ...batchRun(run) }, { signal });
  }
  async exportState(referenceNumber, { signal } = {}) {
    return new SavedBatchState(await this.#c.call('batch.state.export', { referenceNumber }, { signal }));
  }
  [inspect.custom]() { return 'Batch {}'; }
}

class Client {
  #config;
  #backend; // 'wasm' | 'native', fixed at create
  #library;
  #handle = 0;
  #generation = 0;
  #closed = false;

  constructor(config, backendName, library) {
    this.#config = JSON.stringify(config);
    this.#backend = backendName;
    this.#library = library;
    this.auth = new Auth(this);
    this.tokens = new Tokens(this);
    this.sessions = new Sessions(this, (op, text, opts) => this[CALL_TEXT](op, text, opts));
    this.invoices = new Invoices(this);
    this.batch = new Batch(this);
  }

  // onlineSession opens an online session (FA (3) unless formCode says
  // otherwise): `await using s = await client.onlineSession()` closes it.
  onlineSession(options = {}) { return this.sessions.open(options); }

  // create makes a client: { environment: 'test'|'demo'|'prod' } or
  // { baseUrl } plus the options of the core's client configuration, and
  // optionally { backend: 'wasm'|'native', library } (not passed to the core).
  static async create(options = {}) {
    const { backend: name, library, ...config } = options;
    const c = new Client(compact(config), name ?? getBackend(), library);
    c.#ensure();
    return c;
  }

  // fromProfile makes a client for a profile's environment, authenticated as
  // the profile says: fromProfile(), fromProfile('name') or
  // fromProfile({ name, config, ...clientOptions }).
  static async fromProfile(arg = {}) {
    const { name, config, signal, ...options } = typeof arg === 'string' ? { name: arg } : arg;
    const { backend: backendName, library } = options;
    const r = await call('profile.resolve', profileInput({ name, config })[0], { signal, backend: backendName });
    const c = await Client.create({ ...r.client, ...options, backend: backendName, library });
    try {
      await c.auth.withProfile({ name, config, signal });
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  get backend() { return this.#backend; }

  get environment() { return this.#env; }

  // #ensure returns a live handle on the current instance. After a trap the
  // instance is new and the old handle meaningless: the configuration is
  // kept, so a new handle is made transparently — without the tokens, which
  // only ever lived inside the dead instance (authenticate again).
  #ensure() {
    if (this.#closed) throw new InvalidHandleError({ message: 'client is closed' });
    const inst = backend(this.#backend, this.#library);
    if (this.#handle === 0 || this.#generation !== inst.generation) {
      const env = inst.clientNew(this.#config);
      if (!env.ok) throw fromEnvelope(env);
      this.#handle = env.result.client;
      this.#generation = inst.generation;
      this.#env = env.result.environment;
    }
    return inst;
  }
  #env = undefined;

  // call runs any operation of the table with this client.
  async call(op, input = {}, { signal } = {}) {
    const inst = this.#ensure();
    return run(inst, this.#handle, op, input, { signal });
  }

  async [CALL_TEXT](op, text, { signal } = {}) {
    const inst = this.#ensure();
    return run(inst, this.#handle, op, undefined, { signal, text });
  }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    const inst = backend(this.#backend, this.#library);
    if (this.#handle && this.#generation === inst.generation) inst.clientFree(this.#handle);
    this.#handle = 0;
  }

  [inspect.custom]() {
    return `Client { environment: ${this.#env ? this.#env.name : '?'}, backend: ${this.#backend}, closed: ${this.#closed} }`;
  }
  toJSON() { return { environment: this.#env && this.#env.name, backend: this.#backend }; }
}

const xades = {
  async sign({ xml, cert, certificate, key, password, signingTime, signatureId, signal, ...rest } = {}) {
    return call('xades.sign', compact({ xml, certificate: b64(cert ?? certificate, 'certificate'), key: b64(key, 'key'), password, signingTime, signatureId, ...rest }), { signal });
  },
  verify({ xml, signal, ...rest } = {}) {
    return call('xades.verify', compact({ xml, ...rest }), { signal });
  },
  // The external-signer pair: the digest leaves, a signature value comes back.
  async prepare({ xml, cert, certificate, signal, ...rest } = {}) {
    const r = await call('xades.prepare', compact({ xml, certificate: b64(cert ?? certificate, 'certificate'), ...rest }), { signal });
    return { ...r, digest: Buffer.from(r.digest, 'base64') };
  },
  async complete({ state, signatureValue, signal } = {}) {
    return call('xades.complete', compact({ state, signatureValue: b64(signatureValue, 'signatureValue') }), { signal });
  },
};

const certs = {
  async inspect({ cert, certificate, key, password, signal } = {}) {
    return call('certs.inspect', compact({ certificate: b64(cert ?? certificate, 'certificate'), key: b64(key, 'key'), password }), { signal });
  },
  // pkcs12 comes back as the file's bytes (a Buffer), like Python's bytes,
  // so it goes straight back into withCertificate/inspect/sign.
  async generateTestCertificate({ signal, ...input } = {}) {
    const r = await call('certs.generate_test', compact(input), { signal });
    return { ...r, pkcs12: Buffer.from(r.pkcs12, 'base64') };
  },
};

// version is synchronous: it needs nothing but the core (of the module
// default backend, or { backend }).
function version({ backend: name } = {}) {
  const env = backend(name).version();
  if (!env.ok) throw fromEnvelope(env);
  return env.result;
}

// inflight reports operations started in the core and not finished (tests
// use it to prove cancellation unwinds the Go side); for 'native' it is
// libksef.so's ksef_inflight.
function inflight({ backend: name } = {}) { return backend(name).inflight(); }

module.exports = {
  Client, SavedTokens, GeneratedToken, SavedSession, OnlineSession, SavedBatchState, xades, certs, version, inflight,
  setBackend, getBackend,
  call: (op, input, opts = {}) => (opts.client ? opts.client.call(op, input, opts) : call(op, input, opts)),
};
