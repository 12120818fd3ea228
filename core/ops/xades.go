package ops

import (
	"context"
	"time"

	"github.com/ksefkit/ksefkit/core/auth"
	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/xades"
)

// XadesAuthInput is the input of "auth.xades".
type XadesAuthInput struct {
	CredentialInput
	ContextInput
	SubjectType            string           `json:"subjectType,omitempty" doc:"certificateSubject (default: identity from the certificate's NIP/PESEL) or certificateFingerprint"`
	AuthorizationPolicy    *ippolicy.Policy `json:"authorizationPolicy,omitempty"`
	VerifyCertificateChain bool             `json:"verifyCertificateChain,omitempty" doc:"TEST only: check chain and revocation like DEMO/PRODUCTION do"`
	Namespace              string           `json:"namespace,omitempty" doc:"AuthTokenRequest namespace: 2.0 (default) or 2.1, or the full URI"`
}

// SignInput is the input of "xades.sign".
type SignInput struct {
	XML string `json:"xml" doc:"the document to sign (UTF-8); the signature is appended as the root's last child"`
	CredentialInput
	SigningTime        string `json:"signingTime,omitempty" doc:"RFC 3339; default now − 1 min (UTC)"`
	SignatureID        string `json:"signatureId,omitempty" doc:"Id of ds:Signature (NCName); random by default"`
	SignedPropertiesID string `json:"signedPropertiesId,omitempty"`
	ReferenceID        string `json:"referenceId,omitempty"`
}

// SignResult answers "xades.sign".
type SignResult struct {
	XML             string `json:"xml" doc:"the signed document, byte for byte what must be posted"`
	SignatureMethod string `json:"signatureMethod"`
}

// AuthRequestInput is the input of "xades.auth_request".
type AuthRequestInput struct {
	Challenge string `json:"challenge"`
	ContextInput
	SubjectType         string           `json:"subjectType,omitempty" doc:"certificateSubject (default) or certificateFingerprint"`
	AuthorizationPolicy *ippolicy.Policy `json:"authorizationPolicy,omitempty"`
	Namespace           string           `json:"namespace,omitempty"`
}

// AuthRequestResult answers "xades.auth_request".
type AuthRequestResult struct {
	XML string `json:"xml" doc:"the unsigned AuthTokenRequest"`
}

func namespace(ns string) (string, error) {
	switch ns {
	case "", "2.0", authreq.Namespace20:
		return authreq.Namespace20, nil
	case "2.1", authreq.Namespace21:
		return authreq.Namespace21, nil
	}
	return "", errs.Invalid("namespace", "namespace (%s): use 2.0 or 2.1", errs.Shape(ns))
}

// resolveRequest validates the context and namespace of an AuthTokenRequest input.
func resolveRequest(c ContextInput, ns string) (ids.ContextIdentifier, string, error) {
	ci, err := c.Resolve()
	if err != nil {
		return ci, "", err
	}
	ns, err = namespace(ns)
	return ci, ns, err
}

func signerFor(c CredentialInput) (*xades.Signer, error) {
	cred, err := c.Load()
	if err != nil {
		return nil, err
	}
	if cred.Signer == nil {
		return nil, errs.Invalid("key", "no private key: give the key file, or a PKCS#12 file that contains one")
	}
	return xades.NewSigner(cred.Signer, cred.Certificate)
}

func init() {
	register("auth.xades", "Authenticate with a certificate: build the AuthTokenRequest for a fresh challenge, sign it with XAdES, post it, poll, redeem. The client keeps the tokens and the credential for re-authentication.", true, true,
		func(ctx context.Context, c *ksef.Client, in *XadesAuthInput) (*ksef.AuthInfo, error) {
			ci, ns, err := resolveRequest(in.ContextInput, in.Namespace)
			if err != nil {
				return nil, err
			}
			s, err := signerFor(in.CredentialInput)
			if err != nil {
				return nil, err
			}
			return c.Authenticate(ctx, &auth.XAdES{
				Signer: s, Ctx: ci, SubjectType: authreq.SubjectType(in.SubjectType), Policy: in.AuthorizationPolicy,
				VerifyCertificateChain: in.VerifyCertificateChain, Namespace: ns,
			})
		})
	register("xades.auth_request", "Build (and validate) the unsigned AuthTokenRequest document for a challenge, for signing elsewhere.", false, false,
		func(_ context.Context, _ *ksef.Client, in *AuthRequestInput) (*AuthRequestResult, error) {
			ci, ns, err := resolveRequest(in.ContextInput, in.Namespace)
			if err != nil {
				return nil, err
			}
			st := authreq.SubjectType(in.SubjectType)
			if st == "" {
				st = authreq.SubjectCertificate
			}
			doc, err := (&authreq.Request{Challenge: in.Challenge, Context: ci, SubjectType: st, Policy: in.AuthorizationPolicy, Namespace: ns}).XML()
			if err != nil {
				return nil, err
			}
			return &AuthRequestResult{XML: string(doc)}, nil
		})
	register("xades.sign", "Sign an XML document with an enveloped XAdES-BES signature (the profile KSeF accepts: exclusive c14n, SHA-256, RSA PKCS#1 v1.5 or ECDSA r||s, SigningCertificate).", false, false,
		func(_ context.Context, _ *ksef.Client, in *SignInput) (*SignResult, error) {
			if in.XML == "" {
				return nil, errs.Invalid("xml", "xml is required")
			}
			s, err := signerFor(in.CredentialInput)
			if err != nil {
				return nil, err
			}
			if err := certs.CheckValidity(s.Certificate(), time.Now()); err != nil && in.SigningTime == "" {
				return nil, err
			}
			opts := xades.Options{SignatureID: in.SignatureID, SignedPropertiesID: in.SignedPropertiesID, ReferenceID: in.ReferenceID}
			if in.SigningTime != "" {
				t, err := time.Parse(time.RFC3339Nano, in.SigningTime)
				if err != nil {
					return nil, errs.Invalid("signingTime", "signingTime (%s) is not RFC 3339", errs.Shape(in.SigningTime))
				}
				opts.SigningTime = t
			}
			out, err := s.Sign([]byte(in.XML), opts)
			if err != nil {
				return nil, err
			}
			return &SignResult{XML: string(out), SignatureMethod: s.SignatureMethod()}, nil
		})
}
