// Package authreq builds and reads the AuthTokenRequest document that is
// signed with XAdES and posted to POST /auth/xades-signature (protocol.md
// §4.4). Only the unsigned document lives here; core/xades signs it.
package authreq

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"sync"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
)

// The two schema namespaces KSeF accepts; they differ only in the IPv4
// regular expressions, so both official SDKs still emit 2.0.
const (
	Namespace20 = "http://ksef.mf.gov.pl/auth/token/2.0"
	Namespace21 = "http://ksef.mf.gov.pl/auth/token/2.1"
)

// SubjectType says where KSeF takes the signer's identity from.
type SubjectType string

const (
	// SubjectCertificate: the NIP/PESEL in the certificate subject.
	SubjectCertificate SubjectType = "certificateSubject"
	// SubjectFingerprint: the certificate's SHA-256 fingerprint, to which
	// permissions were granted beforehand.
	SubjectFingerprint SubjectType = "certificateFingerprint"
)

// Request is the content of an AuthTokenRequest.
type Request struct {
	Challenge   string                `json:"challenge"`
	Context     ids.ContextIdentifier `json:"contextIdentifier"`
	SubjectType SubjectType           `json:"subjectIdentifierType"`
	Policy      *ippolicy.Policy      `json:"authorizationPolicy,omitempty"`
	// Namespace is Namespace20 (the default when empty) or Namespace21.
	Namespace string `json:"namespace,omitempty"`
}

// challengePattern is compiled on first use, not at package init: compiling
// at init cost ksef.wasm's start-up (_initialize) in every host.
var challengePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\d{8}-CR-[A-F0-9]{10}-[A-F0-9]{10}-[A-F0-9]{2}$`)
})

// Validate checks every field against the schema and the identifier rules,
// so that mistakes surface here and not as KSeF 21111/21401 later.
func (r *Request) Validate() error {
	if !challengePattern().MatchString(r.Challenge) {
		return errs.Invalid("challenge", "challenge (%s) does not match NNNNNNNN-CR-XXXXXXXXXX-XXXXXXXXXX-XX (from POST /auth/challenge)", errs.Shape(r.Challenge))
	}
	if err := r.Context.Validate(); err != nil {
		return errs.Invalid("contextIdentifier", "%v", err)
	}
	switch r.SubjectType {
	case SubjectCertificate, SubjectFingerprint:
	default:
		return errs.Invalid("subjectIdentifierType", "subject identifier type (%s): use certificateSubject or certificateFingerprint", errs.Shape(string(r.SubjectType)))
	}
	switch r.Namespace {
	case "", Namespace20, Namespace21:
	default:
		return errs.Invalid("namespace", "namespace (%s): use %s or %s", errs.Shape(r.Namespace), Namespace20, Namespace21)
	}
	return r.Policy.Validate()
}

func (r *Request) namespace() string {
	if r.Namespace == "" {
		return Namespace20
	}
	return r.Namespace
}

// XML renders the unsigned document: an XML declaration, no indentation,
// elements in schema order. These are the bytes the signature covers.
func (r *Request) XML() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
	b.WriteString(`<AuthTokenRequest xmlns="`)
	xml.EscapeText(&b, []byte(r.namespace()))
	b.WriteString(`">`)
	element(&b, "Challenge", r.Challenge)
	b.WriteString("<ContextIdentifier>")
	element(&b, string(r.Context.Type), r.Context.Value)
	b.WriteString("</ContextIdentifier>")
	element(&b, "SubjectIdentifierType", string(r.SubjectType))
	if !r.Policy.Empty() {
		a := r.Policy.AllowedIPs
		b.WriteString("<AuthorizationPolicy><AllowedIps>")
		for _, l := range []struct {
			tag   string
			items []string
		}{{"Ip4Address", a.Addresses}, {"Ip4Range", a.Ranges}, {"Ip4Mask", a.Masks}} {
			for _, v := range l.items {
				element(&b, l.tag, v)
			}
		}
		b.WriteString("</AllowedIps></AuthorizationPolicy>")
	}
	b.WriteString("</AuthTokenRequest>")
	return b.Bytes(), nil
}

func element(b *bytes.Buffer, tag, text string) {
	b.WriteString("<" + tag + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + tag + ">")
}
