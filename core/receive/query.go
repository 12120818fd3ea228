package receive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"iter"
	"slices"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ratelimit"
)

// Query is a metadata query: the filters, the sort order (Asc, the
// default, or Desc) by the date of the filters' dateType, and how many
// records to ask for per request (10–250; default 250 — KSeF's own default
// of 10 would spend 25 times the 20 queries an hour allows).
type Query struct {
	Filters   api.InvoiceQueryFilters `json:"filters"`
	SortOrder string                  `json:"sortOrder,omitempty"`
	PageSize  int                     `json:"pageSize,omitempty"`
}

// DefaultPageSize is the page size when Query.PageSize is 0.
const DefaultPageSize = 250

// Page is what one request of the query returned, without the records the
// cursor had delivered already. Cursor continues the query ("" after the
// last page); it is opaque, bound to the query it came from, and safe to
// store (it holds dates and KSeF numbers, no secrets).
type Page struct {
	Invoices []Metadata `json:"invoices"`
	Cursor   string     `json:"cursor,omitempty"`
	// PermanentStorageHwmDate (dateType PermanentStorage): everything up to
	// it is complete and final.
	PermanentStorageHwmDate *time.Time `json:"permanentStorageHwmDate,omitempty"`
	// Narrowed reports that KSeF's 10 000-record limit was reached and the
	// cursor moved the range to continue from the last record's date.
	Narrowed bool `json:"narrowed,omitempty"`
}

// cursor is the state of a query between requests.
type cursor struct {
	V     int       `json:"v"`
	Query string    `json:"q"`  // fingerprint of the query it belongs to
	Lo    time.Time `json:"lo"` // the range now (narrowed from the query's own)
	Hi    time.Time `json:"hi"`
	Page  int       `json:"p"`
	// Run: the KSeF numbers delivered at the latest date seen (RunDate).
	RunDate time.Time `json:"rd,omitzero"`
	Run     []string  `json:"r,omitempty"`
}

const cursorVersion = 1

func (c *cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, fingerprint string) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	}
	if err != nil || c.V != cursorVersion {
		return nil, errs.Invalid("cursor", "the cursor is not one this version of ksefkit handed out")
	}
	if c.Query != fingerprint {
		return nil, errs.Invalid("cursor", "the cursor belongs to another query: pass the same filters, sortOrder and pageSize as for the page it came with")
	}
	return &c, nil
}

