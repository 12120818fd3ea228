'use strict';
// Typed errors from the core's envelope. The Go core decides every code;
// the classes below, their parents and the code of each are generated from
// the one table of codes in Go (core/errs/table.go), as are the Python
// package's, so both bindings raise the same class for the same code.

const FIELDS = [
  'httpStatus', 'exceptions', 'traceId', 'referenceNumber', 'status', 'statusDescription',
  'statusDetails', 'findings', 'field', 'title', 'detail', 'reasonCode', 'timestamp',
];

class KsefError extends Error {
  // The code of errors made without one (each class names its own).
  static code = 'internal';

  constructor(error = {}, warnings) {
    super(error.message || error.code || new.target.code);
    this.code = error.code || new.target.code;
    for (const f of FIELDS) if (error[f] !== undefined) this[f] = error[f];
    this.exceptions = error.exceptions || [];
    this.statusDetails = error.statusDetails || [];
    this.findings = error.findings || [];
    this.warnings = error.warnings || warnings || [];
    // seconds KSeF asked to wait (a 429 that outlasted the retries)
    if (error.retryAfterSeconds !== undefined) this.retryAfter = error.retryAfterSeconds;
  }

  // Whether the same call, made again later unchanged, can succeed.
  get retryable() { return false; }
}

// BEGIN GENERATED classes by `make errors` from core/errs/table.go; do not edit

// input.invalid — The caller's input is wrong (bad identifier, missing field, malformed JSON, unreadable certificate); nothing was sent.
class InputError extends KsefError {
  static code = 'input.invalid';
}

// op.unknown — The operation name is not in the table (ops.list lists them); an empty name is input.invalid for the field op.
class UnknownOperationError extends InputError {
  static code = 'op.unknown';
}

// ksef.api — KSeF answered with an error (HTTP 4xx/5xx or an exception body); the base of every ksef.* code.
class ApiError extends KsefError {
  static code = 'ksef.api';
}

// ksef.auth_failed — An authentication ended with a terminal status (415, 425, 450, 460, 470, 480, 500, 550 after the retry); see status.
class AuthFailedError extends ApiError {
  static code = 'ksef.auth_failed';
}

// ksef.unauthorized — HTTP 401: the access token is missing, expired or revoked; authenticate again.
class UnauthorizedError extends ApiError {
  static code = 'ksef.unauthorized';
}

// ksef.forbidden — HTTP 403: permissions, IP policy or a security block.
class ForbiddenError extends ApiError {
  static code = 'ksef.forbidden';
}

// ksef.rate_limited — HTTP 429 that outlasted the retry budget; retry after retryAfterSeconds.
class RateLimitError extends ApiError {
  static code = 'ksef.rate_limited';
  get retryable() { return true; }
}

// ksef.gone — HTTP 410: an asynchronous operation's status passed its retention.
class GoneError extends ApiError {
  static code = 'ksef.gone';
}

// ksef.protocol — KSeF (or something posing as it) answered with a body the client cannot understand.
class ProtocolError extends ApiError {
  static code = 'ksef.protocol';
}

// auth.required — The operation needs an authenticated client.
class NotAuthenticatedError extends KsefError {
  static code = 'auth.required';
}

// transport — The request got no HTTP answer (DNS, TCP, TLS, reset, truncated body) after the retries allowed.
class TransportError extends KsefError {
  static code = 'transport';
  get retryable() { return true; }
}

// timeout — A deadline passed (per request, overall, or polling); polling timeouts carry the reference number to resume with.
class TimeoutError extends KsefError {
  static code = 'timeout';
  get retryable() { return true; }
}

// canceled — The caller canceled the operation.
class CanceledError extends KsefError {
  static code = 'canceled';
}

// crypto — A cryptographic step failed (wrong password, key not matching the certificate).
class CryptoError extends KsefError {
  static code = 'crypto';
}

// signature.invalid — An XAdES signature failed verification; findings name the causes.
class SignatureError extends KsefError {
  static code = 'signature.invalid';
}

// handle.invalid — A client or operation handle is unknown, freed or forged.
class InvalidHandleError extends KsefError {
  static code = 'handle.invalid';
}

// internal — A bug in ksefkit (a recovered panic, an impossible state).
class InternalError extends KsefError {
  static code = 'internal';
}

const CLASSES = {
  InputError,
  UnknownOperationError,
  ApiError,
  AuthFailedError,
  UnauthorizedError,
  ForbiddenError,
  RateLimitError,
  GoneError,
  ProtocolError,
  NotAuthenticatedError,
  TransportError,
  TimeoutError,
  CanceledError,
  CryptoError,
  SignatureError,
  InvalidHandleError,
  InternalError,
};
// END GENERATED classes

// Each class's name, for stack traces and util.inspect. CanceledError is
// AbortError-like, so code that checks err.name === 'AbortError' (the DOM
// convention for aborted fetches) treats it the same way.
for (const Cls of [KsefError, ...Object.values(CLASSES)]) {
  Object.defineProperty(Cls.prototype, 'name', { value: Cls.name, writable: true, configurable: true });
}
Object.defineProperty(CanceledError.prototype, 'name', { value: 'AbortError', writable: true, configurable: true });

const BY_CODE = Object.fromEntries(Object.values(CLASSES).map((Cls) => [Cls.code, Cls]));

function fromEnvelope(env) {
  const e = env.error || { code: 'internal', message: 'envelope without error' };
  const Cls = BY_CODE[e.code] || KsefError;
  return new Cls(e, env.warnings);
}

module.exports = { KsefError, ...CLASSES, CLASSES, fromEnvelope, BY_CODE };
