package api

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// endpoints calls every endpoint method of Client (found by reflection, so
// endpoints added later are fuzzed too) with zero-valued arguments.
func endpoints(t *testing.T, c *Client) map[string]error {
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	v := reflect.ValueOf(c)
	out := map[string]error{}
	for i := 0; i < v.NumMethod(); i++ {
		m := v.Type().Method(i)
		mt := m.Type // receiver first
		if m.Name == "Do" || mt.NumIn() < 2 || mt.In(1) != ctxType || mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
			continue
		}
		args := []reflect.Value{reflect.ValueOf(context.Background())}
		for j := 2; j < mt.NumIn(); j++ {
			in := mt.In(j)
			if in.Kind() == reflect.Pointer {
				args = append(args, reflect.New(in.Elem()))
			} else {
				args = append(args, reflect.Zero(in))
			}
		}
		res := v.Method(i).Call(args)
		err, _ := res[len(res)-1].Interface().(error)
		out[m.Name] = err
	}
	if len(out) < 10 {
		t.Fatalf("found only %d endpoint methods", len(out))
	}
	return out
}

// FuzzResponses: whatever a server answers — any status, content type,
// Retry-After, X-System-Warning and body, in either error shape or none —
// every endpoint returns its result or a typed *errs.Error, and a non-2xx
// answer is always an error. Seeds: testdata/fuzz/FuzzResponses (both error
// shapes, a legacy 429, an HTML 502, valid answers).
func FuzzResponses(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, contentType, retryAfter, warning string, body []byte) {
		code := int(status) % 1000
		c := &Client{BaseURL: "http://127.0.0.1:1/v2", Sender: &transport.Sender{
			Policy: transport.RetryPolicy{MaxAttempts: 1},
			Doer: transport.DoerFunc(func(context.Context, *transport.Request) (*transport.Response, error) {
				h := transport.Header{}
				h.Set("Content-Type", contentType)
				h.Set("Retry-After", retryAfter)
				h.Set("X-System-Warning", warning)
				return &transport.Response{Status: code, Header: h, Body: body}, nil
			}),
		}}
		for name, err := range endpoints(t, c) {
			if err == nil {
				if code < 200 || code > 299 {
					t.Fatalf("%s: HTTP %d accepted", name, code)
				}
				continue
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("%s: error %v (%T) is not a typed error with code and message", name, err, err)
			}
		}
		e := DecodeError(&transport.Response{Status: code, Header: transport.Header{"Content-Type": {contentType}}, Body: body})
		if e == nil || e.Code == "" || e.Message == "" {
			t.Fatalf("DecodeError: %+v", e)
		}
		_ = ParseWarnings(warning)
	})
}
