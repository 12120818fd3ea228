package ops

import (
	"context"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/xades"
)

// VerifyInput is the input of "xades.verify".
type VerifyInput struct {
	XML string `json:"xml" doc:"the signed document, exactly as it would be posted"`
	// Strict turns a non-valid report into an error envelope
	// (signature.invalid with the finding codes) instead of a result.
	Strict bool `json:"strict,omitempty" doc:"answer an invalid signature with a signature.invalid error instead of a report"`
}

func init() {
	register("xades.verify", "Verify an enveloped XAdES signature and report, as named findings, every cause KSeF is known to reject (SHA-1, RSA-PSS, DER-encoded ECDSA, missing SigningCertificate, whitespace added after signing, subject not matching the SubjectIdentifierType, small keys …): a pre-flight check before calling KSeF.", false, false,
		func(_ context.Context, _ *ksef.Client, in *VerifyInput) (*xades.Report, error) {
			if in.XML == "" {
				return nil, errs.Invalid("xml", "xml is required")
			}
			r, err := xades.Verify([]byte(in.XML), xades.VerifyOptions{})
			if err != nil && r == nil {
				return nil, err
			}
			if in.Strict {
				if err := r.Err(); err != nil {
					return nil, err
				}
			}
			return r, nil
		})
}
