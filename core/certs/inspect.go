package certs

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Identity is the subject identity KSeF reads from a certificate when the
// AuthTokenRequest says SubjectIdentifierType=certificateSubject
// (protocol.md §5.3).
type Identity struct {
	// Type is "Nip", "Pesel", or "Fingerprint" when the subject carries
	// neither (the certificate is then usable only with
	// certificateFingerprint). It is "" only in a zero Info.
	Type string `json:"type"`
	// Value is the NIP, PESEL or SHA-256 fingerprint (64 upper-case hex).
	Value string `json:"value"`
	// Source is the attribute the value came from: "serialNumber" or
	// "organizationIdentifier" ("" for a fingerprint).
	Source string `json:"source,omitempty"`
}

// Info describes a certificate for display and pre-flight checks.
type Info struct {
	Subject           string    `json:"subject"`
	Issuer            string    `json:"issuer"`
	SerialNumber      string    `json:"serialNumber"`    // decimal
	SerialNumberHex   string    `json:"serialNumberHex"` // upper-case, even length
	NotBefore         time.Time `json:"notBefore"`
	NotAfter          time.Time `json:"notAfter"`
	KeyType           string    `json:"keyType"` // "RSA", "ECDSA", or the Go key type otherwise
	KeyBits           int       `json:"keyBits"`
	Curve             string    `json:"curve,omitempty"` // "P-256", …
	FingerprintSHA256 string    `json:"fingerprintSha256"`
	SelfSigned        bool      `json:"selfSigned"`
	Identity          Identity  `json:"identity"`
	// Kind is "personal" (givenName/surname, or a PESEL/NIP serialNumber),
	// "seal" (organizationIdentifier) or "unknown".
	Kind string `json:"kind"`
}

// The regular expressions KSeF applies (protocol.md §5.3), compiled on first
// use: compiling them at package init cost ksef.wasm's start-up
// (_initialize) in every host, also in those that never inspect a certificate.
var (
	peselInSerial = lazyRegexp(`(PNOPL|PESEL).*?(\d{11})`)
	nipInSerial   = lazyRegexp(`(TINPL|NIP).*?(\d{10})`)
	nipInOrgID    = lazyRegexp(`(VATPL).*?(\d{10})`)
)

func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// Fingerprint is the SHA-256 of the certificate DER as 64 upper-case hex
// characters, the form KSeF's permission APIs use.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Inspect describes cert.
func Inspect(cert *x509.Certificate) Info {
	info := Info{
		SerialNumber:      cert.SerialNumber.String(),
		NotBefore:         cert.NotBefore.UTC(),
		NotAfter:          cert.NotAfter.UTC(),
		FingerprintSHA256: Fingerprint(cert),
		Identity:          SubjectIdentity(cert),
		Kind:              Kind(cert),
	}
	info.Subject, _ = FormatDN(cert.RawSubject, DNReadable)
	info.Issuer, _ = FormatDN(cert.RawIssuer, DNReadable)
	h := strings.ToUpper(cert.SerialNumber.Text(16))
	if len(h)%2 == 1 {
		h = "0" + h
	}
	info.SerialNumberHex = h
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		info.KeyType, info.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		info.KeyType, info.KeyBits, info.Curve = "ECDSA", k.Curve.Params().BitSize, k.Curve.Params().Name
	default:
		info.KeyType = cert.PublicKeyAlgorithm.String()
	}
	info.SelfSigned = string(cert.RawSubject) == string(cert.RawIssuer) &&
		// CheckSignatureFrom would demand CA:TRUE, which test certificates lack.
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
	return info
}

// SubjectIdentity applies KSeF's rules: a PESEL or NIP in serialNumber, else
// a NIP in organizationIdentifier, else the fingerprint.
func SubjectIdentity(cert *x509.Certificate) Identity {
	for _, s := range nameAttributes(cert.RawSubject, oidSerialNumber) {
		if m := peselInSerial().FindStringSubmatch(s); m != nil {
			return Identity{Type: "Pesel", Value: m[2], Source: "serialNumber"}
		}
		if m := nipInSerial().FindStringSubmatch(s); m != nil {
			return Identity{Type: "Nip", Value: m[2], Source: "serialNumber"}
		}
	}
	for _, s := range nameAttributes(cert.RawSubject, oidOrganizationIdentifier) {
		if m := nipInOrgID().FindStringSubmatch(s); m != nil {
			return Identity{Type: "Nip", Value: m[2], Source: "organizationIdentifier"}
		}
	}
	return Identity{Type: "Fingerprint", Value: Fingerprint(cert)}
}

// Kind classifies the subject as "personal", "seal" or "unknown".
func Kind(cert *x509.Certificate) string {
	s := cert.RawSubject
	switch {
	case len(nameAttributes(s, oidGivenName)) > 0 || len(nameAttributes(s, oidSurname)) > 0:
		return "personal"
	case len(nameAttributes(s, oidOrganizationIdentifier)) > 0:
		return "seal"
	}
	for _, v := range nameAttributes(s, oidSerialNumber) {
		if peselInSerial().MatchString(v) || nipInSerial().MatchString(v) {
			return "personal"
		}
	}
	return "unknown"
}

// SealWithPersonalNames reports a subject that has organizationIdentifier
// together with givenName or surname, which KSeF forbids on seals.
func SealWithPersonalNames(cert *x509.Certificate) bool {
	s := cert.RawSubject
	return len(nameAttributes(s, oidOrganizationIdentifier)) > 0 &&
		(len(nameAttributes(s, oidGivenName)) > 0 || len(nameAttributes(s, oidSurname)) > 0)
}
