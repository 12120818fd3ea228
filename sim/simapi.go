package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// Control endpoints under /v2/_sim/. They are NOT part of KSeF — the real
// API has nothing like them — and exist so that tests in any language can
// drive the simulator over HTTP. They are not validated against the OpenAPI
// document and faults never hit them. Errors are {"error": "message"}.
//
//	POST   /v2/_sim/tokens         TokenRequest → 200 IssuedToken
//	POST   /v2/_sim/tokens/revoke  {"referenceNumber": "…"} → 204 (404 unknown)
//	GET    /v2/_sim/state          counts of the simulator's state → 200
//	GET    /v2/_sim/faults         → 200 {"faults": ["spec", …]}
//	POST   /v2/_sim/faults         {"faults": ["spec", …]} → 200 {"faults": [all active]}
//	DELETE /v2/_sim/faults         → 204
//	POST   /v2/_sim/keys/rotate    → 200 {"publicKeyIds": {…}} (like RotateKeys)
//	GET    /v2/_sim/violations     → 200 {"violations": ["…", …]}
//	DELETE /v2/_sim/violations     → 204
//	GET    /v2/_sim/invoices       → 200 {"count": N, "invoices": [InvoiceRecord…]} (like Invoices)
//	POST   /v2/_sim/invoices       Seed → 200 Seeded: store generated invoices as if accepted (like SeedInvoices)
//	GET    /v2/_sim/invoices/{ksefNumber} → 200 application/xml, the stored document (404 unknown)
//	GET    /v2/_sim/upo-certificate → 200 PEM of the UPO signing certificate (like UPOCertificatePEM)
//	GET    /v2/_sim/ca             → 200 PEM of the CA behind --tls (like CACertificatePEM); 404 without TLS
//	GET    /v2/_sim/samples        → 200 {"samples": [{"name","formCode"}, …]}
//	GET    /v2/_sim/samples/{name}?sellerNip=&buyerNip=&recipientNip=&number=&issueDate=
//	                               → 200 application/xml, the sample filled (samples.Invoice)
func (s *Server) simRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /v2/_sim/tokens", s.simIssueToken)
	m.HandleFunc("POST /v2/_sim/tokens/revoke", s.simRevokeToken)
	m.HandleFunc("GET /v2/_sim/state", s.simState)
	m.HandleFunc("GET /v2/_sim/faults", s.simListFaults)
	m.HandleFunc("POST /v2/_sim/faults", s.simAddFaults)
	m.HandleFunc("DELETE /v2/_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST /v2/_sim/keys/rotate", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RotateKeys(); err != nil {
			simError(w, http.StatusInternalServerError, err)
			return
		}
		s.ok(w, http.StatusOK, map[string]any{"publicKeyIds": s.publicKeyIDMap()})
	})
	m.HandleFunc("GET /v2/_sim/violations", func(w http.ResponseWriter, r *http.Request) {
		v := s.SpecViolations()
		if v == nil {
			v = []string{}
		}
		s.ok(w, http.StatusOK, map[string]any{"violations": v})
	})
	m.HandleFunc("DELETE /v2/_sim/violations", func(w http.ResponseWriter, r *http.Request) {
		s.ResetSpecViolations()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /v2/_sim/invoices", func(w http.ResponseWriter, r *http.Request) {
		list := s.Invoices()
		s.ok(w, http.StatusOK, map[string]any{"count": len(list), "invoices": list})
	})
	m.HandleFunc("POST /v2/_sim/invoices", s.simSeedInvoices)
	m.HandleFunc("GET /v2/_sim/invoices/{ksefNumber}", s.simStoredInvoice)
	m.HandleFunc("GET /v2/_sim/upo-certificate", func(w http.ResponseWriter, r *http.Request) {
		servePEM(w, s.UPOCertificatePEM())
	})
	m.HandleFunc("GET /v2/_sim/ca", func(w http.ResponseWriter, r *http.Request) {
		if s.ca == nil {
			simError(w, http.StatusNotFound, errors.New("the simulator runs without TLS (Options.TLS, --tls): there is no CA"))
			return
		}
		servePEM(w, s.CACertificatePEM())
	})
	m.HandleFunc("GET /v2/_sim/samples", simListSamples)
	m.HandleFunc("GET /v2/_sim/samples/{name}", simSample)
	m.HandleFunc("/v2/_sim/", func(w http.ResponseWriter, r *http.Request) {
		simError(w, http.StatusNotFound, errors.New("no simulator endpoint "+r.Method+" "+r.URL.Path))
	})
}

func servePEM(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

type simSampleInfo struct {
	Name     string           `json:"name"`
	FormCode invoice.FormCode `json:"formCode"`
}

func simListSamples(w http.ResponseWriter, r *http.Request) {
	out := []simSampleInfo{}
	for _, n := range samples.Names() {
		f, _ := samples.FormCode(n)
		out = append(out, simSampleInfo{n, f})
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"samples": out})
}

