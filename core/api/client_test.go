package api

import (
	"context"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/transport"
)

// A 2xx answer must be labelled JSON to be read as JSON: a proxy's or
// portal's page that happens to parse is still not KSeF's answer.
func TestSuccessMustBeLabelledJSON(t *testing.T) {
	body := []byte(`{"challenge":"20250101-CR-0000000000-0000000000-00","timestamp":"2025-01-01T00:00:00Z","timestampMs":1735689600000}`)
	for ct, ok := range map[string]bool{
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"Application/JSON":                true,
		"application/problem+json":        true,
		"":                                true,
		"text/plain; charset=utf-8":       false,
		"text/html":                       false,
		"application/xml":                 false,
		"application/jsonx":               false,
	} {
		c := &Client{BaseURL: "http://127.0.0.1:1/v2", Sender: &transport.Sender{Doer: transport.DoerFunc(
			func(context.Context, *transport.Request) (*transport.Response, error) {
				h := transport.Header{}
				if ct != "" {
					h.Set("Content-Type", ct)
				}
				return &transport.Response{Status: 200, Header: h, Body: body}, nil
			})}}
		var out ChallengeResponse
		_, err := c.Do(context.Background(), Call{Method: "POST", Path: "/auth/challenge", Route: "POST /auth/challenge"}, &out)
		if ok && err != nil {
			t.Errorf("%q: %v", ct, err)
		}
		if !ok && (errs.CodeOf(err) != errs.Protocol || errs.As(err).HTTPStatus != 200) {
			t.Errorf("%q: got %v, want ksef.protocol with the status", ct, err)
		}
	}
}
