'use strict';
// Online sessions and sending invoices: each method is one operation of the
// core's table (sessions.*, invoices.send). Checks, encryption, retries and
// waiting are the core's; this file builds inputs and decodes the bytes the
// results carry (UPO XML) into Buffers.

const { inspect } = require('node:util');
const { InvoiceReceiving } = require('./receive.cjs');

// document turns an invoice — a Buffer/Uint8Array with the exact bytes to
// issue, a file path string (native backend only: ksef.wasm has no
// filesystem), or { name, xml | path } — into the operation's input.
function document(inv) {
  if (inv instanceof Uint8Array) return { xml: Buffer.from(inv.buffer, inv.byteOffset, inv.byteLength).toString('base64') };
  if (typeof inv === 'string') return { path: inv };
  if (inv && typeof inv === 'object') {
    const d = inv.xml !== undefined ? document(inv.xml) : inv.path !== undefined ? { path: inv.path } : {};
    if (inv.name !== undefined) d.name = inv.name;
    return d;
  }
  // Anything else goes as it is: the core names what is missing.
  return { xml: inv };
}

function compact(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false));
}

function upo(u) {
  return { ...u, xml: Buffer.from(u.xml || '', 'base64') };
}

function processed(p) {
  return p && { ...p, upo: (p.upo || []).map(upo) };
}

// SavedSession holds an exported session state (a secret: the AES key).
// JSON.stringify gives the text to store; util.inspect shows no key.
class SavedSession {
  #raw;
  constructor(raw) {
    this.#raw = raw;
    this.referenceNumber = raw.referenceNumber;
    this.validUntil = raw.validUntil;
  }
  toJSON() { return this.#raw; }
  [inspect.custom]() {
    return `SavedSession { referenceNumber: '${this.referenceNumber}', validUntil: '${this.validUntil}', key: <redacted> }`;
  }
}

class OnlineSession {
  #c;
  constructor(c, info) {
    this.#c = c;
    this.referenceNumber = info.referenceNumber;
    this.formCode = info.formCode;
    this.validUntil = info.validUntil;
    this.closed = false;
  }
  send(invoice, { offlineMode, hashOfCorrectedInvoice, signal } = {}) {
    return this.#c.call('sessions.online.send', {
      referenceNumber: this.referenceNumber, ...document(invoice), ...compact({ offlineMode, hashOfCorrectedInvoice }),
    }, { signal });
  }
  async close({ wait, upo: withUpo = true, timeoutMs, signal } = {}) {
    const r = await this.#c.call('sessions.online.close', {
      referenceNumber: this.referenceNumber, ...compact({ wait, noUpo: !withUpo, timeoutMs: wait ? timeoutMs : undefined }),
    }, { signal });
    this.closed = true;
    return r.processed ? processed(r.processed) : undefined;
  }
  wait(options = {}) { return this.#c.sessions.wait(this.referenceNumber, options); }
  async export({ signal } = {}) {
    return new SavedSession(await this.#c.call('sessions.online.export', { referenceNumber: this.referenceNumber }, { signal }));
  }
  // `await using s = await client.onlineSession()` closes it at the end of the block.
  async [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    if (!this.closed) await this.close();
  }
  [inspect.custom]() {
    return `OnlineSession { referenceNumber: '${this.referenceNumber}', formCode: '${this.formCode?.systemCode}', closed: ${this.closed} }`;
  }
}

class Sessions {
  #c;
  #callText;
  // callText runs an operation whose input is JSON text the core parses.
  constructor(c, callText) {
    this.#c = c;
    this.#callText = callText;
  }
  async open({ formCode, signal } = {}) {
    return new OnlineSession(this.#c, await this.#c.call('sessions.online.open', compact({ formCode }), { signal }));
  }
  async restore(saved, { signal } = {}) {
    // Text goes to the core as it is, so a malformed state is an InputError
    // from Go (never a SyntaxError quoting the key).
    const input = saved instanceof SavedSession ? saved.toJSON() : saved;
    const info = typeof input === 'string'
      ? await this.#callText('sessions.online.restore', input, { signal })
      : await this.#c.call('sessions.online.restore', input, { signal });
    return new OnlineSession(this.#c, info);
  }
  async openHere({ signal } = {}) { return (await this.#c.call('sessions.online.list', {}, { signal })).sessions; }
  status(referenceNumber, { signal } = {}) { return this.#c.call('sessions.status', { referenceNumber }, { signal }); }
  async wait(referenceNumber, { upo: withUpo = true, timeoutMs, signal } = {}) {
    return processed(await this.#c.call('sessions.wait', { referenceNumber, ...compact({ noUpo: !withUpo, timeoutMs }) }, { signal }));
  }
  // invoices yields every invoice of a session (or only the failed ones), page by page.
  async *invoices(referenceNumber, { failed, pageSize, signal } = {}) {
    let continuationToken;
    do {
      const r = await this.#c.call('sessions.invoices.list', { referenceNumber, ...compact({ failed, pageSize, continuationToken }) }, { signal });
      yield* r.invoices;
      continuationToken = r.continuationToken || undefined;
    } while (continuationToken);
  }
  invoice(referenceNumber, invoiceReferenceNumber, { signal } = {}) {
    return this.#c.call('sessions.invoices.status', { referenceNumber, invoiceReferenceNumber }, { signal });
  }
  async invoiceUpo(referenceNumber, { invoiceReferenceNumber, ksefNumber, signal } = {}) {
    return upo(await this.#c.call('sessions.invoices.upo', { referenceNumber, ...compact({ invoiceReferenceNumber, ksefNumber }) }, { signal }));
  }
  async upo(referenceNumber, { upoReferenceNumber, signal } = {}) {
    const r = await this.#c.call('sessions.upo', { referenceNumber, ...compact({ upoReferenceNumber }) }, { signal });
    return r.pages.map(upo);
  }
  list({ sessionType = 'Online', signal, ...filters } = {}) {
    return this.#c.call('sessions.list', { sessionType, ...filters }, { signal });
  }
  [inspect.custom]() { return 'Sessions {}'; }
}

// Invoices sends invoices (here) and receives them (receive.cjs).
class Invoices extends InvoiceReceiving {
  #c;
  constructor(c) {
    super(c);
    this.#c = c;
  }
  // send sends invoices through one online session; by default it waits and
  // answers per document its KSeF number or typed failure, and the UPO.
  async send(invoices, {
    wait = true, formCode, offlineMode, skipInvalid, resend550, concurrency, upo: withUpo = true, timeoutMs, signal,
  } = {}) {
    const r = await this.#c.call('invoices.send', {
      invoices: Array.from(invoices ?? [], document),
      ...compact({ formCode, offlineMode, skipInvalid, resend550, concurrency, noUpo: !withUpo, noWait: !wait, timeoutMs }),
    }, { signal });
    return processed(r);
  }
  [inspect.custom]() { return 'Invoices {}'; }
}

module.exports = { Sessions, Invoices, OnlineSession, SavedSession };
