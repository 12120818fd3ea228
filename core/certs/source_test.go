package certs

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

// bagAttributes is what `openssl pkcs12 -nodes` writes before each block.
func bagAttributes(pemText []byte, what string) []byte {
	head := "Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: ksefkit test\n"
	if what == "key" {
		head += "Key Attributes: <No Attributes>\n"
	} else {
		head += "subject=C = PL, CN = Jan Kowalski\nissuer=C = PL, CN = Jan Kowalski\n"
	}
	return append([]byte(head), pemText...)
}

func utf16LE(s []byte) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(string(s))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// Key and certificate files as other tools save them load like clean PEM
// (issue 10 finding 1: the core, not the binding, decides what they are).
func TestLoadAcceptsFilesAsOtherToolsSaveThem(t *testing.T) {
	cert, key := fixture(t, "ec.crt.pem"), fixture(t, "ec.pk8.pem")
	b64 := func(b []byte) []byte {
		s := base64.StdEncoding.EncodeToString(b)
		var wrapped strings.Builder
		for len(s) > 64 {
			wrapped.WriteString(s[:64] + "\r\n")
			s = s[64:]
		}
		wrapped.WriteString(s + "\n")
		return []byte(wrapped.String())
	}
	for name, in := range map[string][2][]byte{
		"bag attributes":            {bagAttributes(cert, "cert"), bagAttributes(key, "key")},
		"both in one -nodes file":   {append(bagAttributes(cert, "cert"), bagAttributes(key, "key")...), nil},
		"UTF-8 byte order mark":     {append(append([]byte(nil), bomUTF8...), cert...), append(append([]byte(nil), bomUTF8...), key...)},
		"UTF-16 with a BOM":         {utf16LE(cert), utf16LE(key)},
		"base64 of DER, no armour":  {b64(fixture(t, "ec.crt.der")), b64(fixture(t, "ec.pk8.der"))},
		"CRLF line ends and a BOM":  {append(append([]byte(nil), bomUTF8...), bytes.ReplaceAll(cert, []byte("\n"), []byte("\r\n"))...), key},
		"text dump before the cert": {append([]byte("Certificate:\n    Data:\n        Version: 3 (0x2)\n"), cert...), key},
	} {
		c, err := Load(in[0], in[1], nil)
		if err != nil || c.Signer == nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	pfx := fixture(t, "leaf.p12")
	if c, err := Load(b64(pfx), nil, []byte(fixturePassword)); err != nil || c.Signer == nil {
		t.Errorf("base64 of a PKCS#12 file: %v", err)
	}
	if _, err := ParseCertificate(append(append([]byte(nil), bomUTF8...), cert...)); err != nil {
		t.Errorf("ParseCertificate with a BOM: %v", err)
	}
}

func TestClassifyText(t *testing.T) {
	cert, key := fixture(t, "ec.crt.pem"), fixture(t, "ec.pk8.pem")
	for text, want := range map[string]Source{
		string(cert):                                                SourceContent,
		string(bagAttributes(key, "key")):                           SourceContent,
		"\ufeff" + string(key):                                      SourceContent,
		base64.StdEncoding.EncodeToString(key):                      SourcePath, // base64 of PEM text is no DER
		base64.StdEncoding.EncodeToString(fixture(t, "ec.pk8.der")): SourceContent,
		"/etc/ksef/key.pem":                                         SourcePath,
		"C:\\Users\\jan\\certyfikat.p12":                            SourcePath,
		"0-relative/path.pem":                                       SourcePath,
		"":                                                          SourcePath,
	} {
		if got := ClassifyText(text); got != want {
			t.Errorf("ClassifyText(%.40q…) = %s, want %s", text, got, want)
		}
	}
}

// An unreadable input gives a clean message, not go-pkcs12's ASN.1 dump,
// and never the input.
func TestUnreadableInputMessage(t *testing.T) {
	_, err := Load([]byte("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA-not-a-cert"), nil, nil)
	if err == nil || strings.Contains(err.Error(), "tag") || strings.Contains(err.Error(), "MIIB") {
		t.Fatalf("%v", err)
	}
}
