package receive_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/receive"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/samples"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// A sent invoice downloads byte for byte as sent, by its buyer, once KSeF
// has stored it for good (the 21165 "not yet" answers are waited out).
func TestDownloadSentInvoice(t *testing.T) {
	srv := simtest.Start(t, sim.Options{ProcessingDelay: 20 * time.Millisecond, PermanentStorageDelay: 300 * time.Millisecond})
	seller, sellerNIP := simtest.Party(t, srv)
	buyer, buyerNIP := simtest.Party(t, srv)
	doc, err := samples.Invoice("fa3", samples.Fill{SellerNIP: sellerNIP, BuyerNIP: buyerNIP})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := seller.SendInvoices(ctx(t), []online.Document{{Name: "one", XML: doc}}, online.SendAllOptions{NoUPO: true})
	if err != nil || len(rep.Invoices) != 1 || !rep.Invoices[0].OK {
		t.Fatalf("send: %v %+v", err, rep)
	}
	n := rep.Invoices[0].KSeFNumber
	got, err := buyer.Invoices().Get(ctx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.XML, doc) || !got.HashChecked || got.SHA256 != rep.Invoices[0].InvoiceHash {
		t.Fatalf("downloaded %d bytes (sent %d), hash checked %v", len(got.XML), len(doc), got.HashChecked)
	}
	// Another context is no party of it: 21164, typed.
	other, _ := simtest.Party(t, srv)
	_, err = other.Invoices().Get(ctx(t), n)
	if e := errs.As(err); e.Code != errs.API || !e.HasException(receive.CodeNotFound) {
		t.Fatalf("a stranger's download: %v", err)
	}
}

// metadataOf collects a query through the iterator.
func metadataOf(t *testing.T, c *ksef.Client, q receive.Query) []string {
	t.Helper()
	var out []string
	for m, err := range c.Invoices().All(ctx(t), q) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.KSeFNumber)
	}
	return out
}

func since(t time.Time) receive.Query {
	return receive.Query{Filters: api.InvoiceQueryFilters{SubjectType: "Subject2", DateRange: api.InvoiceQueryDateRange{DateType: "PermanentStorage", From: t}}}
}

// Across pages, and across KSeF's truncation (the simulator's limit set to
// 25) with several records sharing each instant — so that narrowing cuts
// through a group of equal dates — every record comes exactly once, in
// order, ascending and descending.
func TestQueryEachRecordOnce(t *testing.T) {
	srv := simtest.Start(t, sim.Options{QueryLimit: 25})
	buyer, buyerNIP := simtest.Party(t, srv)
	_, sellerNIP := simtest.Party(t, srv)
	start := time.Now().Add(-time.Hour)
	seeded, err := srv.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: 97, StoredFrom: start, Spacing: "1s", PerInstant: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := seeded.KSeFNumbers // ascending by date; within an instant by KSeF number
	for i := 0; i < len(want); i += 3 {
		slices.Sort(want[i:min(i+3, len(want))])
	}
	for _, size := range []int{10, 25, 250} {
		q := since(start)
		q.PageSize = size
		if got := metadataOf(t, buyer, q); !slices.Equal(got, want) {
			t.Fatalf("pageSize %d, Asc: %d records, want %d", size, len(got), len(want))
		}
		q.SortOrder = "Desc"
		rev := slices.Clone(want)
		slices.Reverse(rev)
		if got := metadataOf(t, buyer, q); !slices.Equal(got, rev) {
			t.Fatalf("pageSize %d, Desc: %d records, want %d", size, len(got), len(want))
		}
	}
	// The same through pages and cursors, as the bindings use it.
	q := since(start)
	q.PageSize = 10
	var got []string
	narrowed := 0
	for cur := ""; ; {
		p, err := buyer.Invoices().Page(ctx(t), q, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Invoices {
			got = append(got, m.KSeFNumber)
		}
		if p.Narrowed {
			narrowed++
		}
		if p.PermanentStorageHwmDate == nil {
			t.Fatal("no high-water mark for dateType PermanentStorage")
		}
		if cur = p.Cursor; cur == "" {
			break
		}
	}
	if !slices.Equal(got, want) || narrowed < 3 {
		t.Fatalf("pages: %d records, %d narrowings", len(got), narrowed)
	}
	// A cursor is bound to its query.
	p, err := buyer.Invoices().Page(ctx(t), q, "")
	if err != nil {
		t.Fatal(err)
	}
	other := q
	other.Filters.SellerNIP = sellerNIP
	if _, err := buyer.Invoices().Page(ctx(t), other, p.Cursor); errs.As(err).Field != "cursor" {
		t.Fatalf("a cursor of another query: %v", err)
	}
}

// More records than KSeF's limit at one instant cannot be narrowed: a
// typed error, not a loop and not a silent loss.
func TestQueryCannotNarrowOneInstant(t *testing.T) {
	srv := simtest.Start(t, sim.Options{QueryLimit: 10})
	buyer, buyerNIP := simtest.Party(t, srv)
	_, sellerNIP := simtest.Party(t, srv)
	start := time.Now().Add(-time.Hour)
	if _, err := srv.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: 15, StoredFrom: start, PerInstant: 15}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range buyer.Invoices().All(ctx(t), since(start)) {
		if err != nil {
			if e := errs.As(err); e.Code != errs.InputInvalid || e.Field != "filters.dateRange" {
				t.Fatalf("error %v", err)
			}
			if n != 10 {
				t.Fatalf("%d records before the error", n)
			}
			return
		}
		n++
	}
	t.Fatal("no error")
}

