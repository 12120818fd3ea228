package upo

import (
	"crypto/x509"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/xades"
)

// FindingUntrustedSigner is the finding of a signature that holds but
// whose certificate does not chain to the roots the caller trusts.
const FindingUntrustedSigner = "untrusted_signer"

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Now is the verification time (default time.Now); the signer's
	// certificate must have been valid at the signing time, which must not
	// lie in the future.
	Now time.Time
	// Roots, when set, require the signer's certificate to chain to one of
	// them (at the signing time), through Intermediates and any further
	// certificates the signature's KeyInfo carries. Without Roots any
	// signer is accepted and Verification.Signer says who it was: compare
	// it with the certificate you expect (the simulator's "MF" certificate,
	// MF's in production).
	Roots         *x509.CertPool
	Intermediates *x509.CertPool
}

// Verification is a UPO whose signature holds.
type Verification struct {
	UPO             *UPO            `json:"upo"`
	Signer          certs.Info      `json:"signer"`
	SigningTime     time.Time       `json:"signingTime"`
	SignatureMethod string          `json:"signatureMethod"`
	Chained         bool            `json:"chained" doc:"the signer chains to the given roots"`
	Warnings        []xades.Finding `json:"warnings,omitempty"`
	// Certificate is the signer's certificate.
	Certificate *x509.Certificate `json:"-"`
}

// Verify checks the enveloped XAdES signature of a UPO (core/xades, as a
// receipt: the certificate must have been valid when KSeF signed, not
// necessarily now) and parses it. A document changed after signing, a
// missing or broken signature, or a signer outside Roots is an
// errs.Signature error ("signature.invalid") whose Findings name every
// cause; a receipt that is not a UPO is input.invalid.
func Verify(doc []byte, opts VerifyOptions) (*Verification, error) {
	u, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	r, err := xades.Verify(doc, xades.VerifyOptions{Now: opts.Now, Receipt: true})
	if err != nil && r == nil {
		return nil, err
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	v := &Verification{
		UPO: u, SigningTime: r.SigningTime, SignatureMethod: r.SignatureMethod,
		Certificate: r.Certificates[0],
	}
	if r.Certificate != nil {
		v.Signer = *r.Certificate
	}
	for _, f := range r.Findings {
		if f.Severity != "error" {
			v.Warnings = append(v.Warnings, f)
		}
	}
	if opts.Roots != nil {
		if err := chain(r, opts); err != nil {
			return nil, err
		}
		v.Chained = true
	}
	return v, nil
}

// chain builds a path from the signer to opts.Roots at the signing time.
func chain(r *xades.Report, opts VerifyOptions) error {
	inter := x509.NewCertPool()
	if opts.Intermediates != nil {
		inter = opts.Intermediates.Clone()
	}
	for _, c := range r.Certificates[1:] {
		inter.AddCert(c)
	}
	_, err := r.Certificates[0].Verify(x509.VerifyOptions{
		Roots: opts.Roots, Intermediates: inter, CurrentTime: r.SigningTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		e := errs.New(errs.Signature, "the UPO's signer %q does not chain to the trusted roots: %v", r.Certificates[0].Subject.String(), err)
		e.Findings = []string{FindingUntrustedSigner}
		return e
	}
	return nil
}
