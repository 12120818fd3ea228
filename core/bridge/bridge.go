// Package bridge is what the C ABI (capi) and the wasm module (wasm) share:
// a table of client handles and the step/resume engine, behind functions
// that take and return bytes. Both export packages are thin shims over it,
// so a client handle, an envelope or an event means the same thing whether
// it crosses a C call or a wasm export.
//
// Handles are positive integers, never reused; 0 means "no client". An
// unknown, freed or forged handle gives a handle.invalid error, never a crash.
package bridge

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/ops"
	"github.com/ksefkit/ksefkit/core/step"
)

// Bridge is safe for concurrent use.
type Bridge struct {
	table  *ops.Table
	engine *step.Engine
	// configure lets a host adjust every new client's configuration (the
	// wasm build has no native HTTP driver, for instance).
	configure func(*ksef.Config)

	mu      sync.Mutex
	next    uint64
	clients map[uint64]*ksef.Client
}

// New returns a bridge over the default operation table.
func New(configure func(*ksef.Config)) *Bridge {
	return &Bridge{table: ops.Default(), engine: step.New(), configure: configure, clients: map[uint64]*ksef.Client{}}
}

// ClientCreated is the result of ClientNew.
type ClientCreated struct {
	Client      uint64          `json:"client"`
	Environment env.Environment `json:"environment"`
}

// ClientNew creates a client from a JSON configuration (ksef.JSONConfig)
// and returns its handle (0 on error) and an envelope.
func (b *Bridge) ClientNew(config []byte) (uint64, []byte) {
	cfg, err := ksef.ParseJSONConfig(config)
	if err != nil {
		return 0, ops.ErrorEnvelope(err)
	}
	if b.configure != nil {
		b.configure(&cfg)
	}
	c, err := ksef.New(cfg)
	if err != nil {
		return 0, ops.ErrorEnvelope(err)
	}
	b.mu.Lock()
	b.next++
	id := b.next
	b.clients[id] = c
	b.mu.Unlock()
	return id, ops.Marshal(ops.Envelope{OK: true, Result: ClientCreated{Client: id, Environment: c.Environment()}})
}

// ClientFree releases a handle. Operations in flight keep their client
// until they finish.
func (b *Bridge) ClientFree(id uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.clients[id]; !ok {
		return errs.New(errs.InvalidHandle, "client handle %d is unknown or already freed", id)
	}
	delete(b.clients, id)
	return nil
}

// Clients reports how many client handles are live.
func (b *Bridge) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}

func (b *Bridge) client(id uint64) (*ksef.Client, error) {
	if id == 0 {
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.clients[id]
	if !ok {
		return nil, errs.New(errs.InvalidHandle, "client handle %d is unknown or already freed", id)
	}
	return c, nil
}

// Call runs an operation to completion with the client's own driver
// (native HTTP, real timers) and returns the envelope.
func (b *Bridge) Call(ctx context.Context, clientID uint64, op string, input []byte) []byte {
	c, err := b.client(clientID)
	if err != nil {
		return ops.ErrorEnvelope(err)
	}
	return b.table.Call(ctx, c, op, input)
}

// Start begins an operation under the step/resume driver and returns its
// first event.
func (b *Bridge) Start(clientID uint64, op string, input []byte) []byte {
	return b.StartWith(clientID, op, input, nil)
}

// StartWith is Start with the host's step options (JSON, step.Options;
// empty: none).
func (b *Bridge) StartWith(clientID uint64, op string, input, options []byte) []byte {
	opts, err := step.ParseOptions(options)
	if err != nil {
		return startError(err)
	}
	c, err := b.client(clientID)
	if err != nil {
		return startError(err)
	}
	return b.engine.StartWith(c, op, input, opts)
}

func startError(err error) []byte {
	ev, _ := json.Marshal(map[string]any{"kind": "done", "op": 0, "envelope": json.RawMessage(ops.ErrorEnvelope(err))})
	return ev
}

// Resume answers the event an operation waits on.
func (b *Bridge) Resume(opID uint64, answer []byte) []byte { return b.engine.Resume(opID, answer) }

// ResumeData answers with bytes beside the answer; the bridge keeps data.
func (b *Bridge) ResumeData(opID uint64, answer, data []byte) []byte {
	return b.engine.ResumeData(opID, answer, data)
}

// EventData returns the bytes beside an operation's last event (valid
// until it is resumed or canceled).
func (b *Bridge) EventData(opID uint64) ([]byte, error) { return b.engine.EventData(opID) }

// Cancel unwinds an operation.
func (b *Bridge) Cancel(opID uint64) []byte { return b.engine.Cancel(opID) }

// InFlight reports operations started and not finished.
func (b *Bridge) InFlight() int { return b.engine.InFlight() }
