package sim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Session and invoice status (protocol.md §8): GET /sessions, one
// session's status, its invoices (all or failed) and one invoice.

type upoPageInfo struct {
	ReferenceNumber           string `json:"referenceNumber"`
	DownloadURL               string `json:"downloadUrl"`
	DownloadURLExpirationDate string `json:"downloadUrlExpirationDate"`
}

type upoInfo struct {
	Pages []upoPageInfo `json:"pages"`
}

type sessionStatusResponse struct {
	Status                 statusInfo `json:"status"`
	DateCreated            string     `json:"dateCreated"`
	DateUpdated            string     `json:"dateUpdated"`
	ValidUntil             string     `json:"validUntil,omitempty"`
	UPO                    *upoInfo   `json:"upo,omitempty"`
	InvoiceCount           *int       `json:"invoiceCount,omitempty"`
	SuccessfulInvoiceCount *int       `json:"successfulInvoiceCount,omitempty"`
	FailedInvoiceCount     *int       `json:"failedInvoiceCount,omitempty"`
}

// GET /sessions/{referenceNumber}
func (s *Server) handleSessionStatus(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.lockSession(w, r)
	if !ok {
		return
	}
	now := s.now()
	st := s.sessionState(sess, now)
	out := sessionStatusResponse{
		Status: st, DateCreated: ksefTime(sess.created), DateUpdated: ksefTime(sess.updated(now)),
		ValidUntil: ksefTime(sess.validUntil),
	}
	if len(sess.invoices) > 0 {
		total, good, bad := sess.counts(now)
		out.InvoiceCount, out.SuccessfulInvoiceCount, out.FailedInvoiceCount = &total, &good, &bad
	}
	var snapshot []*sessionInvoice
	if st.Code == 200 {
		snapshot = slices.Clone(sess.invoices)
	}
	s.mu.Unlock()
	if snapshot != nil {
		pages, err := s.sessionUPO(sess, snapshot)
		if err != nil {
			s.unexpected(w, r, "ksef-sim: session UPO: "+err.Error())
			return
		}
		out.UPO = &upoInfo{Pages: []upoPageInfo{}}
		for _, p := range pages {
			u, exp := s.presign(r, sess.ref, "session-upo", p.ref)
			out.UPO.Pages = append(out.UPO.Pages, upoPageInfo{p.ref, u, ksefTime(exp)})
		}
	}
	s.ok(w, http.StatusOK, out)
}

type sessionInvoiceStatus struct {
	OrdinalNumber                int           `json:"ordinalNumber"`
	InvoiceNumber                string        `json:"invoiceNumber,omitempty"`
	KSeFNumber                   string        `json:"ksefNumber,omitempty"`
	ReferenceNumber              string        `json:"referenceNumber"`
	InvoiceHash                  string        `json:"invoiceHash"`
	InvoiceFileName              string        `json:"invoiceFileName,omitempty"`
	AcquisitionDate              string        `json:"acquisitionDate,omitempty"`
	InvoicingDate                string        `json:"invoicingDate"`
	PermanentStorageDate         string        `json:"permanentStorageDate,omitempty"`
	UPODownloadURL               string        `json:"upoDownloadUrl,omitempty"`
	UPODownloadURLExpirationDate string        `json:"upoDownloadUrlExpirationDate,omitempty"`
	InvoicingMode                string        `json:"invoicingMode,omitempty"`
	Status                       invoiceStatus `json:"status"`
}

// describeInvoice renders one invoice at now. Caller holds s.mu.
func (s *Server) describeInvoice(r *http.Request, sess *onlineSession, inv *sessionInvoice, now time.Time) sessionInvoiceStatus {
	out := sessionInvoiceStatus{
		OrdinalNumber: inv.ordinal, InvoiceNumber: inv.number, ReferenceNumber: inv.ref, InvoiceHash: inv.hash,
		InvoiceFileName: inv.fileName, InvoicingDate: ksefTime(inv.received), Status: inv.statusAt(now),
	}
	if inv.number != "" {
		out.InvoicingMode = inv.mode
	}
	if inv.succeeded(now) {
		out.KSeFNumber = inv.stored.KSeFNumber
		out.AcquisitionDate = ksefTime(inv.stored.AcquisitionDate)
		if !now.Before(inv.stored.PermanentStorageDate) {
			out.PermanentStorageDate = ksefTime(inv.stored.PermanentStorageDate)
		}
		u, exp := s.presign(r, sess.ref, "invoice-upo", inv.stored.KSeFNumber)
		out.UPODownloadURL, out.UPODownloadURLExpirationDate = u, ksefTime(exp)
	}
	return out
}

// GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}
func (s *Server) handleInvoiceStatus(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.lockSession(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	invRef := r.PathValue("invoiceReferenceNumber")
	inv := sess.byRef[invRef]
	if inv == nil {
		s.badRequest(w, r, exc(codeInvoiceNotFound, "Faktura o numerze referencyjnym "+invRef+" nie została znaleziona w sesji "+sess.ref+"."))
		return
	}
	s.ok(w, http.StatusOK, s.describeInvoice(r, sess, inv, s.now()))
}

type sessionInvoicesResponse struct {
	ContinuationToken *string                `json:"continuationToken,omitempty"`
	Invoices          []sessionInvoiceStatus `json:"invoices"`
}

// GET /sessions/{referenceNumber}/invoices and …/invoices/failed, in
// ordinal order, with continuation paging.
func (s *Server) handleSessionInvoices(failedOnly bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pageSize, ok := s.pageSize(w, r, 10, 1000)
		if !ok {
			return
		}
		from, ok := s.continuation(w, r)
		ref := r.PathValue("referenceNumber")
		if ok && from != nil && from.Ref != ref {
			s.badRequest(w, r, exc(codeBadContinuation, "the continuation token belongs to another session"))
			ok = false
		}
		if !ok {
			return
		}
		after := 0
		if from != nil {
			after = int(from.Start)
		}
		_, sess, ok := s.lockSession(w, r)
		if !ok {
			return
		}
		defer s.mu.Unlock()
		now := s.now()
		out := sessionInvoicesResponse{Invoices: []sessionInvoiceStatus{}}
		for _, inv := range sess.invoices {
			if inv.ordinal <= after || failedOnly && (now.Before(inv.done) || inv.final.Code == 200) {
				continue
			}
			if len(out.Invoices) == pageSize {
				next := encodeCursorAt(int64(out.Invoices[pageSize-1].OrdinalNumber), ref)
				out.ContinuationToken = &next
				break
			}
			out.Invoices = append(out.Invoices, s.describeInvoice(r, sess, inv, now))
		}
		s.ok(w, http.StatusOK, out)
	}
}

