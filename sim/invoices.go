package sim

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/receive"
)

// Receiving invoices (protocol.md §9): the download of one invoice by KSeF
// number and the metadata query, over the invoice store. An invoice is
// visible only to the parties its metadata names (InvoiceMetadata.Subjects:
// seller, buyer, third subjects, authorised subject), in their own
// context, and only from its permanentStorageDate on — until then KSeF
// knows it (21165 "not yet available") but lists it nowhere. The
// permanent-storage high-water mark trails the clock by Options.HWMLag:
// every invoice stored before it is final, because any invoice still to
// come gets a permanentStorageDate after its arrival plus the delays.

// Exception codes of the receiving endpoints.
const (
	codeNotYetAvailable  = 21165
	codeExportNotFound   = 21175
	codeExportForbidden  = 21181
	codeTooManyExports   = 21182
	codeBeyondHWM        = 21183
	defaultQueryLimit    = 10_000
	defaultHWMLag        = 500 * time.Millisecond
	defaultQueryPageSize = 10
)

func init() {
	for code, d := range map[int]string{
		codeNotYetAvailable: "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
		codeExportNotFound:  "Wynik zapytania o podanym identyfikatorze nie istnieje.",
		codeExportForbidden: "Nieprawidłowe żądanie eksportu faktur.",
		codeTooManyExports:  "Osiągnięto limit trwających eksportów.",
		codeBeyondHWM:       "Zakres filtrowania wykracza poza dostępny zakres danych.",
	} {
		exceptionDescriptions[code] = d
	}
}

// subjectTypes are the four ways a context can be on an invoice.
var subjectTypes = []string{SubjectSeller, SubjectBuyer, SubjectThird, SubjectAuthorized}

// isParty reports whether ctx sees inv as any subject type.
func isParty(inv *StoredInvoice, ctx ids.ContextIdentifier) bool {
	for _, t := range subjectTypes {
		if slices.Contains(inv.Subjects(t), ctx) {
			return true
		}
	}
	return false
}

// hwm is the permanent-storage high-water mark at now.
func (s *Server) hwm(now time.Time) time.Time {
	return now.Add(-s.opts.HWMLag).Truncate(100 * time.Nanosecond)
}

// GET /invoices/ksef/{ksefNumber}
func (s *Server) handleInvoiceDownload(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	n := r.PathValue("ksefNumber")
	now := s.now()
	s.mu.Lock()
	inv := s.store.byNumber[n]
	party := inv != nil && isParty(inv, op.context)
	var doc []byte
	ready := party && !now.Before(inv.PermanentStorageDate)
	if ready {
		doc = slices.Clone(inv.XML)
	}
	s.mu.Unlock()
	switch {
	case !party:
		s.badRequest(w, r, exc(codeInvoiceNotFound, "Faktura o numerze KSeF "+n+" nie została znaleziona."))
	case !ready:
		s.badRequest(w, r, exc(codeNotYetAvailable, "Faktura o numerze KSeF "+n+" została przetworzona, ale nie jest jeszcze dostępna do pobrania. Spróbuj ponownie później."))
	default:
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-ms-meta-hash", hashB64(doc))
		w.WriteHeader(http.StatusOK)
		w.Write(doc)
	}
}

// selection is what a filter set selects, in order.
type selection struct {
	invoices []*StoredInvoice
	hwm      time.Time // the high-water mark when selected
	to       time.Time // the range's end as applied (capped at hwm when asked)
}

// selectInvoices returns the invoices ctx sees as f.SubjectType that the
// filters select, sorted by the date of f's dateType (ties by KSeF number),
// ascending or descending. Caller holds s.mu.
func (s *Server) selectInvoices(ctx ids.ContextIdentifier, f *api.InvoiceQueryFilters, now time.Time, desc bool) selection {
	sel := selection{hwm: s.hwm(now), to: now}
	if f.DateRange.To != nil {
		sel.to = *f.DateRange.To
	}
	if f.DateRange.RestrictToPermanentStorageHwmDate && sel.to.After(sel.hwm) {
		sel.to = sel.hwm
	}
	for _, inv := range s.store.order {
		if now.Before(inv.PermanentStorageDate) || !slices.Contains(inv.Subjects(f.SubjectType), ctx) {
			continue
		}
		if matches(inv, f, sel.to) {
			sel.invoices = append(sel.invoices, inv)
		}
	}
	key := func(inv *StoredInvoice) time.Time { d, _ := sortDate(inv, f.DateRange.DateType); return d }
	sort.SliceStable(sel.invoices, func(i, j int) bool {
		a, b := sel.invoices[i], sel.invoices[j]
		if ka, kb := key(a), key(b); !ka.Equal(kb) {
			return ka.Before(kb) != desc
		}
		return (a.KSeFNumber < b.KSeFNumber) != desc
	})
	return sel
}

// sortDate is the date an invoice sorts by for a dateType: for Issue the
// start of its issue day in Poland.
func sortDate(inv *StoredInvoice, dateType string) (time.Time, bool) {
	switch dateType {
	case "PermanentStorage":
		return inv.PermanentStorageDate, true
	case "Invoicing":
		return inv.InvoicingDate, true
	}
	d, err := time.Parse(time.DateOnly, inv.IssueDate)
	return invoice.FromPolishWallClock(d), err == nil
}

