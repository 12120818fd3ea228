// Package ops is the operation table: every capability the C library, the
// wasm module and the Python and Node packages expose, registered once with
// a name, a JSON input and a JSON output, and called through one entry
// point (Call) that answers with the envelope
//
//	{"ok":true,"result":…,"warnings":[…]}   or   {"ok":false,"error":{…}}
//
// The operations are thin adapters over package ksef; they hold no protocol
// logic of their own. docs/ops.md is generated from this table.
package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
)

// Op is one registered operation.
type Op struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	// NeedsClient marks operations that act through a client (network,
	// tokens); the others are pure functions of their input.
	NeedsClient bool `json:"needsClient"`
	// Network marks operations that talk to KSeF.
	Network bool `json:"network"`
	// HostFiles marks operations that read files of the host (a profile's
	// configuration file, certificates). Natively they read them directly;
	// in the wasm module only through ksef_start, as "file" events.
	HostFiles bool `json:"hostFiles,omitempty"`

	inType, outType reflect.Type
	run             func(ctx context.Context, c *ksef.Client, in json.RawMessage) (any, error)
	typed           any // the registered func(ctx, *ksef.Client, *In) (*Out, error), for Invoke
}

// Table is an immutable set of operations.
type Table struct {
	byName map[string]*Op
}

var defaultTable = &Table{byName: map[string]*Op{}}

// Default returns the table with every ksefkit operation.
func Default() *Table { return defaultTable }

// register adds an operation to the default table; called from init
// functions of this package only, so the table is complete before any call.
// The *Op returned lets the caller set further marks (HostFiles).
func register[In, Out any](name, summary string, needsClient, network bool, fn func(ctx context.Context, c *ksef.Client, in *In) (*Out, error)) *Op {
	if _, dup := defaultTable.byName[name]; dup {
		panic("ops: duplicate operation " + name)
	}
	op := &Op{
		Name: name, Summary: summary, NeedsClient: needsClient, Network: network,
		inType: reflect.TypeFor[In](), outType: reflect.TypeFor[Out](), typed: fn,
		run: func(ctx context.Context, c *ksef.Client, raw json.RawMessage) (any, error) {
			in := new(In)
			if err := decodeStrict(raw, in); err != nil {
				return nil, err
			}
			return fn(ctx, c, in)
		},
	}
	defaultTable.byName[name] = op
	return op
}

// Lookup finds an operation.
func (t *Table) Lookup(name string) (*Op, bool) {
	op, ok := t.byName[name]
	return op, ok
}

// All returns the operations sorted by name.
func (t *Table) All() []*Op {
	out := make([]*Op, 0, len(t.byName))
	for _, op := range t.byName {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// nearest returns the operation whose name is within two edits of name, if
// exactly one is.
func (t *Table) nearest(name string) string {
	found := ""
	for n := range t.byName {
		if editDistance(n, name, 2) <= 2 {
			if found != "" {
				return ""
			}
			found = n
		}
	}
	return found
}

// editDistance is the Levenshtein distance of a and b, or max+1 once it is
// certain to exceed max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeStrict reads the input; unknown fields are errors so that a
// misspelt field ("Nip" for "nip") fails loudly instead of being ignored.
func decodeStrict(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errs.JSONInput(err, "input")
	}
	if _, err := d.Token(); err != io.EOF {
		return errs.New(errs.InputInvalid, "input: trailing data after the JSON object")
	}
	return nil
}

// Envelope is the answer of every call.
type Envelope struct {
	OK       bool           `json:"ok"`
	Result   any            `json:"result,omitempty"`
	Error    *errs.Error    `json:"error,omitempty"`
	Warnings []errs.Warning `json:"warnings,omitempty"`
}

// Call runs operation name with a JSON input and returns the envelope as
// JSON. It never panics: a panic inside an operation becomes an "internal"
// error (with no input echoed, as it may hold secrets).
func (t *Table) Call(ctx context.Context, c *ksef.Client, name string, input []byte) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = Marshal(Envelope{Error: &errs.Error{Code: errs.Internal, Message: fmt.Sprintf("operation %s panicked: %v", name, r)}})
		}
	}()
	res, warnings, err := t.Run(ctx, c, name, input)
	if err != nil {
		e := errs.As(err)
		if len(e.Warnings) == 0 {
			e.Warnings = warnings
		}
		return Marshal(Envelope{Error: e, Warnings: warnings})
	}
	return Marshal(Envelope{OK: true, Result: res, Warnings: warnings})
}

// MissingOp is the error of a call without an operation name. One rule for
// every entry point (ksef_call with NULL or "", the wasm module, both
// bindings whatever the host passed): bad input naming the field "op".
func MissingOp() *errs.Error {
	return errs.Invalid("op", "the operation name is missing (op must be a non-empty string)")
}

// Run runs an operation and returns its typed result.
func (t *Table) Run(ctx context.Context, c *ksef.Client, name string, input []byte) (any, []errs.Warning, error) {
	if !utf8.Valid(input) {
		return nil, nil, errs.New(errs.InputInvalid, "input is not valid UTF-8")
	}
	if name == "" {
		return nil, nil, MissingOp()
	}
	op, ok := t.Lookup(name)
	if !ok {
		// The name is not echoed (core/errs: the echo rule); a near miss
		// names the operation meant, which is not the caller's input.
		msg := "unknown operation (" + errs.Shape(name) + "); ops.list lists them"
		if near := t.nearest(name); near != "" {
			msg += "; did you mean " + near + "?"
		}
		e := errs.New(errs.UnknownOperation, "%s", msg)
		e.Field = "op"
		return nil, nil, e
	}
	if op.NeedsClient && c == nil {
		return nil, nil, errs.New(errs.InvalidHandle, "operation %s needs a client; create one first", name)
	}
	sink := &api.WarningSink{}
	ctx = api.WithWarningSink(ctx, sink)
	res, err := op.run(ctx, c, input)
	return res, sink.Items(), err
}

// Invoke runs operation name with a typed input and returns its typed
// result, for Go programs (the ksef command) that present exactly what the
// operation answers — the structs docs/ops.md documents — without a JSON
// round trip. X-System-Warning items go to the context's api.WarningSink.
func Invoke[In, Out any](ctx context.Context, t *Table, c *ksef.Client, name string, in *In) (*Out, error) {
	op, ok := t.Lookup(name)
	if !ok {
		return nil, errs.New(errs.UnknownOperation, "unknown operation %q", name)
	}
	fn, ok := op.typed.(func(context.Context, *ksef.Client, *In) (*Out, error))
	if !ok {
		return nil, errs.New(errs.Internal, "operation %s takes %s and answers %s, not the types asked for", name, op.inType, op.outType)
	}
	if op.NeedsClient && c == nil {
		return nil, errs.New(errs.InvalidHandle, "operation %s needs a client; create one first", name)
	}
	if in == nil {
		in = new(In)
	}
	return fn(ctx, c, in)
}

// Marshal encodes an envelope; it cannot fail for the types ops produce, and
// if it ever did the caller still gets a valid envelope.
func Marshal(e Envelope) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		b, _ = json.Marshal(Envelope{Error: &errs.Error{Code: errs.Internal, Message: "cannot encode result: " + err.Error()}})
	}
	return b
}

// ErrorEnvelope is the envelope of an error that happened before any
// operation ran (bad handle, bad UTF-8 …).
func ErrorEnvelope(err error) []byte { return Marshal(Envelope{Error: errs.As(err)}) }
