package ops

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/ksef"
)

// The parity vectors: a fixed set of operation calls (inputs in
// testdata/parity/cases.json) and the envelopes the Go core answers
// (expected.json). Every binding — C, Python over libksef.so and over
// ksef.wasm, Node over ksef.wasm and over libksef.so — replays the cases and
// must produce the same envelopes, so no artifact or wrapper can drift.
// `go test ./core/ops -run TestParityVectors -update` rewrites both files.

type parityCase struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	Input json.RawMessage `json:"input"`
	// Client, when present, is the configuration of a client the case runs
	// on (pointing at a closed loopback port: these operations must not
	// touch the network), after the Setup steps ran on it with ok answers.
	Client json.RawMessage `json:"client,omitempty"`
	Setup  []parityStep    `json:"setup,omitempty"`
}

type parityStep struct {
	Op    string          `json:"op"`
	Input json.RawMessage `json:"input"`
}

func parityCases(t *testing.T) []parityCase {
	t.Helper()
	golden := filepath.Join("..", "xades", "testdata", "golden")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(golden, name))
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	signedRSA, err := os.ReadFile(filepath.Join(golden, "golden-rsa2048.xml"))
	if err != nil {
		t.Fatal(err)
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	authReq := map[string]any{
		"challenge": "20250604-CR-461EA5B000-537A6BA15D-D7", "nip": "5265877635", "subjectType": "certificateSubject",
	}
	unsigned := `<?xml version="1.0" encoding="utf-8"?><AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"><Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>`
	return append([]parityCase{
		{Name: "env.list", Op: "env.list", Input: raw(map[string]any{})},
		{Name: "ops.list", Op: "ops.list", Input: raw(map[string]any{})},
		{Name: "xades.auth_request", Op: "xades.auth_request", Input: raw(authReq)},
		{Name: "xades.sign rsa golden", Op: "xades.sign", Input: raw(map[string]any{
			"xml": unsigned, "certificate": read("rsa2048.crt.pem"), "key": read("rsa2048.key.pem"),
			"signingTime": "2026-06-15T10:00:00Z", "signatureId": "Signature-golden",
			"signedPropertiesId": "SignedProperties-golden", "referenceId": "Reference-golden",
		})},
		{Name: "xades.verify rsa golden", Op: "xades.verify", Input: raw(map[string]any{"xml": string(signedRSA)})},
		{Name: "xades.verify tampered", Op: "xades.verify", Input: raw(map[string]any{"xml": string(bytes.Replace(signedRSA, []byte("5265877635"), []byte("5265877636"), 1))})},
		{Name: "certs.inspect rsa golden", Op: "certs.inspect", Input: raw(map[string]any{"certificate": read("rsa2048.crt.pem"), "key": read("rsa2048.key.pem")})},
		{Name: "error: bad key", Op: "xades.sign", Input: raw(map[string]any{"xml": unsigned, "certificate": read("rsa2048.crt.pem"), "key": base64.StdEncoding.EncodeToString([]byte("not a key"))})},
		{Name: "error: invalid nip", Op: "xades.auth_request", Input: raw(map[string]any{"challenge": "20250604-CR-461EA5B000-537A6BA15D-D7", "nip": "5265877636"})},
		// The echo rule in every binding: a token given as the NIP, a PIN
		// given as a number, are described, never quoted.
		{Name: "error: token as nip", Op: "xades.auth_request", Input: raw(map[string]any{"challenge": "20250604-CR-461EA5B000-537A6BA15D-D7",
			"nip": "20251010-EC-2B1A9C3D4E-5F6A7B8C9D-AB|nip-5265877635|0123456789abcdef0123456789abcdef"})},
		{Name: "error: number as password", Op: "certs.inspect", Input: raw(map[string]any{"certificate": read("rsa2048.crt.pem"), "password": 90817263})},
		{Name: "error: unknown op", Op: "no.such.op", Input: raw(map[string]any{})},
		{Name: "error: empty op", Op: "", Input: raw(map[string]any{})},
		{Name: "error: unknown field", Op: "env.list", Input: raw(map[string]any{"bogus": 1})},
	}, append(invoiceParityCases(t), append(append(sessionCases(raw), batchCases(raw)...), receiveCases(raw)...)...)...)
}

// batchCases are batch inputs refused before any request: KSeF's limits,
// names a flat archive cannot hold, a document failing its checks.
func batchCases(raw func(any) json.RawMessage) []parityCase {
	client := raw(map[string]any{"baseUrl": "http://127.0.0.1:9/v2", "environment": "test", "maxAttempts": 1})
	doc := func(name, xml string) map[string]any {
		return map[string]any{"name": name, "xml": base64.StdEncoding.EncodeToString([]byte(xml))}
	}
	one := []map[string]any{doc("a.xml", "<Faktura/>")}
	send := func(name string, in map[string]any) parityCase {
		return parityCase{Name: "error: batch " + name, Op: "batch.send", Client: client, Input: raw(in)}
	}
	return []parityCase{
		send("part over 100 MB", map[string]any{"documents": one, "partSize": 100_000_001}),
		send("negative part size", map[string]any{"documents": one, "partSize": -5}),
		send("unknown compression", map[string]any{"documents": one, "compression": "Rar"}),
		send("Deflate level 10", map[string]any{"documents": one, "level": 10}),
		send("PEF form code", map[string]any{"documents": one, "formCode": "PEF (3)"}),
		send("dir and paths", map[string]any{"dir": "/nonexistent", "paths": []string{"a.xml"}}),
		send("no documents", map[string]any{}),
		send("names differing in case", map[string]any{"documents": []map[string]any{doc("FV-1.xml", "<a/>"), doc("fv-1.XML", "<a/>")}}),
		send("path in a name", map[string]any{"documents": []map[string]any{doc("../FV-1.xml", "<a/>")}}),
		send("name too long", map[string]any{"documents": []map[string]any{doc(strings.Repeat("f", 129), "<a/>")}}),
		send("invalid document stops it", map[string]any{"documents": []map[string]any{doc("bad.xml", "not an invoice")}}),
		{Name: "error: batch.state.export of an unknown batch", Op: "batch.state.export", Client: client,
			Input: raw(map[string]any{"referenceNumber": "20261201-SB-0A1B2C3D4E-5F6A7B8C9D-E0"})},
		{Name: "error: batch.resume without a state", Op: "batch.resume", Client: client, Input: raw(map[string]any{"documents": one})},
		{Name: "error: batch.resume of a state of another version", Op: "batch.resume", Client: client,
			Input: raw(map[string]any{"documents": one, "state": map[string]any{"version": 9, "referenceNumber": "20261201-SB-0A1B2C3D4E-5F6A7B8C9D-E0"}})},
	}
}

