package auth

import (
	"context"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/xades"
)

// XAdES authenticates with an AuthTokenRequest signed by a certificate
// (POST /auth/xades-signature). Only the proof differs from KSeFToken;
// polling, redeem and refresh are the shared Flow.
type XAdES struct {
	Signer      *xades.Signer
	Ctx         ids.ContextIdentifier
	SubjectType authreq.SubjectType // default certificateSubject
	Policy      *ippolicy.Policy
	// VerifyCertificateChain asks TEST to check the chain and revocation
	// like DEMO and PRODUCTION always do.
	VerifyCertificateChain bool
	// Namespace of the AuthTokenRequest (authreq.Namespace20 by default).
	Namespace string
	// Now is the clock used for the local validity check (default time.Now).
	Now func() time.Time
}

// Method implements Credential.
func (x *XAdES) Method() string { return "xades" }

// Context implements Credential.
func (x *XAdES) Context() ids.ContextIdentifier { return x.Ctx }

func (x *XAdES) subjectType() authreq.SubjectType {
	if x.SubjectType == "" {
		return authreq.SubjectCertificate
	}
	return x.SubjectType
}

// Validate checks what KSeF would reject, before any network call: the
// context, the certificate's validity, and that a certificateSubject
// authentication uses a certificate that carries a NIP or PESEL (otherwise
// KSeF answers 21406 and certificateFingerprint must be used).
func (x *XAdES) Validate() error {
	if x.Signer == nil {
		return errs.Invalid("certificate", "no certificate and key")
	}
	if err := x.Ctx.Validate(); err != nil {
		return errs.Wrap(errs.InputInvalid, err, "context")
	}
	if err := x.Policy.Validate(); err != nil {
		return err
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	cert := x.Signer.Certificate()
	if err := certs.CheckValidity(cert, now()); err != nil {
		return err
	}
	switch x.subjectType() {
	case authreq.SubjectCertificate:
		if id := certs.SubjectIdentity(cert); id.Type != "Nip" && id.Type != "Pesel" {
			e := errs.Invalid("subjectType", "the certificate carries no NIP or PESEL (serialNumber TINPL-/PNOPL-, organizationIdentifier VATPL-); use subjectType certificateFingerprint after permissions were granted to fingerprint %s", certs.Fingerprint(cert))
			e.Findings = []string{"subject_identity_mismatch"}
			return e
		}
	case authreq.SubjectFingerprint:
	default:
		return errs.Invalid("subjectType", "subject type (%s): use certificateSubject or certificateFingerprint", errs.Shape(string(x.SubjectType)))
	}
	return nil
}

// Start builds the AuthTokenRequest for the challenge, signs it and posts
// the signed bytes exactly as produced.
func (x *XAdES) Start(ctx context.Context, f *Flow, ch *api.ChallengeResponse) (*api.AuthInitResponse, error) {
	req := &authreq.Request{Challenge: ch.Challenge, Context: x.Ctx, SubjectType: x.subjectType(), Namespace: x.Namespace}
	if !x.Policy.Empty() {
		req.Policy = x.Policy
	}
	doc, err := req.XML()
	if err != nil {
		return nil, err
	}
	signed, err := x.Signer.Sign(doc, xades.Options{})
	if err != nil {
		return nil, err
	}
	return f.API.XadesSignature(ctx, signed, x.VerifyCertificateChain)
}
