package ops

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/xades"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// invoiceParityCases are the invoice and UPO operations: pure functions of
// their input (every clock is given), so each binding must answer alike.
func invoiceParityCases(t *testing.T) []parityCase {
	t.Helper()
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	b64 := base64.StdEncoding.EncodeToString
	fill := samples.Fill{SellerNIP: "5265877635", BuyerNIP: "7352765225", RecipientNIP: "6666666666", Number: "PARITY/1", IssueDate: "2026-05-20"}
	fa3, err := samples.Invoice("fa3", fill)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := samples.Invoice("fa-rr1", fill)
	if err != nil {
		t.Fatal(err)
	}
	const now = "2026-06-15T10:00:00Z"
	bad := append([]byte("\xEF\xBB\xBF"), bytes.Replace(bytes.Replace(fa3, []byte("2026-05-20"), []byte("2026-06-16"), 1), []byte("5265877635"), []byte("5265877636"), 1)...)

	upoDoc, err := os.ReadFile(filepath.Join("..", "upo", "testdata", "upo-sesja-kontekst-id-nip.xml"))
	if err != nil {
		t.Fatal(err)
	}
	signed := signUPO(t, upoDoc)
	tampered := bytes.Replace(signed, []byte("<TrybWysylki>Online</TrybWysylki>"), []byte("<TrybWysylki>Offline</TrybWysylki>"), 1)
	ca, err := os.ReadFile(filepath.Join("..", "xades", "testdata", "golden", "rsa2048.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return []parityCase{
		{Name: "invoices.check fa3", Op: "invoices.check", Input: raw(map[string]any{"xml": b64(fa3), "now": now})},
		{Name: "invoices.check fa_rr", Op: "invoices.check", Input: raw(map[string]any{"xml": b64(rr), "formCode": "FA_RR (1)", "now": now})},
		{Name: "error: invoices.check every problem", Op: "invoices.check", Input: raw(map[string]any{"xml": b64(bad), "now": now})},
		{Name: "error: invoices.check form code", Op: "invoices.check", Input: raw(map[string]any{"xml": b64(rr), "now": now})},
		{Name: "invoices.kod1 test", Op: "invoices.kod1", Input: raw(map[string]any{"xml": b64(fa3), "environment": "test"})},
		{Name: "error: invoices.kod1 no environment", Op: "invoices.kod1", Input: raw(map[string]any{"xml": b64(fa3)})},
		{Name: "upo.parse session", Op: "upo.parse", Input: raw(map[string]any{"xml": b64(upoDoc)})},
		{Name: "upo.verify signed", Op: "upo.verify", Input: raw(map[string]any{"xml": b64(signed), "now": now, "trustedCertificates": []string{b64(ca)}})},
		{Name: "error: upo.verify tampered", Op: "upo.verify", Input: raw(map[string]any{"xml": b64(tampered), "now": now})},
		{Name: "error: upo.verify unsigned", Op: "upo.verify", Input: raw(map[string]any{"xml": b64(upoDoc), "now": now})},
		{Name: "error: xml not base64", Op: "upo.parse", Input: raw(map[string]any{"xml": "<Potwierdzenie/>"})},
	}
}

// signUPO signs a UPO with the golden RSA test certificate (self-signed,
// so it is its own trusted root), reproducibly: fixed time and ids, and
// RSA PKCS#1 v1.5 is deterministic.
func signUPO(t *testing.T, doc []byte) []byte {
	t.Helper()
	golden := filepath.Join("..", "xades", "testdata", "golden")
	cert, err := os.ReadFile(filepath.Join(golden, "rsa2048.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(golden, "rsa2048.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := certs.Load(cert, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := xades.NewSigner(cred.Signer, cred.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Sign(doc, xades.Options{
		SigningTime: time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC), SignatureID: "Signature-upo",
		SignedPropertiesID: "SignedProperties-upo", ReferenceID: "Reference-upo",
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
