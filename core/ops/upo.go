package ops

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/upo"
)

// UPOVerifyInput is the input of "upo.verify".
type UPOVerifyInput struct {
	DocumentInput
	TrustedCertificates []string `json:"trustedCertificates,omitempty" doc:"base64 of CA certificates (PEM or DER) the signer must chain to; without them any signer is accepted and the result names it"`
	Now                 string   `json:"now,omitempty" doc:"RFC 3339 verification time (default now)"`
}

func rootPool(in []string) (*x509.CertPool, error) {
	if len(in) == 0 {
		return nil, nil
	}
	pool := x509.NewCertPool()
	for i, s := range in {
		field := fmt.Sprintf("trustedCertificates[%d]", i)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errs.Invalid(field, "not valid base64: %v", err)
		}
		c, err := certs.ParseCertificate(b)
		if err != nil {
			e := errs.As(err)
			return nil, errs.Invalid(field, "%s", e.Message)
		}
		pool.AddCert(c)
	}
	return pool, nil
}

func init() {
	register("upo.parse", "Read a UPO (KSeF's official receipt, schema v4-3) into its fields: session reference, context, authentication, page, form code and per document the seller NIP, KSeF number, invoice number, dates, hash and mode. The signature is not checked (upo.verify does).", false, false,
		func(ctx context.Context, _ *ksef.Client, in *DocumentInput) (*upo.UPO, error) {
			doc, err := in.Bytes(ctx)
			if err != nil {
				return nil, err
			}
			return upo.Parse(doc)
		}).HostFiles = true
	register("upo.verify", "Verify the XAdES signature of a UPO and read it: a receipt changed after signing, unsigned, or signed by a certificate outside trustedCertificates is a signature.invalid error naming every cause. The signer's certificate is reported; it must have been valid when the UPO was signed.", false, false,
		func(ctx context.Context, _ *ksef.Client, in *UPOVerifyInput) (*upo.Verification, error) {
			doc, err := in.Bytes(ctx)
			if err != nil {
				return nil, err
			}
			o := upo.VerifyOptions{}
			if o.Roots, err = rootPool(in.TrustedCertificates); err != nil {
				return nil, err
			}
			if o.Now, err = parseNow(in.Now); err != nil {
				return nil, err
			}
			return upo.Verify(doc, o)
		}).HostFiles = true
}