// simSample serves a sample invoice with the query's values filled in, so
// that tests in any language send invoices the simulator (and KSeF) accept.
func simSample(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	doc, err := samples.Invoice(r.PathValue("name"), samples.Fill{
		SellerNIP: q.Get("sellerNip"), BuyerNIP: q.Get("buyerNip"), RecipientNIP: q.Get("recipientNip"),
		Number: q.Get("number"), IssueDate: q.Get("issueDate"),
	})
	if err != nil {
		status := http.StatusBadRequest
		if errs.As(err).Field == "name" {
			status = http.StatusNotFound
		}
		simError(w, status, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}

func simError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, "application/json", map[string]string{"error": err.Error()})
}

func simDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		simError(w, http.StatusBadRequest, errors.New("invalid JSON body: "+err.Error()))
		return false
	}
	return true
}

func (s *Server) simIssueToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if !simDecode(w, r, &req) {
		return
	}
	tok, err := s.IssueToken(req)
	if err != nil {
		simError(w, http.StatusBadRequest, err)
		return
	}
	s.ok(w, http.StatusOK, tok)
}

func (s *Server) simRevokeToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReferenceNumber string `json:"referenceNumber"`
	}
	if !simDecode(w, r, &req) {
		return
	}
	if err := s.RevokeToken(req.ReferenceNumber); err != nil {
		simError(w, http.StatusNotFound, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func faultStrings(faults []Fault) []string {
	out := make([]string, 0, len(faults))
	for _, f := range faults {
		out = append(out, f.String())
	}
	return out
}

func (s *Server) simListFaults(w http.ResponseWriter, r *http.Request) {
	s.ok(w, http.StatusOK, map[string]any{"faults": faultStrings(s.Faults())})
}

// simAddFaults adds all the faults or none of them.
func (s *Server) simAddFaults(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Faults []string `json:"faults"`
	}
	if !simDecode(w, r, &req) {
		return
	}
	var parsed []Fault
	for _, spec := range req.Faults {
		f, err := ParseFault(spec)
		if err == nil {
			err = s.checkFaultRoute(f)
		}
		if err != nil {
			simError(w, http.StatusBadRequest, err)
			return
		}
		parsed = append(parsed, f)
	}
	for _, f := range parsed {
		s.AddFault(f) // already checked
	}
	s.simListFaults(w, r)
}

func (s *Server) publicKeyIDMap() map[string]string {
	tok, sym := s.PublicKeyIDs()
	return map[string]string{usageKsefToken: tok, usageSymmetric: sym}
}

type simState struct {
	Challenges        int               `json:"challenges"`
	AuthOperations    int               `json:"authOperations"`
	ActiveSessions    int               `json:"activeSessions"`
	KSeFTokens        int               `json:"ksefTokens"`
	RevokedKSeFTokens int               `json:"revokedKsefTokens"`
	Persons           int               `json:"persons"`
	Subjects          int               `json:"subjects"`
	Grants            int               `json:"grants"`
	BlockedContexts   []string          `json:"blockedContexts"`
	Faults            []string          `json:"faults"`
	SpecViolations    int               `json:"specViolations"`
	OnlineSessions    int               `json:"onlineSessions"`
	StoredInvoices    int               `json:"storedInvoices"`
	Exports           int               `json:"exports"`
	RateLimited       int               `json:"rateLimited"` // 429s of Options.RateLimits
	PublicKeyIDs      map[string]string `json:"publicKeyIds"`
}

func (s *Server) simState(w http.ResponseWriter, r *http.Request) {
	st := simState{BlockedContexts: []string{}, Faults: faultStrings(s.Faults()),
		SpecViolations: len(s.SpecViolations()), PublicKeyIDs: s.publicKeyIDMap(), RateLimited: s.RateLimited()}
	s.mu.Lock()
	st.Challenges = len(s.challenges)
	st.AuthOperations = len(s.ops)
	for _, op := range s.ops {
		if op.redeemed && s.activeSession(op) {
			st.ActiveSessions++
		}
	}
	st.KSeFTokens = len(s.tokens)
	for _, t := range s.tokens {
		if t.revoked {
			st.RevokedKSeFTokens++
		}
	}
	st.Persons, st.Subjects = len(s.persons), len(s.subjects)
	st.OnlineSessions, st.StoredInvoices, st.Exports = len(s.sessions), len(s.store.order), len(s.exports)
	for _, byWho := range s.grants {
		st.Grants += len(byWho)
	}
	for k := range s.blocked {
		st.BlockedContexts = append(st.BlockedContexts, k)
	}
	s.mu.Unlock()
	sort.Strings(st.BlockedContexts)
	s.ok(w, http.StatusOK, st)
}