// matches applies every filter of InvoiceQueryFilters but the subject type.
// Ranges are inclusive at both ends; an issue date is compared as a day
// (the days in Poland of from and to).
func matches(inv *StoredInvoice, f *api.InvoiceQueryFilters, to time.Time) bool {
	d := f.DateRange
	switch d.DateType {
	case "Issue":
		if inv.IssueDate < invoice.DateInPoland(d.From) || inv.IssueDate > invoice.DateInPoland(to) {
			return false
		}
	default:
		t, _ := sortDate(inv, d.DateType)
		if t.Before(d.From) || t.After(to) {
			return false
		}
	}
	m := &inv.InvoiceMetadata
	if f.KSeFNumber != "" && m.KSeFNumber != f.KSeFNumber || f.InvoiceNumber != "" && m.InvoiceNumber != f.InvoiceNumber {
		return false
	}
	if a := f.Amount; a != nil {
		v := map[string]float64{"Brutto": m.GrossAmount, "Netto": m.NetAmount, "Vat": m.VatAmount}[a.Type]
		if a.From != nil && v < *a.From || a.To != nil && v > *a.To {
			return false
		}
	}
	if f.SellerNIP != "" && m.Seller.NIP != f.SellerNIP {
		return false
	}
	if b := f.BuyerIdentifier; b != nil && (m.Buyer.Identifier.Type != b.Type || b.Value != "" && m.Buyer.Identifier.Value != b.Value) {
		return false
	}
	if len(f.CurrencyCodes) > 0 && !slices.Contains(f.CurrencyCodes, m.Currency) {
		return false
	}
	if f.InvoicingMode != "" && m.InvoicingMode != f.InvoicingMode {
		return false
	}
	if f.IsSelfInvoicing != nil && m.IsSelfInvoicing != *f.IsSelfInvoicing {
		return false
	}
	if f.FormType != "" && m.FormCode.Value != f.FormType {
		return false
	}
	if len(f.InvoiceTypes) > 0 && !slices.Contains(f.InvoiceTypes, m.InvoiceType) {
		return false
	}
	if f.HasAttachment != nil && m.HasAttachment != *f.HasAttachment {
		return false
	}
	return true
}

// checkFilters applies KSeF's rules beyond the schema (core/receive's
// CheckFilters, the one implementation of them) and the high-water mark
// rule; it answers 400 itself when they fail.
func (s *Server) checkFilters(w http.ResponseWriter, r *http.Request, f *api.InvoiceQueryFilters, now time.Time) bool {
	if err := receive.CheckFilters(f, now); err != nil {
		e := asAPIError(err)
		s.badRequest(w, r, exc(codeValidation, e...))
		return false
	}
	return true
}

// asAPIError lists an input error's findings (or its message).
func asAPIError(err error) []string {
	e := errs.As(err)
	if len(e.Findings) > 0 {
		return e.Findings
	}
	return []string{e.Field + ": " + e.Message}
}

type metadataPage struct {
	HasMore                 bool               `json:"hasMore"`
	IsTruncated             bool               `json:"isTruncated"`
	PermanentStorageHwmDate *string            `json:"permanentStorageHwmDate,omitempty"`
	Invoices                []*InvoiceMetadata `json:"invoices"`
}

// POST /invoices/query/metadata
func (s *Server) handleQueryMetadata(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	var f api.InvoiceQueryFilters
	if !s.decode(w, r, &f) {
		return
	}
	q := r.URL.Query()
	desc := q.Get("sortOrder") == "Desc"
	offset, _ := strconv.Atoi(q.Get("pageOffset"))
	size := defaultQueryPageSize
	if v := q.Get("pageSize"); v != "" {
		size, _ = strconv.Atoi(v)
	}
	now := s.now()
	if !s.checkFilters(w, r, &f, now) {
		return
	}
	s.mu.Lock()
	sel := s.selectInvoices(op.context, &f, now, desc)
	s.mu.Unlock()
	if f.DateRange.RestrictToPermanentStorageHwmDate && f.DateRange.From.After(sel.hwm) {
		s.badRequest(w, r, exc(codeBeyondHWM, "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym restrictToPermanentStorageHwmDate."))
		return
	}
	// KSeF's technical limit: only the first QueryLimit records of a filter
	// set can be paged to; the page where they end says isTruncated.
	total, reach := len(sel.invoices), min(len(sel.invoices), s.opts.QueryLimit)
	start := min(offset*size, reach)
	end := min(start+size, reach)
	out := metadataPage{
		HasMore:     total > end,
		IsTruncated: total > s.opts.QueryLimit && end >= s.opts.QueryLimit,
		Invoices:    make([]*InvoiceMetadata, 0, end-start),
	}
	for _, inv := range sel.invoices[start:end] {
		m := inv.InvoiceMetadata
		out.Invoices = append(out.Invoices, &m)
	}
	if f.DateRange.DateType == "PermanentStorage" {
		h := ksefTime(minTime(sel.to, sel.hwm))
		out.PermanentStorageHwmDate = &h
	}
	s.ok(w, http.StatusOK, out)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
