package certs

import (
	"bytes"
	"encoding/base64"
	"unicode/utf16"
	"unicode/utf8"
)

// What a certificate or key input is, decided here and nowhere else: the
// bindings hand over what the caller gave and never guess.
//
// A file's contents arrive as they were saved, which is not always as
// written by the tool that made them:
//   - `openssl pkcs12 -nodes` and `openssl x509 -text` put "Bag Attributes",
//     "subject=" or a text dump before the PEM blocks;
//   - Windows editors save with a UTF-8 byte order mark, or as UTF-16;
//   - some portals hand out base64 of the DER or PKCS#12 file, no PEM armor.
//
// Normalize turns all of these into PEM text or DER bytes for Load.

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	pemBegin   = []byte("-----BEGIN ")
)

// Normalize returns the input with a byte order mark removed (UTF-16 text
// re-encoded as UTF-8) and base64 text of a DER structure decoded; anything
// else — PEM with any text before its blocks, DER, PKCS#12 — unchanged.
func Normalize(in []byte) []byte {
	switch {
	case bytes.HasPrefix(in, bomUTF8):
		in = in[len(bomUTF8):]
	case bytes.HasPrefix(in, bomUTF16LE) && len(in)%2 == 0:
		in = fromUTF16(in[2:], false)
	case bytes.HasPrefix(in, bomUTF16BE) && len(in)%2 == 0:
		in = fromUTF16(in[2:], true)
	}
	if bytes.Contains(in, pemBegin) {
		return in
	}
	if der, ok := base64DER(in); ok {
		return der
	}
	return in
}

func fromUTF16(b []byte, bigEndian bool) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

// base64DER decodes in when it is base64 text (whitespace allowed) of an
// ASN.1 SEQUENCE — a DER certificate or key, or a PKCS#12 file.
func base64DER(in []byte) ([]byte, bool) {
	text := make([]byte, 0, len(in))
	for _, c := range in {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/', c == '=':
			text = append(text, c)
		default:
			return nil, false
		}
	}
	if len(text) < 64 {
		return nil, false
	}
	der, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil || len(der) < 32 || der[0] != 0x30 {
		return nil, false
	}
	return der, true
}

// Source is what a text given for a certificate or key is.
type Source string

const (
	// SourceContent: the text is the file's contents (PEM, possibly after
	// other text or a byte order mark, or base64 of DER/PKCS#12).
	SourceContent Source = "content"
	// SourcePath: the text names a file to read.
	SourcePath Source = "path"
)

// ClassifyText tells whether a text a caller gave for a certificate or key
// is the contents or a path: bindings whose API takes either in one string
// argument ask this instead of guessing.
func ClassifyText(text string) Source {
	b := Normalize([]byte(text))
	if bytes.Contains(b, pemBegin) || (len(b) > 0 && b[0] == 0x30 && !utf8.Valid(b)) {
		return SourceContent
	}
	return SourcePath
}