// sessionCases are the session operations that answer without the
// network: a state restored and exported again, and inputs refused
// before any request.
func sessionCases(raw func(any) json.RawMessage) []parityCase {
	client := raw(map[string]any{"baseUrl": "http://127.0.0.1:9/v2", "environment": "test", "maxAttempts": 1})
	state := map[string]any{
		"referenceNumber": "20261201-SO-0A1B2C3D4E-5F6A7B8C9D-E0",
		"formCode":        map[string]string{"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
		"validUntil":      "2099-01-01T12:00:00Z", "openedAt": "2099-01-01T00:00:00Z",
		"context": map[string]string{"type": "Nip", "value": "5265877635"},
		"key":     base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"iv":      base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 16)),
	}
	restore := []parityStep{{Op: "sessions.online.restore", Input: raw(state)}}
	bom := append([]byte("\xef\xbb\xbf"), []byte(`<?xml version="1.0" encoding="UTF-8"?><Faktura/>`)...)
	return []parityCase{
		{Name: "sessions.online.restore", Op: "sessions.online.restore", Input: raw(state), Client: client},
		{Name: "sessions.online.export after restore", Op: "sessions.online.export", Client: client, Setup: restore,
			Input: raw(map[string]any{"referenceNumber": state["referenceNumber"]})},
		{Name: "sessions.online.list after restore", Op: "sessions.online.list", Client: client, Setup: restore, Input: raw(map[string]any{})},
		{Name: "error: send into a session not open here", Op: "sessions.online.send", Client: client,
			Input: raw(map[string]any{"referenceNumber": "20261201-SO-0A1B2C3D4E-5F6A7B8C9D-E1", "xml": "PEZha3R1cmEvPg=="})},
		{Name: "error: invoice with a BOM never leaves", Op: "invoices.send", Client: client,
			Input: raw(map[string]any{"invoices": []map[string]any{{"xml": bom, "name": "bom.xml"}}})},
		{Name: "error: restore an expired session", Op: "sessions.online.restore", Client: client,
			Input: raw(mapWith(state, "validUntil", "2020-01-01T00:00:00Z"))},
		{Name: "error: bad session reference", Op: "sessions.status", Client: client, Input: raw(map[string]any{"referenceNumber": "../../etc"})},
	}
}

func mapWith(m map[string]any, k string, v any) map[string]any {
	c := map[string]any{}
	for a, b := range m {
		c[a] = b
	}
	c[k] = v
	return c
}

func TestParityVectors(t *testing.T) {
	dir := filepath.Join("testdata", "parity")
	cases := parityCases(t)
	expected := map[string]json.RawMessage{}
	for _, c := range cases {
		var client *ksef.Client
		if c.Client != nil {
			cfg, err := ksef.ParseJSONConfig(c.Client)
			if err != nil {
				t.Fatal(err)
			}
			if client, err = ksef.New(cfg); err != nil {
				t.Fatal(err)
			}
		}
		for _, st := range c.Setup {
			if env := Default().Call(context.Background(), client, st.Op, st.Input); !bytes.HasPrefix(env, []byte(`{"ok":true`)) {
				t.Fatalf("%s: setup %s: %s", c.Name, st.Op, env)
			}
		}
		expected[c.Name] = Default().Call(context.Background(), client, c.Op, c.Input)
	}
	casesJSON, _ := json.MarshalIndent(cases, "", "  ")
	expJSON, _ := json.MarshalIndent(expected, "", "  ")
	if *update {
		os.WriteFile(filepath.Join(dir, "cases.json"), append(casesJSON, '\n'), 0o644)
		os.WriteFile(filepath.Join(dir, "expected.json"), append(expJSON, '\n'), 0o644)
	}
	for _, leak := range []string{"0123456789abcdef", "90817263"} {
		if bytes.Contains(errorMessages(t, expJSON), []byte(leak)) {
			t.Errorf("an error message of the parity vectors echoes %q", leak)
		}
	}
	for name, want := range map[string][]byte{"cases.json": casesJSON, "expected.json": expJSON} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(bytes.TrimSpace(got), want) {
			t.Errorf("%s is stale or missing (run go test ./core/ops -run TestParityVectors -update): %v", name, err)
		}
	}
}

// errorMessages joins the error messages of the expected envelopes.
func errorMessages(t *testing.T, expected []byte) []byte {
	t.Helper()
	var m map[string]struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(expected, &m); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, e := range m {
		if e.Error != nil {
			out = append(out, e.Error.Message...)
		}
	}
	return out
}
