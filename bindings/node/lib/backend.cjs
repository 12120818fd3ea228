'use strict';
// Which core runs an operation: 'wasm' (ksef.wasm in this thread, the
// default) or 'native' (libksef.so in a worker thread, see native.cjs).
// Clients choose with Client.create({ backend }); client-less calls use the
// module default: setBackend(), else KSEFKIT_BACKEND, else 'wasm'.

const { instance } = require('./runtime.cjs');
const { InputError } = require('./errors.cjs');

const NAMES = ['wasm', 'native'];
let chosen = null; // { name, library } from setBackend

function check(name, where) {
  if (!NAMES.includes(name)) {
    throw new InputError({ code: 'input.invalid', field: 'backend', message: `${where}: unknown backend; choose wasm or native` });
  }
  return name;
}

function defaultName() {
  if (chosen) return chosen.name;
  return process.env.KSEFKIT_BACKEND ? check(process.env.KSEFKIT_BACKEND, 'KSEFKIT_BACKEND') : 'wasm';
}

// backend returns the live core object for a backend name (default: the
// module default); library applies to 'native' only.
function backend(name, library) {
  const n = name === undefined ? defaultName() : check(name, 'backend');
  if (n === 'wasm') return instance();
  return require('./native.cjs').native(library ?? chosen?.library);
}

// setBackend changes the module default. Choosing 'native' starts it now,
// so a missing koffi or library is reported here, not at the first call.
function setBackend(name, { library } = {}) {
  check(name, 'setBackend');
  if (name === 'native') require('./native.cjs').native(library);
  chosen = { name, library };
}

function getBackend() { return defaultName(); }

module.exports = { backend, setBackend, getBackend, NAMES };
