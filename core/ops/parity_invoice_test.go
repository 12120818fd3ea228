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
		{"invoices.check fa3", "invoices.check", raw(map[string]any{"xml": b64(fa3), "now": now})},
		{"invoices.check fa_rr", "invoices.check", raw(map[string]any{"xml": b64(rr), "formCode": "FA_RR (1)", "now": now})},
		{"error: invoices.check every problem", "invoices.check", raw(map[string]any{"xml": b64(bad), "now": now})},
		{"error: invoices.check form code", "invoices.check", raw(map[string]any{"xml": b64(rr), "now": now})},
		{"invoices.kod1 test", "invoices.kod1", raw(map[string]any{"xml": b64(fa3), "environment": "test"})},
		{"error: invoices.kod1 no environment", "invoices.kod1", raw(map[string]any{"xml": b64(fa3)})},
		{"upo.parse session", "upo.parse", raw(map[string]any{"xml": b64(upoDoc)})},
		{"upo.verify signed", "upo.verify", raw(map[string]any{"xml": b64(signed), "now": now, "trustedCertificates": []string{b64(ca)}})},
		{"error: upo.verify tampered", "upo.verify", raw(map[string]any{"xml": b64(tampered), "now": now})},
		{"error: upo.verify unsigned", "upo.verify", raw(map[string]any{"xml": b64(upoDoc), "now": now})},
		{"error: xml not base64", "upo.parse", raw(map[string]any{"xml": "<Potwierdzenie/>"})},
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
