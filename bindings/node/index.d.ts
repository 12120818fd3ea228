// Types of the ksefkit npm package. Operation results are the JSON the Go
// core returns (docs/ops.md); the shapes below name what callers use most.

/**
 * Which core runs operations: 'wasm' (ksef.wasm in this thread, the default)
 * or 'native' (libksef.so through koffi in a worker thread; needs the
 * optional peer dependency koffi and the library's path).
 */
export type Backend = 'wasm' | 'native';

export interface BackendOptions {
  /** Path of libksef.so for the native backend; default: env KSEFKIT_LIB. One library per process. */
  library?: string;
}

export interface ClientOptions extends BackendOptions {
  /** Core for this client; default: the module default (setBackend, KSEFKIT_BACKEND, else 'wasm'). Not sent to the core. */
  backend?: Backend;
  /** test, demo or prod */
  environment?: 'test' | 'demo' | 'prod' | (string & {});
  /** custom API base including /v2 (simulator, proxy); http only for loopback */
  baseUrl?: string;
  userAgent?: string;
  maxAttempts?: number;
  requestTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxRetryAfterMs?: number;
  backoffMs?: number;
  pollInitialMs?: number;
  pollMaxMs?: number;
  pollTimeoutMs?: number;
  refreshLeewayMs?: number;
  sessionPollInitialMs?: number;
  sessionPollMaxMs?: number;
  sessionPollTimeoutMs?: number;
  /** Waiting for an export's package: first wait, longest wait, give up after (resumable). */
  receivePollInitialMs?: number;
  receivePollMaxMs?: number;
  receivePollTimeoutMs?: number;
  /** Where an export being read is spooled (default the system's temporary directory). */
  tempDir?: string;
  /** Do not pace downloads, queries and exports by KSeF's limits (rely on its 429s alone). */
  noRateLimiter?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'off';
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ContextIdentifier {
  type: 'Nip' | 'InternalId' | 'NipVatUe' | 'PeppolId' | (string & {});
  value: string;
}

export interface AuthorizationPolicy {
  allowedIps?: { ip4Addresses?: string[]; ip4Ranges?: string[]; ip4Masks?: string[] };
}

export interface AuthInfo {
  referenceNumber: string;
  context: ContextIdentifier;
  method: string;
  accessTokenValidUntil: string;
  refreshTokenValidUntil: string;
  authenticatedAt: string;
  refreshedAt?: string;
}

export interface AuthSession {
  referenceNumber: string;
  isCurrent: boolean;
  startDate: string;
  authenticationMethod?: string;
  status: { code: number; description: string; details?: string[] };
  isTokenRedeemed?: boolean;
  lastTokenRefreshDate?: string;
  refreshTokenValidUntil?: string;
  [key: string]: unknown;
}

export interface Environment {
  name: string;
  apiBase: string;
  [key: string]: unknown;
}

/**
 * A certificate or key file's contents: its bytes (PEM, DER or PKCS#12, e.g.
 * `readFileSync(path)` or `generateTestCertificate().pkcs12`) or its text (PEM,
 * also after openssl's "Bag Attributes" lines or a byte order mark, or base64 of
 * DER/PKCS#12). The core decides which; a string is never taken as a path.
 */
export type KeyMaterial = Uint8Array | string;

export interface TokenAuthInput extends CallOptions {
  token: string;
  nip?: string;
  context?: ContextIdentifier;
  authorizationPolicy?: AuthorizationPolicy;
}

export interface CertificateAuthInput extends CallOptions {
  cert: KeyMaterial;
  key?: KeyMaterial;
  password?: string;
  nip?: string;
  context?: ContextIdentifier;
  subjectType?: 'certificateSubject' | 'certificateFingerprint';
  verifyCertificateChain?: boolean;
  authorizationPolicy?: AuthorizationPolicy;
}

/** The context's authentication sessions (client.auth.sessions). */
export declare class AuthSessions {
  list(input?: { pageSize?: number; continuationToken?: string; all?: boolean } & CallOptions): Promise<{ items: AuthSession[]; continuationToken?: string }>;
  revoke(input?: { referenceNumber?: string } & CallOptions): Promise<{ revoked: string; current: boolean }>;
}

/** Selects a profile: its name (default KSEF_PROFILE, then the active one) and the configuration file (default KSEF_CONFIG, then ~/.config/ksefkit/config.toml). */
export interface ProfileInput extends CallOptions {
  name?: string;
  config?: string;
}

export declare class Auth {
  readonly sessions: AuthSessions;
  withToken(input: TokenAuthInput): Promise<AuthInfo>;
  withCertificate(input: CertificateAuthInput): Promise<AuthInfo>;
  /** Authenticate as a profile says (environment variables over it); its environment must be this client's, else InputError. */
  withProfile(input?: string | ProfileInput): Promise<AuthInfo>;
  /** Generate a test certificate for the NIP and authenticate with it (TEST, simulator; refused against production). */
  withTestCertificate(input: string | ({ nip?: string; context?: ContextIdentifier } & CallOptions)): Promise<AuthInfo>;
  refresh(options?: CallOptions): Promise<AuthInfo>;
  info(options?: CallOptions): Promise<{ authenticated: boolean; auth?: AuthInfo }>;
  /** The current tokens for persisting across restarts. SECRET: JSON.stringify(saved) is the text to store. */
  exportTokens(options?: CallOptions): Promise<SavedTokens>;
  /** Install exported tokens (the object, its JSON text, or the parsed JSON). */
  restoreTokens(saved: SavedTokens | string | object, options?: CallOptions): Promise<AuthInfo>;
}

/** Exported tokens; util.inspect never shows them, toJSON() does (for storage). */
export declare class SavedTokens {
  private constructor();
  readonly referenceNumber: string;
  readonly refreshTokenValidUntil: string;
  toJSON(): object;
}

/** A KSeF token's description and status (never the token itself). */
export interface KsefToken {
  referenceNumber: string;
  authorIdentifier: { type: 'Nip' | 'Pesel' | 'Fingerprint' | (string & {}); value: string };
  contextIdentifier: ContextIdentifier;
  description: string;
  requestedPermissions: string[];
  dateCreated: string;
  lastUseDate?: string;
  status: 'Pending' | 'Active' | 'Revoking' | 'Revoked' | 'Failed' | (string & {});
  statusDetails?: string[];
}

export interface TokensFilter {
  statuses?: KsefToken['status'][];
  /** part of the description (≥ 3 characters) */
  description?: string;
  /** part of the author's NIP, PESEL or fingerprint (≥ 3 characters) */
  authorIdentifier?: string;
  authorIdentifierType?: 'Nip' | 'Pesel' | 'Fingerprint';
  /** 10–100 */
  pageSize?: number;
}

export interface TokensPage {
  tokens: KsefToken[];
  /** pass back (with the same filters) for the next page; absent on the last */
  cursor?: string;
}

/** A token KSeF has just generated. SECRET: `token` is shown once; util.inspect hides it, toJSON keeps it. */
export declare class GeneratedToken {
  private constructor();
  readonly referenceNumber: string;
  readonly status: string;
  readonly token: string;
  /** Why waiting for Active failed; the token is still valid output (wait again with tokens.get({ referenceNumber, wait: true })). */
  readonly waitError?: KsefError;
  toJSON(): object;
}

export declare class Tokens {
  /** POST /tokens, by default waiting until Active. */
  generate(input: { permissions: string[]; description: string; wait?: boolean } & CallOptions): Promise<GeneratedToken>;
  get(input: string | ({ referenceNumber: string; wait?: boolean } & CallOptions)): Promise<KsefToken>;
  page(input?: TokensFilter & { cursor?: string } & CallOptions): Promise<TokensPage>;
  /** Every matching token, newest first, pages fetched as the loop advances. */
  list(input?: TokensFilter & { cursor?: string }): AsyncGenerator<KsefToken, void, undefined>;
  /** Resolves to the reference number revoked. */
  revoke(input: string | ({ referenceNumber: string } & CallOptions)): Promise<string>;
}


/** An invoice: its XML bytes (exactly what is issued), a file path (the core reads it), or either with a name for reports. */
export type Invoice = Uint8Array | string | { name?: string; xml?: Uint8Array; path?: string };

export interface FormCode {
  systemCode: 'FA (3)' | 'FA (2)' | 'FA_RR (1)' | 'PEF (3)' | 'PEF_KOR (3)' | (string & {});
  schemaVersion: string;
  value: string;
}

export interface Status {
  code: number;
  description: string;
  details?: string[];
  /** 440: originalKsefNumber, originalSessionReferenceNumber */
  extensions?: Record<string, string>;
}

/** What KSeF acknowledged for one invoice; the KSeF number comes with wait(). */
export interface SentInvoice {
  invoiceReferenceNumber: string;
  /** Base64 SHA-256 of exactly the bytes given */
  invoiceHash: string;
  invoiceSize: number;
  invoiceNumber?: string;
  sellerNip?: string;
  issueDate?: string;
  /** KOD I (empty when the client's environment is unknown: a bare baseUrl — give environment too) */
  verificationLink?: string;
  /** the answer was lost and the invoice found in the session instead of being sent again */
  recovered?: boolean;
  attempts: number;
}

export type Outcome = 'accepted' | 'duplicate' | 'rejected' | 'processing' | 'retry' | 'invalid' | 'failed';

export interface InvoiceResult {
  ordinalNumber: number;
  invoiceReferenceNumber: string;
  invoiceNumber?: string;
  /** for a duplicate: the number the first copy got */
  ksefNumber?: string;
  invoiceHash: string;
  invoiceFileName?: string;
  outcome: Outcome;
  /** accepted or duplicate: the invoice is in KSeF under ksefNumber */
  ok: boolean;
  status: Status;
  originalSessionReferenceNumber?: string;
  acquisitionDate?: string;
  invoicingDate: string;
  permanentStorageDate?: string;
  invoicingMode?: 'Online' | 'Offline';
  verificationLink?: string;
  attempts?: number;
}

/** A UPO (the official receipt) as downloaded, with its signature checked. */
export interface Upo {
  referenceNumber: string;
  xml: Buffer;
  sha256: string;
  /** x-ms-meta-hash was present and matched */
  hashChecked: boolean;
  verified: boolean;
  verification?: { upo: { sessionReferenceNumber: string; documents: { ksefNumber: string; hash: string; invoiceNumber: string; sellerNip: string; mode: string; [key: string]: unknown }[]; [key: string]: unknown }; signer: CertificateInfo; signingTime: string; signatureMethod: string; chained: boolean };
  verificationError?: { code: string; message: string; findings?: string[] };
}

export interface SessionResult {
  referenceNumber: string;
  status: Status;
  /** processed (200); invoices may still have failed one by one */
  ok: boolean;
  invoiceCount: number;
  successfulInvoiceCount: number;
  failedInvoiceCount: number;
  invoices: InvoiceResult[];
  upo: Upo[];
  /** why the UPO could not be downloaded (the results stand) */
  upoError?: { code: string; message: string };
}

export interface DocumentResult {
  index: number;
  name?: string;
  ok: boolean;
  ksefNumber?: string;
  outcome: Outcome;
  sent?: SentInvoice;
  result?: InvoiceResult;
  error?: { code: string; message: string; field?: string; findings?: string[] };
}

export interface SendReport extends SessionResult {
  documents: DocumentResult[];
}

export interface SendOptions extends CallOptions {
  /** wait for every invoice and the UPO (default true); false: send, close, return */
  wait?: boolean;
  formCode?: FormCode['systemCode'];
  offlineMode?: boolean;
  /** report documents failing the local checks and send the rest (default: stop before anything is sent) */
  skipInvalid?: boolean;
  resend550?: number;
  /** parallel sends (native backend) */
  concurrency?: number;
  /** download the session UPO (default true) */
  upo?: boolean;
  timeoutMs?: number;
}

/** An open session's exported state. SECRET: holds the AES key; util.inspect hides it, toJSON keeps it. */
export declare class SavedSession {
  private constructor();
  readonly referenceNumber: string;
  readonly validUntil: string;
  toJSON(): object;
}

export declare class OnlineSession {
  private constructor();
  readonly referenceNumber: string;
  readonly formCode: FormCode;
  readonly validUntil: string;
  readonly closed: boolean;
  /** Check, encrypt and send one invoice; retry-safe. */
  send(invoice: Invoice, options?: { offlineMode?: boolean; hashOfCorrectedInvoice?: string } & CallOptions): Promise<SentInvoice>;
  /** Close; with wait, also wait for processing and answer the results and the UPO. */
  close(options?: { wait?: boolean; upo?: boolean; timeoutMs?: number } & CallOptions): Promise<SessionResult | undefined>;
  wait(options?: { upo?: boolean; timeoutMs?: number } & CallOptions): Promise<SessionResult>;
  export(options?: CallOptions): Promise<SavedSession>;
  [Symbol.asyncDispose](): Promise<void>;
}

export declare class Sessions {
  open(options?: { formCode?: FormCode['systemCode'] } & CallOptions): Promise<OnlineSession>;
  /** Resume a session from its SavedSession, its JSON text or the object. */
  restore(saved: SavedSession | string | object, options?: CallOptions): Promise<OnlineSession>;
  openHere(options?: CallOptions): Promise<{ referenceNumber: string; formCode: FormCode; validUntil: string }[]>;
  status(referenceNumber: string, options?: CallOptions): Promise<{ status: Status; dateCreated: string; dateUpdated: string; validUntil?: string; invoiceCount?: number; successfulInvoiceCount?: number; failedInvoiceCount?: number; [key: string]: unknown }>;
  /** Wait until KSeF processed a closed session; a TimeoutError carries referenceNumber and is resumable. */
  wait(referenceNumber: string, options?: { upo?: boolean; timeoutMs?: number } & CallOptions): Promise<SessionResult>;
  invoices(referenceNumber: string, options?: { failed?: boolean; pageSize?: number } & CallOptions): AsyncGenerator<InvoiceResult, void, undefined>;
  invoice(referenceNumber: string, invoiceReferenceNumber: string, options?: CallOptions): Promise<InvoiceResult>;
  invoiceUpo(referenceNumber: string, which: { invoiceReferenceNumber?: string; ksefNumber?: string } & CallOptions): Promise<Upo>;
  upo(referenceNumber: string, options?: { upoReferenceNumber?: string } & CallOptions): Promise<Upo[]>;
  list(filters?: { sessionType?: 'Online' | 'Batch'; referenceNumber?: string; statuses?: string[]; pageSize?: number; continuationToken?: string; [key: string]: unknown } & CallOptions): Promise<{ sessions: object[]; continuationToken?: string }>;
}

/** KSeF's InvoiceQueryFilters (docs/ops.md, invoices.query); Date values go as ISO 8601. */
export interface InvoiceQueryFilters {
  subjectType: 'Subject1' | 'Subject2' | 'Subject3' | 'SubjectAuthorized';
  dateRange: { dateType: 'Issue' | 'Invoicing' | 'PermanentStorage'; from: string | Date; to?: string | Date; restrictToPermanentStorageHwmDate?: boolean };
  ksefNumber?: string;
  invoiceNumber?: string;
  amount?: { type: 'Brutto' | 'Netto' | 'Vat'; from?: number; to?: number };
  sellerNip?: string;
  buyerIdentifier?: { type: 'Nip' | 'VatUe' | 'Other' | 'None'; value?: string };
  currencyCodes?: string[];
  invoicingMode?: 'Online' | 'Offline';
  isSelfInvoicing?: boolean;
  formType?: 'FA' | 'PEF' | 'FA_RR';
  invoiceTypes?: string[];
  hasAttachment?: boolean;
}

/** One invoice's InvoiceMetadata, as KSeF returns it. */
export interface InvoiceMetadata {
  ksefNumber: string;
  invoiceNumber: string;
  issueDate: string;
  invoicingDate: string;
  acquisitionDate: string;
  permanentStorageDate: string;
  seller: { nip: string; name?: string };
  buyer: { identifier: { type: string; value?: string }; name?: string };
  netAmount: number;
  grossAmount: number;
  vatAmount: number;
  currency: string;
  invoicingMode: string;
  invoiceType: string;
  formCode: FormCode;
  isSelfInvoicing: boolean;
  hasAttachment: boolean;
  invoiceHash: string;
  [key: string]: unknown;
}

export interface MetadataPage { invoices: InvoiceMetadata[]; cursor?: string; permanentStorageHwmDate?: string; narrowed?: boolean }
export interface DownloadedInvoice { ksefNumber: string; xml?: Buffer; path?: string; size: number; sha256: string; hashChecked: boolean }
export interface ExportResult {
  referenceNumber: string;
  package: { invoiceCount: number; size: number; isTruncated: boolean; lastPermanentStorageDate?: string; permanentStorageHwmDate?: string; parts: object[] };
  path?: string;
  dir?: string;
  invoices: { metadata: InvoiceMetadata; path?: string; xml?: Buffer }[];
}

/** A sync's state kept by the caller instead of a file; JSON.stringify it to store. */
export declare class SyncState {
  constructor(raw?: object);
  static fromJSON(text: string): SyncState;
  raw: object;
  toJSON(): object;
}

/** A document a sync delivered: its files in the sync's dir. */
export declare class SyncedInvoice {
  ksefNumber: string;
  subjectType: string;
  path?: string;
  metadataPath: string;
  metadata: InvoiceMetadata;
  /** The XML, read from its file. */
  readonly xml: Buffer;
}

export interface SyncOptions extends CallOptions, ProgressOptions {
  /** The state's file (moved atomically after each window), or a SyncState kept by the caller. */
  state: string | SyncState;
  dir: string;
  subjectTypes?: InvoiceQueryFilters['subjectType'][];
  since?: string | Date;
  onlyMetadata?: boolean;
  timeoutMs?: number;
}

export declare class Invoices {
  /** Send invoices through one online session: per document its KSeF number or typed failure, KOD I links, and the session UPO. */
  send(invoices: Iterable<Invoice>, options?: SendOptions): Promise<SendReport>;
  /** Download an invoice exactly as KSeF stores it (or write it to path); 21164: ApiError. */
  get(ksefNumber: string, options?: { path?: string; timeoutMs?: number } & CallOptions): Promise<DownloadedInvoice>;
  /** One request of the metadata query; pass cursor back for the next. */
  queryPage(filters: InvoiceQueryFilters, options?: { sortOrder?: 'Asc' | 'Desc'; pageSize?: number; cursor?: string } & CallOptions): Promise<MetadataPage>;
  /** Every record of the query, each once (also past KSeF's 10 000-record limit). */
  query(filters: InvoiceQueryFilters, options?: { sortOrder?: 'Asc' | 'Desc'; pageSize?: number } & CallOptions): AsyncGenerator<InvoiceMetadata, void, undefined>;
  /** Export, download, check and decrypt: to path (ZIP), into dir, or inline (up to 64 MiB). */
  export(filters: InvoiceQueryFilters, options?: { path?: string; dir?: string; onlyMetadata?: boolean; timeoutMs?: number } & CallOptions & ProgressOptions): Promise<ExportResult>;
  /** Incremental sync: new invoices, window by window; the state moves only after the loop took a window's documents. */
  sync(options: SyncOptions): AsyncGenerator<SyncedInvoice, void, undefined>;
  /** The whole sync in one call (invoices.sync) into dir; state is a file. */
  syncAll(options: SyncOptions & { state: string }): Promise<{ delivered: number; windows: object[]; caughtUp: boolean; documents: object[] }>;
}

/** A batch's documents: a directory (its *.xml files), paths, or small inputs given whole. */
export type BatchFiles = string | string[] | { name: string; data: Uint8Array | string }[];

/** A progress report of a long operation (counters are totals so far). */
export interface Progress {
  /** batch: pack, open, upload, close, process, upo; export: download; sync: sync */
  stage: string;
  done: number;
  total?: number;
  bytes?: number;
  bytesTotal?: number;
  detail?: string;
}

export interface ProgressOptions {
  /** called with each progress report (at most every 100 ms, and the last one at the end) */
  onProgress?: (progress: Progress) => void;
}

export interface BatchRunOptions extends CallOptions, ProgressOptions {
  /** wait for KSeF's processing (default true); false returns once the session is closed */
  wait?: boolean;
  /** download the session UPO (default true) */
  upo?: boolean;
  /** keep the batch's state (SECRET) in this file after every step, for resume() after a crash */
  statePath?: string;
  uploadConcurrency?: number;
  /** bounds the wait for processing only */
  timeoutMs?: number;
}

export interface BatchSendOptions extends BatchRunOptions {
  formCode?: 'FA (3)' | 'FA (2)' | 'FA_RR (1)' | (string & {});
  compression?: 'Zip' | 'TarGz';
  level?: number;
  store?: boolean;
  /** plaintext bytes per part, at most 100 000 000 */
  partSize?: number;
  /** leave documents failing the local checks out (default: one stops the batch before anything is sent) */
  skipInvalid?: boolean;
  offlineMode?: boolean;
}

export interface BatchDocumentResult {
  index: number;
  name: string;
  /** the invoice is in KSeF under ksefNumber (for a duplicate: the original's) */
  ok: boolean;
  ksefNumber?: string;
  outcome: Outcome | 'notSent' | 'notInBatch';
  result?: InvoiceResult;
  error?: { code: string; message: string; field?: string; findings?: string[] };
}

/** The outcome of a batch (docs/ops.md, batch.send). */
export interface BatchReport extends SessionResult {
  packing: { compression: string; level: number; partSize: number };
  archive: { size: number; sha256: string };
  parts: { ordinalNumber: number; size: number; uploaded: boolean; attempts?: number }[];
  documents: BatchDocumentResult[];
}

/** A batch's state (SECRET); util.inspect hides it, toJSON keeps it. */
export declare class SavedBatchState {
  private constructor();
  readonly referenceNumber: string;
  toJSON(): object;
}

export declare class Batch {
  /** One batch session: check, pack, encrypt, upload, close, wait; onProgress follows it. */
  send(files: BatchFiles, options?: BatchSendOptions): Promise<BatchReport>;
  /** Go on with an interrupted batch: only the missing parts are uploaded. */
  resume(files: BatchFiles, options?: BatchRunOptions & { state?: SavedBatchState | string | object; referenceNumber?: string }): Promise<BatchReport>;
  exportState(referenceNumber: string, options?: CallOptions): Promise<SavedBatchState>;
}

export declare class Client {
  private constructor(config: ClientOptions);
  static create(options: ClientOptions): Promise<Client>;
  /** A client for a profile's environment, authenticated as the profile says; client options override the profile's. */
  static fromProfile(input?: string | (ProfileInput & ClientOptions)): Promise<Client>;
  readonly auth: Auth;
  readonly tokens: Tokens;
  readonly sessions: Sessions;
  readonly invoices: Invoices;
  readonly batch: Batch;
  /** Open an online session: `await using s = await client.onlineSession()` closes it at the end of the block. */
  onlineSession(options?: { formCode?: FormCode['systemCode'] } & CallOptions): Promise<OnlineSession>;
  readonly environment: Environment | undefined;
  /** The backend chosen at create. */
  readonly backend: Backend;
  /** Run any operation of the core's table with this client. */
  call<T = unknown>(op: string, input?: object, options?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  serialNumberHex: string;
  notBefore: string;
  notAfter: string;
  keyType: string;
  keyBits: number;
  curve?: string;
  fingerprintSha256: string;
  selfSigned: boolean;
  identity: { type: string; value: string; source?: string };
  kind: string;
}

export declare const xades: {
  sign(input: { xml: string; cert: KeyMaterial; key?: KeyMaterial; password?: string; signingTime?: string; signatureId?: string; signedPropertiesId?: string; referenceId?: string } & CallOptions): Promise<{ xml: string; signatureMethod: string }>;
  /** Verify and report; with `strict: true` an invalid signature rejects with a SignatureError. */
  verify(input: { xml: string; strict?: boolean } & CallOptions): Promise<XadesReport>;
  /** Lay out a signature for a key held elsewhere: sign `digest` (already hashed with `hash`) outside, then call complete. */
  prepare(input: { xml: string; cert: KeyMaterial; signingTime?: string; signatureId?: string; signedPropertiesId?: string; referenceId?: string } & CallOptions): Promise<{ digest: Buffer; hash: string; signatureMethod: string; keyType: 'RSA' | 'ECDSA'; state: string }>;
  /** Insert an externally made signature value (PKCS#1 v1.5, or ECDSA r||s or DER); it is verified first. */
  complete(input: { state: string; signatureValue: Uint8Array } & CallOptions): Promise<{ xml: string; signatureMethod: string }>;
};

export interface XadesReport {
  valid: boolean;
  findings: { code: string; message: string; severity: 'error' | 'warning' }[];
  certificate?: CertificateInfo;
  signingTime?: string;
  signatureMethod?: string;
  subjectIdentifierType?: string;
  identity?: { type: string; value: string; source?: string };
}

export interface TestCertificate {
  /** PEM text of the certificate. */
  certificatePem: string;
  /** PEM text of the unencrypted PKCS#8 key (secret). */
  keyPem: string;
  /** The PKCS#12 file's bytes (holds the key; secret). */
  pkcs12: Buffer;
  info: CertificateInfo;
}

export declare const certs: {
  inspect(input: { cert: KeyMaterial; key?: KeyMaterial; password?: string } & CallOptions): Promise<CertificateInfo & { keyLoaded: boolean; valid: boolean; validNote?: string }>;
  /** A self-signed KSeF TEST certificate: PEM texts, and the PKCS#12 file's bytes (protected by `password`, if given) — each accepted as KeyMaterial. */
  generateTestCertificate(input?: { kind?: 'personal' | 'seal'; nip?: string; pesel?: string; givenName?: string; surname?: string; organization?: string; commonName?: string; keyType?: 'ecdsa' | 'rsa'; password?: string; validDays?: number } & CallOptions): Promise<TestCertificate>;
};

/** Build information of the core (platform 'wasip1/wasm' or e.g. 'linux/amd64' for native). */
export declare function version(options?: { backend?: Backend }): { version: string; apiVersion: string; go: string; platform: string };
/** Operations started in the core and not finished (native: libksef.so's ksef_inflight). */
export declare function inflight(options?: { backend?: Backend }): number;
/** Run any operation; with `client` it runs on that client (and its backend), else on `backend` or the module default. */
export declare function call<T = unknown>(op: string, input?: object, options?: CallOptions & { client?: Client; backend?: Backend }): Promise<T>;
/**
 * Set the module default backend (client-less calls, and clients created
 * without `backend`). 'native' starts at once, so a missing koffi or library
 * throws an InputError here.
 */
export declare function setBackend(backend: Backend, options?: BackendOptions): void;
/** The module default backend: setBackend's, else env KSEFKIT_BACKEND, else 'wasm'. */
export declare function getBackend(): Backend;

export interface KsefErrorFields {
  code: ErrorCode | (string & {});
  message: string;
  httpStatus?: number;
  exceptions: { code: number; description?: string; details?: string[] }[];
  traceId?: string;
  referenceNumber?: string;
  status?: number;
  statusDescription?: string;
  statusDetails: string[];
  findings: string[];
  field?: string;
  warnings: { code: string; message: string }[];
  /** Seconds KSeF asked to wait (a 429 that outlasted the retries). */
  retryAfter?: number;
  /** Whether the same call, made again later unchanged, can succeed (transport, timeout, rate limit). */
  readonly retryable: boolean;
}

/** Base of every ksefkit error; `code` is the envelope's stable code. */
export declare class KsefError extends Error implements KsefErrorFields {
  /** The code of errors of this class made without one. */
  static readonly code: string;
  /** Built from the envelope's error object (the package does this; tests may too). */
  constructor(error?: Partial<Omit<KsefErrorFields, 'retryable'>> & { [key: string]: unknown }, warnings?: { code: string; message: string }[]);
  code: ErrorCode | (string & {});
  httpStatus?: number;
  exceptions: { code: number; description?: string; details?: string[] }[];
  traceId?: string;
  referenceNumber?: string;
  status?: number;
  statusDescription?: string;
  statusDetails: string[];
  findings: string[];
  field?: string;
  warnings: { code: string; message: string }[];
  retryAfter?: number;
  readonly retryable: boolean;
}

// The exception classes, one per error code of the core. CanceledError's
// name is 'AbortError', like an aborted fetch.
// BEGIN GENERATED declarations by `make errors` from core/errs/table.go; do not edit
/** Every code of the envelope's error (core/errs); KsefError.code may also hold a code added later. */
export type ErrorCode =
  | 'input.invalid'
  | 'op.unknown'
  | 'ksef.api'
  | 'ksef.auth_failed'
  | 'ksef.unauthorized'
  | 'ksef.forbidden'
  | 'ksef.rate_limited'
  | 'ksef.gone'
  | 'ksef.protocol'
  | 'auth.required'
  | 'transport'
  | 'timeout'
  | 'canceled'
  | 'crypto'
  | 'signature.invalid'
  | 'handle.invalid'
  | 'internal';
/** `input.invalid` — The caller's input is wrong (bad identifier, missing field, malformed JSON, unreadable certificate); nothing was sent. */
export declare class InputError extends KsefError {}
/** `op.unknown` — The operation name is not in the table (ops.list lists them); an empty name is input.invalid for the field op. */
export declare class UnknownOperationError extends InputError {}
/** `ksef.api` — KSeF answered with an error (HTTP 4xx/5xx or an exception body); the base of every ksef.* code. */
export declare class ApiError extends KsefError {}
/** `ksef.auth_failed` — An authentication ended with a terminal status (415, 425, 450, 460, 470, 480, 500, 550 after the retry); see status. */
export declare class AuthFailedError extends ApiError {}
/** `ksef.unauthorized` — HTTP 401: the access token is missing, expired or revoked; authenticate again. */
export declare class UnauthorizedError extends ApiError {}
/** `ksef.forbidden` — HTTP 403: permissions, IP policy or a security block. */
export declare class ForbiddenError extends ApiError {}
/** `ksef.rate_limited` — HTTP 429 that outlasted the retry budget; retry after retryAfterSeconds. */
export declare class RateLimitError extends ApiError {
  readonly retryable: true;
}
/** `ksef.gone` — HTTP 410: an asynchronous operation's status passed its retention. */
export declare class GoneError extends ApiError {}
/** `ksef.protocol` — KSeF (or something posing as it) answered with a body the client cannot understand. */
export declare class ProtocolError extends ApiError {}
/** `auth.required` — The operation needs an authenticated client. */
export declare class NotAuthenticatedError extends KsefError {}
/** `transport` — The request got no HTTP answer (DNS, TCP, TLS, reset, truncated body) after the retries allowed. */
export declare class TransportError extends KsefError {
  readonly retryable: true;
}
/** `timeout` — A deadline passed (per request, overall, or polling); polling timeouts carry the reference number to resume with. */
export declare class TimeoutError extends KsefError {
  readonly retryable: true;
}
/** `canceled` — The caller canceled the operation. */
export declare class CanceledError extends KsefError {}
/** `crypto` — A cryptographic step failed (wrong password, key not matching the certificate). */
export declare class CryptoError extends KsefError {}
/** `signature.invalid` — An XAdES signature failed verification; findings name the causes. */
export declare class SignatureError extends KsefError {}
/** `handle.invalid` — A client or operation handle is unknown, freed or forged. */
export declare class InvalidHandleError extends KsefError {}
/** `internal` — A bug in ksefkit (a recovered panic, an impossible state). */
export declare class InternalError extends KsefError {}
// END GENERATED declarations