// fingerprint identifies a query for its cursors: the filters, sort order
// and page size as the caller gives them.
func fingerprint(q *Query) string {
	b, _ := json.Marshal(q)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// withDefaults fills the paging defaults and checks them.
func (q Query) withDefaults() (Query, error) {
	if q.SortOrder == "" {
		q.SortOrder = "Asc"
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultPageSize
	}
	return q, CheckPaging(q.SortOrder, q.PageSize)
}

// dateOf is the date a record sorts by: the instant of its dateType, and
// for Issue the start of the issue day in Poland (what a range bound for
// that day is).
func dateOf(m *Metadata, dateType string) (time.Time, error) {
	switch dateType {
	case "PermanentStorage":
		return m.PermanentStorageDate.Time, nil
	case "Invoicing":
		return m.InvoicingDate.Time, nil
	}
	d, err := time.Parse(time.DateOnly, m.IssueDate)
	if err != nil {
		return time.Time{}, errs.New(errs.Protocol, "POST /invoices/query/metadata: invoice %s has issueDate %q, not YYYY-MM-DD", m.KSeFNumber, m.IssueDate)
	}
	return invoice.FromPolishWallClock(d), nil
}

// Page runs one request of the query: the first with cursor "", each
// following with the same query and the cursor the previous page returned.
// The first checks the filters (CheckFilters) and pins an open `to` at now
// in the cursor, so the set the cursor walks cannot grow at its end.
func (r *Receiver) Page(ctx context.Context, q Query, cursorText string) (*Page, error) {
	q, err := q.withDefaults()
	if err != nil {
		return nil, err
	}
	fp := fingerprint(&q)
	if cursorText != "" {
		c, err := decodeCursor(cursorText, fp)
		if err != nil {
			return nil, err
		}
		return r.page(ctx, &q, c)
	}
	now := r.clock(ctx).Now()
	if err := CheckFilters(&q.Filters, now); err != nil {
		return nil, err
	}
	hi := now.UTC().Truncate(100 * time.Nanosecond)
	if q.Filters.DateRange.To != nil {
		hi = *q.Filters.DateRange.To
	}
	return r.page(ctx, &q, &cursor{V: cursorVersion, Query: fp, Lo: q.Filters.DateRange.From, Hi: hi})
}

func (r *Receiver) page(ctx context.Context, q *Query, c *cursor) (*Page, error) {
	const route = "POST /invoices/query/metadata"
	f := q.Filters
	f.DateRange.From, f.DateRange.To = c.Lo, &c.Hi
	var resp *api.InvoiceMetadataPage
	err := r.cfg.Limiter.Do(ctx, r.clock(ctx), ratelimit.InvoiceMetadata, func() error {
		tok, err := r.cfg.AccessToken(ctx)
		if err != nil {
			return err
		}
		resp, err = r.cfg.API.QueryInvoiceMetadata(ctx, tok, api.MetadataQuery{Filters: &f, SortOrder: q.SortOrder, PageOffset: c.Page, PageSize: q.PageSize})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Invoices) > q.PageSize {
		return nil, errs.New(errs.Protocol, "%s: %d records on a page of %d", route, len(resp.Invoices), q.PageSize)
	}
	asc := q.SortOrder == "Asc"
	out := &Page{Invoices: make([]Metadata, 0, len(resp.Invoices))}
	if h := resp.PermanentStorageHwmDate; h != nil && !h.IsZero() {
		t := h.Time
		out.PermanentStorageHwmDate = &t
	}
	for i := range resp.Invoices {
		m := &resp.Invoices[i]
		d, err := dateOf(m, f.DateRange.DateType)
		if err != nil {
			return nil, err
		}
		switch {
		case c.Run != nil && d.Equal(c.RunDate):
			if slices.Contains(c.Run, m.KSeFNumber) {
				continue // delivered before: the boundary of a narrowed range, or a repeat across pages
			}
		case c.Run != nil && (asc && d.Before(c.RunDate) || !asc && d.After(c.RunDate)):
			return nil, errs.New(errs.Protocol, "%s: the records are not in %s order of %s dates (invoice %s)", route, q.SortOrder, f.DateRange.DateType, m.KSeFNumber)
		default:
			c.RunDate, c.Run = d, []string{}
		}
		c.Run = append(c.Run, m.KSeFNumber)
		out.Invoices = append(out.Invoices, *m)
	}
	switch {
	case !resp.HasMore:
		return out, nil
	case !resp.IsTruncated:
		if len(resp.Invoices) == 0 {
			return nil, errs.New(errs.Protocol, "%s: an empty page says there is more (hasMore) — it would never end", route)
		}
		c.Page++
	default:
		// KSeF's limit: continue from the last record's date (the run).
		if c.Run == nil {
			return nil, errs.New(errs.Protocol, "%s: truncated before any record — there is no date to continue from", route)
		}
		bound := &c.Lo
		if !asc {
			bound = &c.Hi
		}
		if bound.Equal(c.RunDate) {
			return nil, errs.Invalid("filters.dateRange", "more invoices than KSeF returns for one filter set (10 000) share the %s date %s: the range cannot be narrowed further; add filters (sellerNip, invoiceTypes, amount …)",
				f.DateRange.DateType, api.FormatQueryTime(c.RunDate))
		}
		*bound, c.Page = c.RunDate, 0
		out.Narrowed = true
	}
	out.Cursor = c.encode()
	return out, nil
}

// All iterates over every record of the query, fetching pages as the loop
// advances (each page is one request: mind KSeF's 20 queries an hour). It
// yields each record exactly once (see the package documentation); after
// an error it stops.
func (r *Receiver) All(ctx context.Context, q Query) iter.Seq2[Metadata, error] {
	return func(yield func(Metadata, error) bool) {
		cur := ""
		for {
			p, err := r.Page(ctx, q, cur)
			if err != nil {
				yield(Metadata{}, err)
				return
			}
			for _, m := range p.Invoices {
				if !yield(m, nil) {
					return
				}
			}
			if p.Cursor == "" {
				return
			}
			cur = p.Cursor
		}
	}
}
