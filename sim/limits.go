package sim

import "net/http"

// The effective limits (GET /limits/context, GET /limits/subject) and rate
// limits (GET /rate-limits): KSeF's production values (protocol.md §13),
// which TEST applies too. The simulator enforces the rate limits only with
// Options.RateLimits (ratelimits.go); the others not at all.

type sessionLimits struct {
	MaxInvoiceSizeInMB               int `json:"maxInvoiceSizeInMB"`
	MaxInvoiceWithAttachmentSizeInMB int `json:"maxInvoiceWithAttachmentSizeInMB"`
	MaxInvoices                      int `json:"maxInvoices"`
}

type contextLimits struct {
	OnlineSession sessionLimits `json:"onlineSession"`
	BatchSession  sessionLimits `json:"batchSession"`
}

type subjectLimits struct {
	Enrollment  map[string]int `json:"enrollment"`
	Certificate map[string]int `json:"certificate"`
}

// RateLimit is one group's limits (EffectiveApiRateLimit); zero: none.
type RateLimit struct {
	PerSecond int `json:"perSecond"`
	PerMinute int `json:"perMinute"`
	PerHour   int `json:"perHour"`
}

type rateLimit = RateLimit

var defaultContextLimits = contextLimits{
	OnlineSession: sessionLimits{1, 3, 10000},
	BatchSession:  sessionLimits{1, 3, 10000},
}

var defaultRateLimits = map[string]rateLimit{
	"onlineSession": {10, 30, 120}, "batchSession": {10, 20, 60}, "invoiceSend": {10, 30, 180},
	"invoiceStatus": {30, 120, 1200}, "sessionList": {5, 10, 60}, "sessionInvoiceList": {10, 20, 200},
	"sessionMisc": {10, 120, 1200}, "invoiceMetadata": {8, 16, 20}, "invoiceExport": {8, 16, 20},
	"invoiceExportStatus": {10, 60, 600}, "invoiceDownload": {8, 16, 64}, "other": {10, 30, 120},
}

// GET /limits/context
func (s *Server) handleContextLimits(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(w, r, typAccess); ok {
		s.ok(w, http.StatusOK, defaultContextLimits)
	}
}

// GET /limits/subject: certificate limits by subject kind — 300 enrollments
// and 100 certificates for a NIP, 12 and 6 for a PESEL or a fingerprint.
func (s *Server) handleSubjectLimits(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r, typAccess)
	if !ok {
		return
	}
	s.mu.Lock()
	subject := s.ops[c.Arn].subject
	s.mu.Unlock()
	enrollments, certificates := 12, 6
	if subject.Type == IdentityNip {
		enrollments, certificates = 300, 100
	}
	s.ok(w, http.StatusOK, subjectLimits{
		Enrollment:  map[string]int{"maxEnrollments": enrollments},
		Certificate: map[string]int{"maxCertificates": certificates},
	})
}

// GET /rate-limits: the limits in force, with Options.RateLimitOverrides.
func (s *Server) handleRateLimits(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(w, r, typAccess); ok {
		s.ok(w, http.StatusOK, s.effectiveRateLimits())
	}
}
