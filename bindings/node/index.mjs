// ESM entry: the same objects as the CommonJS entry (one shared core, one
// wasm instance, whichever way the package is loaded).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const k = require('./index.cjs');

export const {
  Client, SavedTokens, GeneratedToken, SavedBatchState, xades, certs, version, inflight, call, setBackend, getBackend,
  KsefError, InputError, ApiError, AuthFailedError, UnauthorizedError, ForbiddenError, RateLimitError,
  TransportError, TimeoutError, CanceledError, CryptoError, SignatureError, NotAuthenticatedError,
  InvalidHandleError, InternalError,
} = k;
export default k;
