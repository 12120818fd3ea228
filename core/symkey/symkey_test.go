package symkey

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/pubkeys"
)

func fixed(t testing.TB) *Key {
	k, err := FromBytes(bytes.Repeat([]byte{0x42}, KeySize), bytes.Repeat([]byte{0x11}, IVSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTripEverySize(t *testing.T) {
	k := fixed(t)
	for n := 0; n <= 3*IVSize+1; n++ {
		plain := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		s := k.Seal(plain)
		if int64(len(s.Ciphertext)) != CiphertextSize(int64(n)) || len(s.Ciphertext)%IVSize != 0 || len(s.Ciphertext) <= n {
			t.Fatalf("n=%d: ciphertext %d bytes", n, len(s.Ciphertext))
		}
		if s.Plain.Size != int64(n) || s.Plain.SHA256 != sha256.Sum256(plain) || s.Cipher.SHA256 != sha256.Sum256(s.Ciphertext) {
			t.Fatalf("n=%d: digests wrong", n)
		}
		got, err := k.Open(s.Ciphertext)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: open %q, %v", n, got, err)
		}
	}
}

// The protocol example: invoiceSize 6480 → encryptedInvoiceSize 6496.
func TestCiphertextSizeMatchesKSeFExample(t *testing.T) {
	if CiphertextSize(6480) != 6496 || CiphertextSize(0) != 16 || CiphertextSize(15) != 16 || CiphertextSize(16) != 32 {
		t.Fatal("CiphertextSize")
	}
}

// OpenSSL is the independent oracle for AES-256-CBC with PKCS#7 and no IV
// prefix, when it is installed.
func TestAgainstOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	k := fixed(t)
	plain := []byte("<Faktura>zażółć gęślą jaźń</Faktura>")
	cmd := exec.Command("openssl", "enc", "-aes-256-cbc", "-nosalt",
		"-K", hex.EncodeToString(k.Secret().Reveal()), "-iv", hex.EncodeToString(k.IV()))
	cmd.Stdin = bytes.NewReader(plain)
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Seal(plain).Ciphertext; !bytes.Equal(got, want) {
		t.Fatalf("Seal differs from openssl:\n%x\n%x", got, want)
	}
}

func TestWriterEqualsSealForAnyWriteSizes(t *testing.T) {
	k := fixed(t)
	plain := make([]byte, 100_003)
	rand.Read(plain)
	want := k.Seal(plain)
	for _, step := range []int{1, 7, 16, 17, 4096, 65536, len(plain)} {
		var out bytes.Buffer
		w := k.NewWriter(&out)
		for i := 0; i < len(plain); i += step {
			if _, err := w.Write(plain[i:min(i+step, len(plain))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want.Ciphertext) || w.Plain() != want.Plain || w.Cipher() != want.Cipher {
			t.Fatalf("step %d: writer output differs from Seal", step)
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Fatal("write after close accepted")
		}
	}
}

func TestReaderDecryptsAnyReadPattern(t *testing.T) {
	k := fixed(t)
	for _, n := range []int{0, 1, 15, 16, 17, 65535, 65536, 65537, 200_000} {
		plain := make([]byte, n)
		rand.Read(plain)
		s := k.Seal(plain)
		for name, src := range map[string]io.Reader{
			"whole":    bytes.NewReader(s.Ciphertext),
			"onebyte":  iotest.OneByteReader(bytes.NewReader(s.Ciphertext)),
			"halfread": iotest.HalfReader(bytes.NewReader(s.Ciphertext)),
			"dataerr":  iotest.DataErrReader(bytes.NewReader(s.Ciphertext)),
		} {
			r := k.NewReader(src)
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("n=%d %s: %d bytes, %v", n, name, len(got), err)
			}
			if r.Plain() != s.Plain || r.Cipher() != s.Cipher {
				t.Fatalf("n=%d %s: digests differ", n, name)
			}
		}
	}
}

func TestDamageIsATypedCryptoError(t *testing.T) {
	k := fixed(t)
	s := k.Seal([]byte("hello, KSeF"))
	other, _ := New()
	cases := map[string]func() error{
		"truncated":   func() error { _, err := k.Open(s.Ciphertext[:len(s.Ciphertext)-1]); return err },
		"empty":       func() error { _, err := k.Open(nil); return err },
		"wrong key":   func() error { _, err := other.Open(s.Ciphertext); return err },
		"reader cut":  func() error { _, err := io.ReadAll(k.NewReader(bytes.NewReader(s.Ciphertext[:8]))); return err },
		"reader none": func() error { _, err := io.ReadAll(k.NewReader(bytes.NewReader(nil))); return err },
		"reader key":  func() error { _, err := io.ReadAll(other.NewReader(bytes.NewReader(s.Ciphertext))); return err },
	}
	for name, f := range cases {
		if err := f(); errs.CodeOf(err) != errs.Crypto {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := FromBytes(make([]byte, 31), make([]byte, 16)); errs.CodeOf(err) != errs.InputInvalid {
		t.Error("short key accepted")
	}
	if _, err := FromBytes(make([]byte, 32), make([]byte, 24)); errs.CodeOf(err) != errs.InputInvalid {
		t.Error("24-byte IV accepted (the hex-string mistake of ksef-api#135)")
	}
}

func TestWrapIsRSAOAEPSHA256(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := New()
	pk := &pubkeys.Key{ID: "kid", Public: &priv.PublicKey}
	info, err := k.EncryptionInfo(pk)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := base64.StdEncoding.DecodeString(info.EncryptedSymmetricKey)
	raw, err := rsa.DecryptOAEP(sha256.New(), nil, priv, wrapped, nil)
	if err != nil || !bytes.Equal(raw, k.Secret().Reveal()) || len(wrapped) != 256 {
		t.Fatalf("unwrap: %v", err)
	}
	iv, _ := base64.StdEncoding.DecodeString(info.InitializationVector)
	if !bytes.Equal(iv, k.IV()) || info.PublicKeyID != "kid" {
		t.Fatal("iv or key id")
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := fixed(t)
	raw := string(k.Secret().Reveal())
	hexed := hex.EncodeToString(k.Secret().Reveal())
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("k", "key", k)
	j, _ := json.Marshal(struct{ K *Key }{k})
	outs := []string{buf.String(), string(j)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, struct{ k *Key }{k}))
	}
	for _, o := range outs {
		if strings.Contains(o, raw) || strings.Contains(o, hexed) || strings.Contains(o, "4242424242") {
			t.Fatalf("key leaked: %s", o)
		}
	}
}
