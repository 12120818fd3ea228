package ops

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ksef"
)

type envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func call(t *testing.T, c *ksef.Client, op, in string) envelope {
	t.Helper()
	var e envelope
	out := Default().Call(context.Background(), c, op, []byte(in))
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatalf("%s: not JSON: %s", op, out)
	}
	return e
}

func TestEnvelopes(t *testing.T) {
	if e := call(t, nil, "version", ""); !e.OK || !strings.Contains(string(e.Result), `"version"`) {
		t.Fatalf("version: %+v", e)
	}
	if e := call(t, nil, "no.such.op", "{}"); e.OK || e.Error.Code != "op.unknown" || e.Error.Field != "op" {
		t.Fatalf("unknown op: %+v", e)
	}
	// One rule for a missing name in every entry point: bad input naming op.
	if e := call(t, nil, "", "{}"); e.OK || e.Error.Code != "input.invalid" || e.Error.Field != "op" {
		t.Fatalf("empty op: %+v", e)
	}
	// A near miss is named; the caller's text is not echoed (the echo rule).
	if e := call(t, nil, "auth.tokn", "{}"); e.OK || !strings.Contains(e.Error.Message, "did you mean auth.token?") || strings.Contains(e.Error.Message, "tokn") {
		t.Fatalf("near miss: %+v", e)
	}
	secretish := "20251010-EC-1234567890-ABCDEF1234-12|nip-5265877635|0123456789abcdef"
	if e := call(t, nil, secretish, "{}"); e.OK || strings.Contains(e.Error.Message, "0123456789abcdef") || strings.Contains(e.Error.Message, "20251010") {
		t.Fatalf("a token given as the operation name was echoed: %+v", e)
	}
	if e := call(t, nil, "version", "{not json"); e.OK || e.Error.Code != "input.invalid" {
		t.Fatalf("bad JSON: %+v", e)
	}
	if e := call(t, nil, "version", "\xff\xfe"); e.OK || e.Error.Code != "input.invalid" {
		t.Fatalf("bad UTF-8: %+v", e)
	}
	if e := call(t, nil, "auth.token", `{"token":"t","nip":"5265877635"}`); e.OK || e.Error.Code != "handle.invalid" {
		t.Fatalf("client op without client: %+v", e)
	}
	var list OpsList
	e := call(t, nil, "ops.list", "")
	if err := json.Unmarshal(e.Result, &list); err != nil || len(list.Operations) < 7 {
		t.Fatalf("ops.list: %v %s", err, e.Result)
	}
}

func TestStrictInputAndNoNetworkForBadInput(t *testing.T) {
	// A client pointing at a closed port: any network call would fail with
	// "transport", so input.invalid proves validation came first.
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:9/v2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`{"token":"t","nip":"5265877636"}`,  // checksum
		`{"token":"t","nipp":"5265877635"}`, // misspelt field
		`{"token":"t"}`,                     // no context
		`{"token":"t","nip":"5265877635","context":{"type":"Nip","value":"5265877635"}}`,
		`{"token":"","nip":"5265877635"}`,
		`{"token":"t","context":{"type":"Regon","value":"123"}}`,
	} {
		if e := call(t, c, "auth.token", in); e.OK || e.Error.Code != "input.invalid" {
			t.Errorf("%s: %+v", in, e.Error)
		}
	}
}

func TestCertificateOperations(t *testing.T) {
	e := call(t, nil, "certs.generate_test", `{"kind":"seal","nip":"5265877635","keyType":"ecdsa"}`)
	if !e.OK {
		t.Fatalf("generate: %+v", e.Error)
	}
	var g GenerateResult
	json.Unmarshal(e.Result, &g)
	if g.Info.Identity.Type != "Nip" || g.Info.Identity.Value != "5265877635" {
		t.Fatalf("identity %+v", g.Info.Identity)
	}
	b64 := func(s string) string { return base64Std(s) }
	in, _ := json.Marshal(map[string]string{"certificate": b64(g.CertificatePEM), "key": b64(g.KeyPEM)})
	if e := call(t, nil, "certs.inspect", string(in)); !e.OK || !strings.Contains(string(e.Result), `"keyLoaded":true`) {
		t.Fatalf("inspect: %+v %s", e.Error, e.Result)
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?><Root xmlns="urn:x"><A>1</A></Root>`
	in, _ = json.Marshal(map[string]string{"xml": doc, "certificate": b64(g.CertificatePEM), "key": b64(g.KeyPEM)})
	e = call(t, nil, "xades.sign", string(in))
	if !e.OK || !strings.Contains(string(e.Result), "SignedProperties") {
		t.Fatalf("sign: %+v", e.Error)
	}
	in, _ = json.Marshal(map[string]string{"certificate": b64(g.CertificatePEM), "key": b64("garbage")})
	if e := call(t, nil, "xades.sign", `{"xml":"<a/>","certificate":"`+b64(g.CertificatePEM)+`","key":"`+b64("garbage")+`"}`); e.OK || e.Error.Code != "input.invalid" {
		t.Fatalf("garbage key: %+v", e.Error)
	}
	_ = in
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestExternalSigner signs through xades.prepare/xades.complete with the key
// held "outside" (here: by the test), and checks a wrong value is refused.
func TestExternalSigner(t *testing.T) {
	e := call(t, nil, "certs.generate_test", `{"kind":"personal","nip":"5265877635","keyType":"rsa"}`)
	var g GenerateResult
	json.Unmarshal(e.Result, &g)
	cred, err := certs.Load([]byte(g.CertificatePEM), []byte(g.KeyPEM), nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]string{"xml": `<a xmlns="urn:x"><b>1</b></a>`, "certificate": base64Std(g.CertificatePEM)})
	e = call(t, nil, "xades.prepare", string(in))
	if !e.OK {
		t.Fatalf("prepare: %+v", e.Error)
	}
	var p PrepareResult
	json.Unmarshal(e.Result, &p)
	digest, _ := base64.StdEncoding.DecodeString(p.Digest)
	sig, err := cred.Signer.Sign(rand.Reader, digest, crypto.SHA256)
	if err != nil || p.Hash != "SHA-256" {
		t.Fatalf("%v %s", err, p.Hash)
	}
	in, _ = json.Marshal(map[string]string{"state": p.State, "signatureValue": base64.StdEncoding.EncodeToString(sig)})
	e = call(t, nil, "xades.complete", string(in))
	if !e.OK {
		t.Fatalf("complete: %+v", e.Error)
	}
	var res SignResult
	json.Unmarshal(e.Result, &res)
	in, _ = json.Marshal(map[string]any{"xml": res.XML, "strict": true})
	if e := call(t, nil, "xades.verify", string(in)); !e.OK {
		t.Fatalf("externally signed document does not verify: %+v", e.Error)
	}
	sig[10] ^= 1
	in, _ = json.Marshal(map[string]string{"state": p.State, "signatureValue": base64.StdEncoding.EncodeToString(sig)})
	if e := call(t, nil, "xades.complete", string(in)); e.OK || e.Error.Code != "crypto" {
		t.Fatalf("a wrong signature value was accepted: %+v", e.Error)
	}
}
