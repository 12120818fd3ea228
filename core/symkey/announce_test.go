package symkey

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/pubkeys"
)

func encryptionCert(t *testing.T) (api.PublicKeyCertificate, string) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := pubkeys.ID(&priv.PublicKey)
	sum := sha256.Sum256(der)
	return api.PublicKeyCertificate{
		Certificate: base64.StdEncoding.EncodeToString(der), CertificateID: base64.StdEncoding.EncodeToString(sum[:]),
		PublicKeyID: id, ValidFrom: api.Time{Time: from}, ValidTo: api.Time{Time: to}, Usage: []string{string(pubkeys.SymmetricKeyEncryption)},
	}, id
}

var withdrawn = &errs.Error{Code: errs.API, Status: 400, Exceptions: []errs.Exception{{Code: 21470}}}

// A key KSeF withdrew (21470) is replaced by the list fetched again and
// the request sent once more; a second 21470, or any other error, is the
// caller's — never a loop.
func TestAnnounceReloadsOnceOnWithdrawnKey(t *testing.T) {
	old, oldID := encryptionCert(t)
	cur, curID := encryptionCert(t)
	for _, c := range []struct {
		name   string
		answer func(enc *api.EncryptionInfo) error
		sends  int
		wantID string
		fails  bool
	}{
		{"rotated", func(enc *api.EncryptionInfo) error {
			if enc.PublicKeyID == oldID {
				return withdrawn
			}
			return nil
		}, 2, curID, false},
		{"withdrawn twice", func(*api.EncryptionInfo) error { return withdrawn }, 2, curID, true},
		{"other error", func(*api.EncryptionInfo) error { return errs.New(errs.API, "no") }, 1, oldID, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fetches := 0
			store := &pubkeys.Store{Fetch: func(context.Context) ([]api.PublicKeyCertificate, error) {
				fetches++
				if fetches == 1 {
					return []api.PublicKeyCertificate{old}, nil
				}
				return []api.PublicKeyCertificate{cur}, nil
			}}
			k, _ := New()
			var sent []string
			err := k.Announce(context.Background(), store, slog.New(slog.DiscardHandler), "test", func(enc *api.EncryptionInfo) error {
				sent = append(sent, enc.PublicKeyID)
				return c.answer(enc)
			})
			if (err != nil) != c.fails || len(sent) != c.sends || sent[len(sent)-1] != c.wantID || fetches != len(sent) {
				t.Fatalf("err %v, sent with %d keys (last %s), %d fetches", err, len(sent), sent[len(sent)-1], fetches)
			}
		})
	}
}
