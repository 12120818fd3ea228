package step

// HostFiles lets tests run the wasm module's file events natively.
var HostFiles = &hostFiles

// EventDataOf is EventData for tests that expect bytes.
func (e *Engine) EventDataOf(t interface{ Fatal(...any) }, op uint64) []byte {
	b, err := e.EventData(op)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
