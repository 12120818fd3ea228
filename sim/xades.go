package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/authreq"
	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/xades"
)

// Exception codes of POST /auth/xades-signature (protocol.md §4.4).
const (
	codeInvalidDocument       = 9101
	codeNoSignature           = 9102
	codeTooManySignatures     = 9103
	codeInvalidSignature      = 9105
	codeUnreadable            = 21001
	codeInvalidCertificate    = 21115
	codeBadEncoding           = 21217
	codeSchema                = 21401
	codeSignatureTypeConflict = 21406
)

func init() {
	for code, d := range map[int]string{
		codeInvalidDocument:       "Nieprawidłowy dokument.",
		codeNoSignature:           "Brak podpisu.",
		codeTooManySignatures:     "Przekroczona liczba dozwolonych podpisów.",
		codeInvalidSignature:      "Nieprawidłowy podpis.",
		codeUnreadable:            "Nieczytelna treść.",
		codeInvalidCertificate:    "Nieprawidłowy certyfikat.",
		codeBadEncoding:           "Nieprawidłowe kodowanie znaków.",
		codeSchema:                "Dokument nie jest zgodny ze schemą (xsd).",
		codeSignatureTypeConflict: "Konflikt podpisu i typu uwierzytelnienia.",
	} {
		exceptionDescriptions[code] = d
	}
}

// The methods reported for a XAdES authentication, by kind of certificate.
// KSeF tells qualified, KSeF-issued and Trusted-Profile signatures apart by
// issuer; the simulator trusts no issuer, so it names the certificate shape.
var (
	methodXAdESPersonal = authMethod{Legacy: "QualifiedSignature", Category: "XadesSignature", Code: "xades.qualified-signature", DisplayName: "Podpis kwalifikowany"}
	methodXAdESSeal     = authMethod{Legacy: "QualifiedSeal", Category: "XadesSignature", Code: "xades.qualified-seal", DisplayName: "Pieczęć kwalifikowana"}
)

// sigWarning is the X-System-Warning KSeF sends for signatures that pass
// today but do not follow the accepted XAdES profiles.
const sigWarning = "[sig-001]: Format podpisu niezgodny z akceptowanymi profilami XAdES"

// POST /auth/xades-signature?verifyCertificateChain=
//
// The signed AuthTokenRequest is checked like KSeF does — readable UTF-8
// XML, the AuthTokenRequest structure, one valid enveloped XAdES signature,
// an identity that matches SubjectIdentifierType, the challenge — and then
// joins the same flow as a KSeF token: the identity comes from the
// certificate (NIP/PESEL of the subject, or its SHA-256 fingerprint) and
// permissions, blocking and the like decide the terminal status. The
// simulator trusts no certificate authority: self-signed certificates are
// accepted as on TEST, and verifyCertificateChain=true ends with 460.
func (s *Server) handleXAdES(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.badRequest(w, r, exc(codeValidation, "reading the body: "+err.Error()))
		return
	}
	if !utf8.Valid(body) {
		s.badRequest(w, r, exc(codeBadEncoding, "the document is not valid UTF-8"))
		return
	}
	if err := wellFormed(body); err != nil {
		s.badRequest(w, r, exc(codeUnreadable, err.Error()))
		return
	}
	req, err := authreq.Parse(body)
	if err != nil {
		s.badRequest(w, r, exc(codeSchema, errs.As(err).Message))
		return
	}
	if err := req.Validate(); err != nil && errs.As(err).Field != "challenge" {
		s.badRequest(w, r, exc(codeSchema, errs.As(err).Message))
		return
	}

	report, err := xades.Verify(body, xades.VerifyOptions{Now: s.now()})
	if err != nil {
		s.badRequest(w, r, exc(codeInvalidDocument, errs.As(err).Message))
		return
	}
	var certFailure *statusInfo
	if e := signatureException(report); e != nil {
		// Validity of the certificate is reported asynchronously (460).
		if !onlyValidityFindings(report) {
			s.badRequest(w, r, *e)
			return
		}
		st := statusBadCertificate("Nieważny certyfikat", strings.Join(errorMessages(report), "; "))
		certFailure = &st
	}
	if report.Identity == nil {
		s.badRequest(w, r, exc(codeSignatureTypeConflict, "no identity could be read from the certificate"))
		return
	}

	s.mu.Lock()
	_, details := s.useChallenge(req.Challenge)
	s.mu.Unlock()
	if details != nil {
		s.badRequest(w, r, exc(codeInvalidChallenge, details...))
		return
	}

	if certFailure == nil && r.URL.Query().Get("verifyCertificateChain") == "true" {
		st := statusBadCertificate("Niezaufany łańcuch certyfikatów",
			"ksef-sim trusts no certificate authority: with verifyCertificateChain=true every certificate fails")
		certFailure = &st
	}
	method := methodXAdESPersonal
	if report.Certificate != nil && report.Certificate.Kind == "seal" {
		method = methodXAdESSeal
	}
	for _, f := range report.Findings {
		if f.Severity == "warning" {
			w.Header().Set("X-System-Warning", asciiFold(sigWarning))
			break
		}
	}
	s.ok(w, http.StatusAccepted, s.startAuth(r.Context(), authStart{
		context: req.Context,
		subject: identityFrom(report.Identity),
		policy:  req.Policy,
		method:  method,
		failure: certFailure,
		docHash: sha256.Sum256(body),
	}))
}

// wellFormed reports XML syntax errors (21001), which authreq.Parse would
// mix up with structure errors (21401).
func wellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func identityFrom(id *certs.Identity) Identity {
	return Identity{Type: IdentityType(id.Type), Value: id.Value}.normalize()
}

// signatureException maps the verifier's error findings to KSeF's
// synchronous exception, or nil when the signature is valid.
func signatureException(rep *xades.Report) *apiError {
	if rep.Valid {
		return nil
	}
	code := codeInvalidSignature
	switch {
	case rep.Has(xades.FindingNoSignature):
		code = codeNoSignature
	case rep.Has(xades.FindingMultipleSignatures):
		code = codeTooManySignatures
	case rep.Has(xades.FindingMalformedDocument):
		code = codeInvalidDocument
	case rep.Has(xades.FindingMissingCertificate) || rep.Has(xades.FindingKeyTooSmall):
		code = codeInvalidCertificate
	case rep.Has(xades.FindingSubjectIdentityMismatch):
		code = codeSignatureTypeConflict
	}
	e := exc(code, errorMessages(rep)...)
	return &e
}

func errorMessages(rep *xades.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Severity == "error" {
			out = append(out, f.Message)
		}
	}
	return out
}

// onlyValidityFindings reports whether the certificate's validity period is
// the only problem: KSeF accepts such a request and fails it with 460.
func onlyValidityFindings(rep *xades.Report) bool {
	found := false
	for _, f := range rep.Findings {
		if f.Severity != "error" {
			continue
		}
		if f.Code != xades.FindingCertificateExpired && f.Code != xades.FindingCertificateNotYetValid {
			return false
		}
		found = true
	}
	return found
}
