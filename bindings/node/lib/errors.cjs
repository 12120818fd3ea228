'use strict';
// Typed errors from the core's envelope. The Go core decides every code;
// this file only maps codes to classes, through ONE table.

const FIELDS = [
  'httpStatus', 'exceptions', 'traceId', 'referenceNumber', 'status', 'statusDescription',
  'statusDetails', 'findings', 'field', 'title', 'detail', 'reasonCode', 'timestamp',
];

class KsefError extends Error {
  constructor(error = {}, warnings) {
    super(error.message || error.code || 'ksefkit error');
    this.name = new.target.name;
    this.code = error.code || 'internal';
    for (const f of FIELDS) if (error[f] !== undefined) this[f] = error[f];
    this.exceptions = error.exceptions || [];
    this.statusDetails = error.statusDetails || [];
    this.findings = error.findings || [];
    this.warnings = error.warnings || warnings || [];
  }
}

class InputError extends KsefError {}
class ApiError extends KsefError {}
class AuthFailedError extends ApiError {}
class UnauthorizedError extends ApiError {}
class ForbiddenError extends ApiError {}
class RateLimitError extends ApiError {
  constructor(error = {}, warnings) {
    super(error, warnings);
    // seconds, as KSeF's Retry-After
    this.retryAfter = error.retryAfterSeconds ?? undefined;
  }
}
class TransportError extends KsefError {}
class TimeoutError extends KsefError {}
// AbortError-like, so code that checks err.name === 'AbortError' (the DOM
// convention for aborted fetches) treats it the same way.
class CanceledError extends KsefError {
  constructor(error = {}, warnings) {
    super({ code: 'canceled', message: 'operation canceled', ...error }, warnings);
    this.name = 'AbortError';
  }
}
class CryptoError extends KsefError {}
class SignatureError extends KsefError {}
class NotAuthenticatedError extends KsefError {}
class InvalidHandleError extends KsefError {}
class InternalError extends KsefError {}

const BY_CODE = {
  'input.invalid': InputError,
  'op.unknown': InputError,
  'ksef.api': ApiError,
  'ksef.protocol': ApiError,
  'ksef.gone': ApiError,
  'ksef.auth_failed': AuthFailedError,
  'ksef.unauthorized': UnauthorizedError,
  'ksef.forbidden': ForbiddenError,
  'ksef.rate_limited': RateLimitError,
  transport: TransportError,
  timeout: TimeoutError,
  canceled: CanceledError,
  crypto: CryptoError,
  'signature.invalid': SignatureError,
  'auth.required': NotAuthenticatedError,
  'handle.invalid': InvalidHandleError,
  internal: InternalError,
};

function fromEnvelope(env) {
  const e = env.error || { code: 'internal', message: 'envelope without error' };
  const Cls = BY_CODE[e.code] || KsefError;
  return new Cls(e, env.warnings);
}

module.exports = {
  KsefError, InputError, ApiError, AuthFailedError, UnauthorizedError, ForbiddenError, RateLimitError,
  TransportError, TimeoutError, CanceledError, CryptoError, SignatureError, NotAuthenticatedError,
  InvalidHandleError, InternalError, fromEnvelope, BY_CODE,
};
