package invoice

import (
	"encoding/base64"
	"testing"

	"github.com/ksefkit/ksefkit/core/env"
	"github.com/ksefkit/ksefkit/core/errs"
)

func TestHash(t *testing.T) {
	// echo -n abc | sha256sum | xxd -r -p | base64
	if got := Hash([]byte("abc")); got != "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" {
		t.Fatal(got)
	}
}

// TestVerificationLinkExample reproduces the KOD I example of protocol.md
// §16 from its parts.
func TestVerificationLinkExample(t *testing.T) {
	const want = "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
	raw, err := base64.RawURLEncoding.DecodeString("UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE")
	if err != nil || len(raw) != 32 {
		t.Fatal(err)
	}
	var sha [32]byte
	copy(sha[:], raw)
	got, err := VerificationLink(env.Test.QRBase+"/", "1111111111", "2026-02-01", sha)
	if err != nil || got != want {
		t.Fatalf("%q %v", got, err)
	}
}

func TestVerificationLinkRejects(t *testing.T) {
	var sha [32]byte
	for _, c := range []struct{ base, nip, date, field string }{
		{"qr.ksef.mf.gov.pl", "1111111111", "2026-02-01", "qrBase"},
		{env.Production.QRBase, "1111111112", "2026-02-01", "sellerNip"},
		{env.Production.QRBase, "1111111111", "01-02-2026", "issueDate"},
	} {
		_, err := VerificationLink(c.base, c.nip, c.date, sha)
		if e := errs.As(err); e == nil || e.Field != c.field {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
