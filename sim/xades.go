package sim

import (
	"mime"
	"net/http"
)

// POST /auth/xades-signature
//
// Not simulated yet: the simulator answers 415 after the media-type check
// KSeF itself makes. Wiring it needs only three steps, all the rest is
// shared with /auth/ksef-token: verify the signature (core/xades), read the
// AuthTokenRequest (core/authreq), take the identity from the certificate
// (NIP/PESEL from the subject, or the SHA-256 fingerprint) and call
// startAuth with that subject, the request's context and policy, a XAdES
// authMethod, and a 460 failure for certificate problems.
func (s *Server) handleXAdES(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/xml" {
		s.problem(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/xml")
		return
	}
	s.problem(w, r, http.StatusUnsupportedMediaType,
		"ksef-sim does not verify XAdES signatures yet; authenticate with a KSeF token (POST /v2/_sim/tokens issues one)")
}
