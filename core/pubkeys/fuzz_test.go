package pubkeys

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
)

// FuzzSelect: the public key list KSeF serves (GET
// /security/public-key-certificates, decoded as the client decodes it)
// gives a usable RSA key of at least 2048 bits or a typed error, for either
// usage. Seeds: a real list built here, and testdata/fuzz/FuzzSelect.
func FuzzSelect(f *testing.F) {
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &keys[0].PublicKey, keys[0])
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := json.Marshal([]map[string]any{{
		"certificate": base64.StdEncoding.EncodeToString(der), "certificateId": "c", "publicKeyId": "k",
		"validFrom": "2026-10-24T12:00:00Z", "validTo": "2027-11-24T12:00:00Z",
		"usage": []string{"KsefTokenEncryption", "SymmetricKeyEncryption"},
	}})
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var certs []api.PublicKeyCertificate
		if json.Unmarshal(data, &certs) != nil {
			return
		}
		for _, u := range []Usage{KsefTokenEncryption, SymmetricKeyEncryption} {
			k, err := Select(certs, u, now)
			if err != nil {
				var e *errs.Error
				if !errors.As(err, &e) || e.Code != errs.Protocol {
					t.Fatalf("%s: %v (%T) is not ksef.protocol", u, err, err)
				}
				continue
			}
			if k.Public == nil || k.Public.N.BitLen() < 2048 {
				t.Fatalf("%s: unusable key selected", u)
			}
		}
	})
}