type sessionsQueryItem struct {
	ReferenceNumber        string     `json:"referenceNumber"`
	Status                 statusInfo `json:"status"`
	DateCreated            string     `json:"dateCreated"`
	DateUpdated            string     `json:"dateUpdated"`
	ValidUntil             string     `json:"validUntil,omitempty"`
	TotalInvoiceCount      int        `json:"totalInvoiceCount"`
	SuccessfulInvoiceCount int        `json:"successfulInvoiceCount"`
	FailedInvoiceCount     int        `json:"failedInvoiceCount"`
}

type sessionsQueryResponse struct {
	ContinuationToken *string             `json:"continuationToken,omitempty"`
	Sessions          []sessionsQueryItem `json:"sessions"`
}

// commonStatus is the CommonSessionStatus a session status belongs to.
func commonStatus(code int) string {
	switch {
	case code < 200:
		return "InProgress"
	case code == 200:
		return "Succeeded"
	case code == 440:
		return "Cancelled"
	}
	return "Failed"
}

// timeRange is a from/to filter on one date; a zero bound is open.
type timeRange struct{ from, to time.Time }

func (tr timeRange) holds(t time.Time) bool {
	if tr.from.IsZero() && tr.to.IsZero() {
		return true
	}
	return !t.IsZero() && (tr.from.IsZero() || !t.Before(tr.from)) && (tr.to.IsZero() || !t.After(tr.to))
}

// queryTime reads a date-time filter; without an offset it is
// Europe/Warsaw time, as KSeF documents.
func queryTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, warsaw)
	return t, err == nil
}

// GET /sessions: the caller's sessions — those its subject opened in its
// context, or all of the context with Introspection — oldest first.
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	pageSize, ok := s.pageSize(w, r, 10, 1000)
	if !ok {
		return
	}
	q := r.URL.Query()
	var ranges [3]timeRange // created, closed, modified
	var bad []string
	for i, name := range []string{"dateCreated", "dateClosed", "dateModified"} {
		from, ok1 := queryTime(q.Get(name + "From"))
		to, ok2 := queryTime(q.Get(name + "To"))
		if !ok1 || !ok2 {
			bad = append(bad, name+"From/"+name+"To: not a date-time")
		}
		ranges[i] = timeRange{from, to}
	}
	if len(bad) > 0 {
		s.badRequest(w, r, exc(codeValidation, bad...))
		return
	}
	from, ok := s.continuation(w, r)
	if !ok {
		return
	}
	statuses := q["statuses"]
	wantRef := q.Get("referenceNumber")
	seeAll := slices.Contains(op.permissions, "Introspection")
	now := s.now()
	out := sessionsQueryResponse{Sessions: []sessionsQueryItem{}}

	s.mu.Lock()
	defer s.mu.Unlock()
	batch := q.Get("sessionType") == "Batch"
	var list []*onlineSession
	for _, sess := range s.sessions {
		if (sess.batch != nil) != batch || sess.context != op.context || !seeAll && sess.opener.subject != op.subject ||
			wantRef != "" && sess.ref != wantRef || from != nil && !laterThan(sess, *from) {
			continue
		}
		st := s.sessionState(sess, now)
		if len(statuses) > 0 && !slices.Contains(statuses, commonStatus(st.Code)) ||
			!ranges[0].holds(sess.created) || !ranges[1].holds(sess.closedBy(now)) || !ranges[2].holds(sess.updated(now)) {
			continue
		}
		list = append(list, sess)
	}
	slices.SortFunc(list, func(a, b *onlineSession) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.ref, b.ref)
	})
	if len(list) > pageSize {
		next := encodeCursorAt(list[pageSize-1].created.UnixNano(), list[pageSize-1].ref)
		out.ContinuationToken = &next
		list = list[:pageSize]
	}
	for _, sess := range list {
		total, good, failed := sess.counts(now)
		out.Sessions = append(out.Sessions, sessionsQueryItem{
			ReferenceNumber: sess.ref, Status: s.sessionState(sess, now), DateCreated: ksefTime(sess.created),
			DateUpdated: ksefTime(sess.updated(now)), ValidUntil: ksefTime(sess.validUntil),
			TotalInvoiceCount: total, SuccessfulInvoiceCount: good, FailedInvoiceCount: failed,
		})
	}
	s.ok(w, http.StatusOK, out)
}

// closedBy is when the session closed, if it has by now.
func (sess *onlineSession) closedBy(now time.Time) time.Time {
	if sess.closed.After(now) {
		return time.Time{}
	}
	return sess.closed
}

// laterThan orders sessions for paging: created, then reference.
func laterThan(sess *onlineSession, c cursor) bool {
	if n := sess.created.UnixNano(); n != c.Start {
		return n > c.Start
	}
	return sess.ref > c.Ref
}
