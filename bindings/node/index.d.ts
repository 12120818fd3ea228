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

/** Certificate or key file contents: bytes (PEM, DER, PKCS#12) or PEM text. */
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

export declare class Sessions {
  list(input?: { pageSize?: number; continuationToken?: string; all?: boolean } & CallOptions): Promise<{ items: AuthSession[]; continuationToken?: string }>;
  revoke(input?: { referenceNumber?: string } & CallOptions): Promise<{ revoked: string; current: boolean }>;
}

/** Selects a profile: its name (default KSEF_PROFILE, then the active one) and the configuration file (default KSEF_CONFIG, then ~/.config/ksefkit/config.toml). */
export interface ProfileInput extends CallOptions {
  name?: string;
  config?: string;
}

export declare class Auth {
  readonly sessions: Sessions;
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

/** A batch's documents: a directory (its *.xml files), paths, or small inputs given whole. */
export type BatchFiles = string | string[] | { name: string; data: Uint8Array | string }[];

export interface BatchRunOptions extends CallOptions {
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
  outcome: 'accepted' | 'duplicate' | 'rejected' | 'processing' | 'retry' | 'invalid' | 'failed' | 'notSent' | 'notInBatch' | (string & {});
  result?: Record<string, unknown>;
  error?: { code: string; message: string; field?: string; [k: string]: unknown };
}

/** The outcome of a batch (docs/ops.md, batch.send). */
export interface BatchReport {
  referenceNumber: string;
  status: { code: number; description: string; details?: string[] };
  ok: boolean;
  invoiceCount: number;
  successfulInvoiceCount: number;
  failedInvoiceCount: number;
  invoices: Record<string, unknown>[];
  packing: { compression: string; level: number; partSize: number };
  archive: { size: number; sha256: string };
  parts: { ordinalNumber: number; size: number; uploaded: boolean; attempts?: number }[];
  documents: BatchDocumentResult[];
  upo?: { referenceNumber: string; xml: string; sha256: string; hashChecked: boolean; verified: boolean; verification?: Record<string, any>; verificationError?: object }[];
  upoError?: object;
}

/** A batch's state (SECRET); util.inspect hides it, toJSON keeps it. */
export declare class SavedBatchState {
  private constructor();
  readonly referenceNumber: string;
  toJSON(): object;
}

export declare class Batch {
  /** One batch session: check, pack, encrypt, upload, close, wait (progress events come with the core's stream support). */
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
  readonly batch: Batch;
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

export declare const certs: {
  inspect(input: { cert: KeyMaterial; key?: KeyMaterial; password?: string } & CallOptions): Promise<CertificateInfo & { keyLoaded: boolean; valid: boolean; validNote?: string }>;
  generateTestCertificate(input?: { kind?: 'personal' | 'seal'; nip?: string; pesel?: string; givenName?: string; surname?: string; organization?: string; commonName?: string; keyType?: 'ecdsa' | 'rsa'; password?: string; validDays?: number } & CallOptions): Promise<{ certificatePem: string; keyPem: string; pkcs12: string; info: CertificateInfo }>;
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
  code: string;
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
}

export declare class KsefError extends Error implements KsefErrorFields {
  code: string;
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
}
export declare class InputError extends KsefError {}
export declare class ApiError extends KsefError {}
export declare class AuthFailedError extends ApiError {}
export declare class UnauthorizedError extends ApiError {}
export declare class ForbiddenError extends ApiError {}
export declare class RateLimitError extends ApiError {
  /** seconds */
  retryAfter?: number;
}
export declare class TransportError extends KsefError {}
export declare class TimeoutError extends KsefError {}
/** name is 'AbortError', like an aborted fetch. */
export declare class CanceledError extends KsefError {}
export declare class CryptoError extends KsefError {}
export declare class SignatureError extends KsefError {}
export declare class NotAuthenticatedError extends KsefError {}
export declare class InvalidHandleError extends KsefError {}
export declare class InternalError extends KsefError {}
