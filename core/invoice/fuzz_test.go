package invoice

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/errs"
)

func addSeeds(f *testing.F) {
	doc := fa3(f)
	f.Add(doc)
	f.Add(doc[:len(doc)/2])
	for _, d := range wellFormed {
		f.Add([]byte(d))
	}
	for _, d := range notWellFormed {
		f.Add([]byte(d))
	}
}

// FuzzCheck: any input gives facts or a typed input.invalid error naming
// its field, never a panic; and whatever Check accepts is well-formed for
// encoding/xml as well (the differential oracle of the scanner).
// Without -fuzz only the seed corpus (f.Add and testdata/fuzz) runs.
func FuzzCheck(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		facts, err := Check(doc, CheckOptions{Now: now})
		if err == nil {
			if facts == nil {
				t.Fatal("no error and no facts")
			}
			if perr := stdlibParse(doc); perr != nil {
				t.Fatalf("Check accepted what encoding/xml rejects (%v): %q", perr, doc)
			}
			return
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.InputInvalid || e.Field == "" || len(e.Findings) == 0 {
			t.Fatalf("untyped error %#v", err)
		}
		for _, x := range e.Findings {
			if !strings.HasPrefix(x, "invoice") || !strings.Contains(x, ": ") {
				t.Fatalf("finding %q", x)
			}
		}
	})
}

// FuzzScan holds the scanner alone to encoding/xml: a document it accepts
// (with XML characters only and an XML 1.0, UTF-8 declaration, the cases
// where Check adds rules of its own) must parse with encoding/xml too.
func FuzzScan(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !utf8.Valid(doc) || !allXMLChars(doc) {
			return
		}
		s, err := scan(doc, 0, nopHandler{})
		if err != nil || s.decl.encoding != nil && !strings.EqualFold(string(s.decl.encoding), "UTF-8") ||
			s.decl.version != nil && string(s.decl.version) != "1.0" {
			return
		}
		if perr := stdlibParse(doc); perr != nil && !fourthEditionName(perr) {
			t.Fatalf("scanner accepted what encoding/xml rejects (%v): %q", perr, doc)
		}
	})
}

func allXMLChars(doc []byte) bool {
	for _, r := range string(doc) {
		if !isXMLChar(r) {
			return false
		}
	}
	return true
}

// fourthEditionName: encoding/xml checks names against XML 1.0 fourth
// edition's character classes, narrower than the fifth edition's (which
// libxml2, .NET and this scanner use), e.g. it rejects <Aʷ/>.
func fourthEditionName(err error) bool {
	msg := err.Error()
	i := strings.Index(msg, "invalid XML name: ")
	if i < 0 {
		return false
	}
	name := msg[i+len("invalid XML name: "):]
	return strings.IndexFunc(name, func(r rune) bool { return r >= 0x80 }) >= 0 && isName([]byte(name))
}

// FuzzMetadata: any input gives metadata or a typed input.invalid error,
// never a panic; metadata always has the fields KSeF requires.
func FuzzMetadata(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(farr))
	f.Add([]byte(pef))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := Metadata(doc)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.InputInvalid || e.Field == "" {
				t.Fatalf("untyped error %#v", err)
			}
			return
		}
		if m.Seller.NIP == "" || m.InvoiceNumber == "" || m.IssueDate == "" || m.InvoiceType == "" || m.Buyer.Identifier.Type == "" || m.FormCode.IsZero() || len(m.InvoiceHash) != 44 {
			t.Fatalf("incomplete metadata %+v", m)
		}
	})
}
