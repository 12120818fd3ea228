package upo

import (
	"path/filepath"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

// FuzzParse: any input gives a UPO with documents or a typed
// input.invalid error naming the element, never a panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		b := sample(f, filepath.Base(p))
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		u, err := Parse(doc)
		if err != nil {
			if e := errs.As(err); e.Code != errs.InputInvalid || e.Field == "" {
				t.Fatalf("untyped error %#v", err)
			}
			return
		}
		if len(u.Documents) == 0 || u.SessionReferenceNumber == "" || u.Context.Type == "" {
			t.Fatalf("incomplete UPO %+v", u)
		}
	})
}
