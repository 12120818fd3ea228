// Package xades signs and verifies the enveloped XAdES-BES signature of an
// AuthTokenRequest (POST /auth/xades-signature) in the XAdES-BASELINE-B shape
// KSeF accepts (docs/xades.md "Consolidated profile"):
//
//   - ds:Signature is appended as the last child of the root, without any
//     whitespace around it; the input bytes are otherwise untouched;
//   - Reference URI="" with enveloped-signature + exclusive C14N, and a
//     Reference to SignedProperties with Type …#SignedProperties +
//     exclusive C14N, both SHA-256;
//   - SignedProperties: SigningTime (UTC), SigningCertificate (SHA-256
//     CertDigest + IssuerSerial) and DataObjectFormat (text/xml);
//   - RSA PKCS#1 v1.5 rsa-sha256, or ECDSA with the raw fixed-width r||s value
//     XML-DSig 1.1 requires (ecdsa-sha256/384/512 by curve).
//
// The input document is canonicalized with core/c14n, in place (the
// enveloped signature is left out of the node-set, never cut from a copy);
// the fragments this package generates itself are written directly in
// canonical form (their exclusive C14N is fully determined by this code),
// which keeps signing at a few hundred allocations.
// TestTemplatesAreCanonical proves the equivalence through core/c14n.
package xades

import (
	"github.com/ksefkit/ksefkit/core/c14n"
	"github.com/ksefkit/ksefkit/core/errs"
)

// Namespaces and algorithm identifiers.
const (
	NamespaceDSig  = "http://www.w3.org/2000/09/xmldsig#"
	NamespaceXAdES = "http://uri.etsi.org/01903/v1.3.2#"

	AlgExcC14N             = c14n.AlgExclusive10
	AlgExcC14NWithComments = c14n.AlgExclusive10WithComments
	AlgC14N10              = c14n.AlgInclusive10
	AlgC14N10WithComments  = c14n.AlgInclusive10WithComments
	AlgC14N11              = c14n.AlgInclusive11
	AlgC14N11WithComments  = c14n.AlgInclusive11WithComments
	AlgEnveloped           = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	AlgXPath               = "http://www.w3.org/TR/1999/REC-xpath-19991116"
	AlgXPathFilter2        = "http://www.w3.org/2002/06/xmldsig-filter2"

	AlgSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	AlgSHA224 = "http://www.w3.org/2001/04/xmldsig-more#sha224"
	AlgSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	AlgSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	AlgRSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	AlgRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	AlgRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	AlgECDSASHA1   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	AlgECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	AlgECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	AlgECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

	// TypeSignedProperties is the Reference Type XAdES requires on the
	// reference to SignedProperties.
	TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
)

// Finding codes reported by Verify (and carried in errs.Error.Findings by
// Report.Err). Each names a cause of a KSeF rejection described in
// docs/xades.md; values never change meaning.
const (
	FindingNoSignature                    = "no_signature"
	FindingMultipleSignatures             = "multiple_signatures"
	FindingNotEnveloped                   = "not_enveloped"
	FindingSignatureNotLastChild          = "signature_not_last_child"
	FindingMalformedSignature             = "malformed_signature"
	FindingSHA1Digest                     = "sha1_digest"
	FindingSHA1Signature                  = "sha1_signature"
	FindingRSAPSS                         = "rsa_pss"
	FindingECDSADERSignature              = "ecdsa_der_signature"
	FindingUnsupportedAlgorithm           = "unsupported_algorithm"
	FindingUnsupportedTransform           = "unsupported_transform"
	FindingMissingCertificate             = "missing_certificate"
	FindingMissingSignedProperties        = "missing_signed_properties"
	FindingMissingSigningCertificate      = "missing_signing_certificate"
	FindingMissingSigningTime             = "missing_signing_time"
	FindingSigningTimeInFuture            = "signing_time_in_future"
	FindingMissingSignedPropertiesRef     = "missing_signed_properties_reference"
	FindingMissingDocumentReference       = "missing_document_reference"
	FindingReferenceTypeMissing           = "reference_type_missing"
	FindingReferenceNotFound              = "reference_not_found"
	FindingTargetMismatch                 = "target_mismatch"
	FindingCertDigestMismatch             = "cert_digest_mismatch"
	FindingIssuerSerialMismatch           = "issuer_serial_mismatch"
	FindingDocumentDigestMismatch         = "document_digest_mismatch"
	FindingSignedPropertiesDigestMismatch = "signed_properties_digest_mismatch"
	FindingReferenceDigestMismatch        = "reference_digest_mismatch"
	FindingSignatureValueInvalid          = "signature_value_invalid"
	FindingKeyTooSmall                    = "key_too_small"
	FindingSubjectIdentityMismatch        = "subject_identity_mismatch"
	FindingCertificateExpired             = "certificate_expired"
	FindingCertificateNotYetValid         = "certificate_not_yet_valid"
	FindingMalformedDocument              = "malformed_document"
	FindingDocumentAlreadySigned          = "document_already_signed"
)

func invalidDoc(format string, args ...any) *errs.Error {
	e := errs.Invalid("document", format, args...)
	e.Findings = []string{FindingMalformedDocument}
	return e
}
