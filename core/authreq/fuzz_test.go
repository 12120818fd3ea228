package authreq

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

// FuzzParse: an AuthTokenRequest from outside (the simulator parses what
// clients post; ksefkit parses documents handed to xades.sign) is either a
// typed input error or a request that, once valid, round-trips through XML.
// Seeds: testdata/fuzz/FuzzParse (the spec's samples, a signed document,
// broken ones).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := Parse(doc)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.InputInvalid {
				t.Fatalf("error %v (%T) is not input.invalid", err, err)
			}
			return
		}
		if r.Validate() != nil {
			return
		}
		out, err := r.XML()
		if err != nil {
			t.Fatalf("a valid request does not serialise: %v", err)
		}
		back, err := Parse(out)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip: %+v → %s → %+v, %v", r, out, back, err)
		}
	})
}
