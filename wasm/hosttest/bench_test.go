package hosttest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/ksefkit/ksefkit/core/bridge"
	"github.com/ksefkit/ksefkit/sim"
)

// Native reference figures for `make bench-node` (the same operations
// through the same bridge, with the native HTTP driver), so the wasm
// numbers can be read against them.

func BenchmarkNativeTokenAuth(b *testing.B) {
	s, token := startSim(b, sim.Options{AuthDelay: sim.NoAuthDelay})
	br := bridge.New(nil)
	c, env := br.ClientNew([]byte(`{"baseUrl":` + jsonString(s.URL()) + `}`))
	if c == 0 {
		b.Fatal(string(env))
	}
	in := []byte(`{"token":` + jsonString(token) + `,"nip":"` + testNIP + `"}`)
	b.ResetTimer()
	for b.Loop() {
		if out := br.Call(context.Background(), c, "auth.token", in); !json.Valid(out) || out[6] != 't' {
			b.Fatal(string(out))
		}
	}
}

func benchNativeSign(b *testing.B, keyType string) {
	br := bridge.New(nil)
	gen := decode[envelope](b, br.Call(context.Background(), 0, "certs.generate_test", []byte(`{"nip":"`+testNIP+`","keyType":"`+keyType+`"}`)))
	if !gen.OK {
		b.Skipf("certs.generate_test: %+v", gen.Error)
	}
	g := decode[struct{ CertificatePem, KeyPem string }](b, gen.Result)
	in, _ := json.Marshal(map[string]string{
		"xml":         "<AuthTokenRequest><Challenge>x</Challenge></AuthTokenRequest>",
		"certificate": base64.StdEncoding.EncodeToString([]byte(g.CertificatePem)),
		"key":         base64.StdEncoding.EncodeToString([]byte(g.KeyPem)),
	})
	b.ResetTimer()
	for b.Loop() {
		if out := br.Call(context.Background(), 0, "xades.sign", in); out[6] != 't' {
			b.Fatal(string(out))
		}
	}
}

func BenchmarkNativeXadesSignECDSA(b *testing.B) { benchNativeSign(b, "ecdsa") }
func BenchmarkNativeXadesSignRSA(b *testing.B)   { benchNativeSign(b, "rsa") }
