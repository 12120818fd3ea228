package certs

import "github.com/ksefkit/ksefkit/core/errs"

// Findings carried in errs.Error.Findings. They are stable: bindings and the
// CLI branch on them, so a value never changes meaning.
const (
	FindingWrongPassword          = "wrong_password"
	FindingPasswordRequired       = "password_required"
	FindingKeyMismatch            = "key_mismatch"
	FindingCertificateExpired     = "certificate_expired"
	FindingCertificateNotYetValid = "certificate_not_yet_valid"
	FindingUnsupportedKey         = "unsupported_key"
	FindingUnsupportedEncryption  = "unsupported_encryption"
	FindingMalformedCertificate   = "malformed_certificate"
	FindingMalformedKey           = "malformed_key"
	FindingKeyMissing             = "key_missing"
)

// fail builds the typed error of one finding. Messages never include the
// password or key material, so callers may log them.
func fail(code errs.Code, field, finding, format string, args ...any) *errs.Error {
	e := errs.New(code, format, args...)
	e.Field = field
	e.Findings = []string{finding}
	return e
}

func malformedKey(format string, args ...any) *errs.Error {
	return fail(errs.InputInvalid, "key", FindingMalformedKey, format, args...)
}

func malformedCert(format string, args ...any) *errs.Error {
	return fail(errs.InputInvalid, "certificate", FindingMalformedCertificate, format, args...)
}

func wrongPassword() *errs.Error {
	return fail(errs.Crypto, "password", FindingWrongPassword, "the password does not decrypt the private key")
}

func passwordRequired() *errs.Error {
	return fail(errs.InputInvalid, "password", FindingPasswordRequired, "the private key is encrypted; a password is required")
}

func unsupportedKey(format string, args ...any) *errs.Error {
	return fail(errs.InputInvalid, "key", FindingUnsupportedKey, format, args...)
}
