// ESM entry: the same objects as the CommonJS entry (one shared core, one
// wasm instance, whichever way the package is loaded).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const k = require('./index.cjs');

export const {
  Client, SavedTokens, GeneratedToken, SavedSession, OnlineSession, SavedBatchState, SyncState, xades, certs, version, inflight, call,
  setBackend, getBackend,
} = k;
// The exception classes, one per error code of the core.
// BEGIN GENERATED exports by `make errors` from core/errs/table.go; do not edit
export const {
  KsefError, InputError, UnknownOperationError, ApiError, AuthFailedError, UnauthorizedError,
  ForbiddenError, RateLimitError, GoneError, ProtocolError, NotAuthenticatedError, TransportError,
  TimeoutError, CanceledError, CryptoError, SignatureError, InvalidHandleError, InternalError,
} = k;
// END GENERATED exports
export default k;
