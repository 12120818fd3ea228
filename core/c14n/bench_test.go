package c14n

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// The signer canonicalizes an AuthTokenRequest with the exclusive method;
// the verifier the signed document (less the signature) and SignedInfo.
// The goxmldsig variants are the code path core/xades had before.

func authRequest(b *testing.B) *etree.Document {
	return parse(b, corpus(b)["auth request"])
}

func signedDocument(b *testing.B) *etree.Document {
	src, err := os.ReadFile(filepath.Join("..", "xades", "testdata", "golden", "golden-ecdsa-p256.xml"))
	if err != nil {
		b.Skip(err)
	}
	return parse(b, string(src))
}

func BenchmarkDocumentExclusive(b *testing.B) {
	doc := authRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Document(doc, Options{Method: Exclusive10}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendDocumentExclusive(b *testing.B) {
	doc := authRequest(b)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendDocument(buf[:0], doc, Options{Method: Exclusive10}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoxmldsigRootExclusive(b *testing.B) {
	doc := authRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := goxmldsigCanon(doc.Root(), Exclusive10, false, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignedDocumentEnveloped(b *testing.B) {
	doc := signedDocument(b)
	isSig := func(e *etree.Element) bool { return e.Tag == "Signature" && e.Space == "ds" }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Document(doc, Options{Method: Exclusive10, Exclude: isSig}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignedInfoSubtree(b *testing.B) {
	doc := signedDocument(b)
	si := find(b, doc, "ds:SignedInfo")
	for _, m := range allMethods {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Subtree(si, Options{Method: m}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGoxmldsigSignedInfo(b *testing.B) {
	doc := signedDocument(b)
	si := find(b, doc, "ds:SignedInfo")
	for _, m := range []Method{Inclusive10, Exclusive10} {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := goxmldsigCanon(si, m, false, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
