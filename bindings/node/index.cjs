'use strict';
// ksefkit: KSeF 2.0 client for Node, running the Go core as WebAssembly.
const api = require('./lib/client.cjs');
const errors = require('./lib/errors.cjs');

module.exports = {
  Client: api.Client,
  SavedTokens: api.SavedTokens,
  xades: api.xades,
  certs: api.certs,
  version: api.version,
  inflight: api.inflight,
  call: api.call,
  KsefError: errors.KsefError,
  InputError: errors.InputError,
  ApiError: errors.ApiError,
  AuthFailedError: errors.AuthFailedError,
  UnauthorizedError: errors.UnauthorizedError,
  ForbiddenError: errors.ForbiddenError,
  RateLimitError: errors.RateLimitError,
  TransportError: errors.TransportError,
  TimeoutError: errors.TimeoutError,
  CanceledError: errors.CanceledError,
  CryptoError: errors.CryptoError,
  SignatureError: errors.SignatureError,
  NotAuthenticatedError: errors.NotAuthenticatedError,
  InvalidHandleError: errors.InvalidHandleError,
  InternalError: errors.InternalError,
};

// Not public API: test and benchmark hooks (the live instance).
Object.defineProperty(module.exports, Symbol.for('ksefkit.internal'), {
  value: { instance: require('./lib/runtime.cjs').instance },
});