// Bad filters are refused before anything is sent: this client's base URL
// leads nowhere, so a request would be a transport error.
func TestFiltersRefusedLocally(t *testing.T) {
	c, err := ksef.New(ksef.Config{Environment: "test", BaseURL: "http://127.0.0.1:1/v2"})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC)
	to := from.AddDate(0, 3, 1)
	bad := []struct {
		field string
		edit  func(q *receive.Query)
	}{
		{"filters.subjectType", func(q *receive.Query) { q.Filters.SubjectType = "Buyer" }},
		{"filters.dateRange.dateType", func(q *receive.Query) { q.Filters.DateRange.DateType = "Sent" }},
		{"filters.dateRange.to", func(q *receive.Query) { q.Filters.DateRange.To = &to }},
		{"filters.dateRange.restrictToPermanentStorageHwmDate", func(q *receive.Query) {
			q.Filters.DateRange.DateType, q.Filters.DateRange.RestrictToPermanentStorageHwmDate = "Issue", true
		}},
		{"filters.currencyCodes[1]", func(q *receive.Query) { q.Filters.CurrencyCodes = []string{"PLN", "XYZ"} }},
		{"filters.invoiceTypes[0]", func(q *receive.Query) { q.Filters.InvoiceTypes = []string{"VAT"} }},
		{"filters.sellerNip", func(q *receive.Query) { q.Filters.SellerNIP = "1234567890" }},
		{"filters.amount.type", func(q *receive.Query) { q.Filters.Amount = &api.InvoiceQueryAmount{Type: "Gross"} }},
		{"filters.buyerIdentifier.value", func(q *receive.Query) {
			q.Filters.BuyerIdentifier = &api.InvoiceQueryBuyerID{Type: "None", Value: "x"}
		}},
		{"pageSize", func(q *receive.Query) { q.PageSize = 251 }},
		{"sortOrder", func(q *receive.Query) { q.SortOrder = "asc" }},
	}
	for _, b := range bad {
		q := since(from)
		end := from.AddDate(0, 1, 0)
		q.Filters.DateRange.To = &end
		b.edit(&q)
		_, err := c.Invoices().Page(ctx(t), q, "")
		if e := errs.As(err); e.Code != errs.InputInvalid || e.Field != b.field {
			t.Errorf("%s: %v", b.field, err)
		}
	}
	if _, err := c.Invoices().Get(ctx(t), "1234567890-20260101-ABCDEF012345-00"); errs.CodeOf(err) != errs.InputInvalid {
		t.Errorf("a KSeF number with a bad checksum: %v", err)
	}
}

// Three months as KSeF counts them: in UTC or in Polish time, whichever
// ends later.
func TestMaxRangeEnd(t *testing.T) {
	for _, c := range []struct{ from, want string }{
		{"2026-01-15T10:00:00Z", "2026-04-15T10:00:00Z"},
		// 31 Jan 23:30 UTC + 3 months is "31 April", 1 May 23:30 UTC; in Poland it is
		// 1 Feb 00:30, + 3 months 1 May 00:30 CEST = 30 Apr 22:30 UTC: UTC ends later.
		{"2026-01-31T23:30:00Z", "2026-05-01T23:30:00Z"},
		// Across the change to summer time, Polish time gives an hour less in UTC terms; UTC wins.
		{"2026-01-10T12:00:00+01:00", "2026-04-10T11:00:00Z"},
		// From summer time into winter time, Polish wall time ends an hour later.
		{"2026-08-10T12:00:00+02:00", "2026-11-10T11:00:00Z"},
	} {
		from, _ := time.Parse(time.RFC3339, c.from)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := receive.MaxRangeEnd(from); !got.Equal(want) {
			t.Errorf("from %s: %s, want %s", c.from, got.UTC().Format(time.RFC3339), c.want)
		}
	}
}
