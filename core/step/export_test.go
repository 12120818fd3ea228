package step

// HostFiles lets tests run the wasm module's file events natively.
var HostFiles = &hostFiles
