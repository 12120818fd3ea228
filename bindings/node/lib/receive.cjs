'use strict';
// Invoices out of KSeF: invoices.get, invoices.query, invoices.export and
// invoices.sync (docs/ops.md), each one operation of the core's table. The
// filters are KSeF's InvoiceQueryFilters (Date values go as ISO 8601); the
// checks, the narrowing past KSeF's limits, the decryption and the sync's
// state are the core's. This file builds inputs and turns the results'
// base64 into Buffers.

const { readFileSync } = require('node:fs');
const { inspect } = require('node:util');

function compact(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false && v !== null));
}

const bytes = (b64) => (b64 ? Buffer.from(b64, 'base64') : undefined);

// SyncState is a sync's state kept by the caller instead of a file: pass it
// as { state }; after the loop JSON.stringify(state) is what to store.
class SyncState {
  constructor(raw = {}) { this.raw = raw; }
  static fromJSON(text) { return new SyncState(JSON.parse(text)); }
  toJSON() { return this.raw; }
  [inspect.custom]() { return `SyncState { subjects: [${Object.keys(this.raw.subjects || {}).join(', ')}] }`; }
}

// SyncedInvoice is a document a sync delivered: its files in the sync's dir.
class SyncedInvoice {
  constructor(d) { Object.assign(this, d); }
  // xml reads the invoice from its file.
  get xml() {
    if (!this.path) throw new TypeError('a metadata-only sync has no XML');
    return readFileSync(this.path);
  }
}

class InvoiceReceiving {
  #c;
  constructor(c) { this.#c = c; }

  // get downloads an invoice exactly as KSeF stores it (x-ms-meta-hash
  // checked), or writes it to path. ApiError with exception 21164: none such.
  async get(ksefNumber, { path, timeoutMs, signal } = {}) {
    const r = await this.#c.call('invoices.get', { ksefNumber, ...compact({ path, timeoutMs }) }, { signal });
    return { ...r, xml: bytes(r.xml) };
  }

  // queryPage is one request of the metadata query; pass page.cursor back
  // (with the same filters) for the next.
  queryPage(filters, { sortOrder, pageSize, cursor, signal } = {}) {
    return this.#c.call('invoices.query', { filters, ...compact({ sortOrder, pageSize, cursor }) }, { signal });
  }

  // query yields every record once — also past KSeF's 10 000-record limit —
  // fetching pages as the loop advances.
  async *query(filters, { sortOrder, pageSize, signal } = {}) {
    let cursor;
    do {
      const p = await this.queryPage(filters, { sortOrder, pageSize, cursor, signal });
      yield* p.invoices;
      cursor = p.cursor;
    } while (cursor);
  }

  // export runs an export and downloads, checks and decrypts its parts: the
  // package goes to path (a ZIP), or into dir, or (neither) its invoices come
  // back inline (up to 64 MiB). A tampered part is a ProtocolError.
  // onProgress follows the download (stage "download": parts and bytes).
  async export(filters, { path, dir, onlyMetadata, timeoutMs, signal, onProgress } = {}) {
    const r = await this.#c.call('invoices.export', { filters, ...compact({ path, dir, onlyMetadata, timeoutMs }) }, { signal, onProgress });
    return { ...r, invoices: (r.invoices || []).map((x) => ({ ...x, xml: bytes(x.xml) })) };
  }

  // sync yields every invoice new since the last run (since on the first),
  // window by window, as files in dir. The state — a file path, or a
  // SyncState — moves on only when the loop asks for the document after a
  // window's last: a loop that stops early, or a crash, gets that window
  // again next time, never loses one.
  async *sync({ state, dir, subjectTypes, since, onlyMetadata, timeoutMs, signal, onProgress } = {}) {
    const inFile = !(state instanceof SyncState);
    const base = { dir, ...compact({ subjectTypes, since, onlyMetadata, timeoutMs }) };
    let until;
    for (;;) {
      const input = { ...base, ...(inFile ? { statePath: state } : { state: state.raw }), ...compact({ until }) };
      const w = await this.#c.call('invoices.sync.window', input, { signal, onProgress });
      until = w.until;
      if (w.done) return;
      for (const d of w.documents) yield new SyncedInvoice(d);
      // Every document of the window was taken: only now the state moves.
      if (inFile) await this.#c.call('invoices.sync.commit', { statePath: state, state: w.next }, { signal });
      else state.raw = w.next;
    }
  }

  // syncAll is the whole sync in one call (invoices.sync): documents into
  // dir, the state file moved after each window.
  syncAll({ state, dir, subjectTypes, since, onlyMetadata, timeoutMs, signal, onProgress } = {}) {
    return this.#c.call('invoices.sync', { statePath: state, dir, ...compact({ subjectTypes, since, onlyMetadata, timeoutMs }) }, { signal, onProgress });
  }
}

module.exports = { InvoiceReceiving, SyncState, SyncedInvoice };
