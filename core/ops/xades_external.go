package ops

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/xades"
)

// The external-signer pair: the key lives elsewhere (a smart card, an HSM,
// a remote signing service), so signing is split into "give me the digest"
// and "here is the signature value".

// PrepareInput is the input of "xades.prepare".
type PrepareInput struct {
	XML                string `json:"xml" doc:"the document to sign (UTF-8)"`
	Certificate        string `json:"certificate" doc:"base64 of the signing certificate file (PEM or DER); no key needed"`
	SigningTime        string `json:"signingTime,omitempty" doc:"RFC 3339; default now − 1 min (UTC)"`
	SignatureID        string `json:"signatureId,omitempty"`
	SignedPropertiesID string `json:"signedPropertiesId,omitempty"`
	ReferenceID        string `json:"referenceId,omitempty"`
}

// PrepareResult answers "xades.prepare".
type PrepareResult struct {
	Digest          string `json:"digest" doc:"base64 of the already-hashed SignedInfo: sign it as a pre-hashed digest (RSA PKCS#1 v1.5 with DigestInfo, or plain ECDSA)"`
	Hash            string `json:"hash" doc:"SHA-256, SHA-384 or SHA-512"`
	SignatureMethod string `json:"signatureMethod"`
	KeyType         string `json:"keyType" doc:"RSA or ECDSA"`
	State           string `json:"state" doc:"opaque; pass it to xades.complete (it holds the document, not any secret)"`
}

// CompleteInput is the input of "xades.complete".
type CompleteInput struct {
	State          string `json:"state" doc:"from xades.prepare"`
	SignatureValue string `json:"signatureValue" doc:"base64 of the signature: PKCS#1 v1.5 for RSA; raw r||s or DER for ECDSA"`
}

func init() {
	register("xades.prepare", "Lay out a XAdES signature for a key held elsewhere (smart card, HSM): returns the digest to sign and an opaque state for xades.complete.", false, false,
		func(_ context.Context, _ *ksef.Client, in *PrepareInput) (*PrepareResult, error) {
			if in.XML == "" {
				return nil, errs.Invalid("xml", "xml is required")
			}
			der, err := base64.StdEncoding.DecodeString(in.Certificate)
			if err != nil || len(der) == 0 {
				return nil, errs.Invalid("certificate", "certificate is required as base64 of the file bytes")
			}
			cert, err := certs.ParseCertificate(der)
			if err != nil {
				return nil, err
			}
			opts := xades.Options{SignatureID: in.SignatureID, SignedPropertiesID: in.SignedPropertiesID, ReferenceID: in.ReferenceID}
			if in.SigningTime != "" {
				if opts.SigningTime, err = time.Parse(time.RFC3339Nano, in.SigningTime); err != nil {
					return nil, errs.Invalid("signingTime", "signingTime (%s) is not RFC 3339", errs.Shape(in.SigningTime))
				}
			}
			p, err := xades.Prepare([]byte(in.XML), cert, opts)
			if err != nil {
				return nil, err
			}
			state, err := p.MarshalState()
			if err != nil {
				return nil, errs.Wrap(errs.Internal, err, "encoding the pending signature")
			}
			return &PrepareResult{
				Digest: base64.StdEncoding.EncodeToString(p.Digest), Hash: p.HashName,
				SignatureMethod: p.SignatureMethod, KeyType: p.KeyType,
				State: base64.StdEncoding.EncodeToString(state),
			}, nil
		})
	register("xades.complete", "Insert a signature value made outside ksefkit into a prepared XAdES signature; the value is verified against the certificate before the signed document is returned.", false, false,
		func(_ context.Context, _ *ksef.Client, in *CompleteInput) (*SignResult, error) {
			state, err := base64.StdEncoding.DecodeString(in.State)
			if err != nil || len(state) == 0 {
				return nil, errs.Invalid("state", "state is required as returned by xades.prepare")
			}
			sig, err := base64.StdEncoding.DecodeString(in.SignatureValue)
			if err != nil || len(sig) == 0 {
				return nil, errs.Invalid("signatureValue", "signatureValue is required as base64")
			}
			p, err := xades.ResumePending(state)
			if err != nil {
				return nil, err
			}
			out, err := p.Complete(sig)
			if err != nil {
				return nil, err
			}
			return &SignResult{XML: string(out), SignatureMethod: p.SignatureMethod}, nil
		})
}
