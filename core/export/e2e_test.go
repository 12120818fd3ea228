package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/export"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/sim"
	"github.com/ksefkit/ksefkit/sim/simtest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// world: a simulator with parts of 64 kB and a buyer with 300 invoices
// of ~5 kB from one seller (a package of several parts).
type world struct {
	srv     *sim.Server
	buyer   *ksef.Client
	numbers []string
	start   time.Time
}

func newWorld(t *testing.T, opts sim.Options, count int) *world {
	t.Helper()
	if opts.ExportPartSize == 0 {
		opts.ExportPartSize = 64_000
	}
	if opts.ExportDelay == 0 {
		opts.ExportDelay = 30 * time.Millisecond
	}
	w := &world{srv: simtest.Start(t, opts), start: time.Now().Add(-time.Hour)}
	var buyerNIP string
	w.buyer, buyerNIP = simtest.Party(t, w.srv)
	_, sellerNIP := simtest.Party(t, w.srv)
	seeded, err := w.srv.SeedInvoices(sim.Seed{SellerNIP: sellerNIP, BuyerNIP: buyerNIP, Count: count, Size: 5000, StoredFrom: w.start, Spacing: "1s"})
	if err != nil {
		t.Fatal(err)
	}
	w.numbers = seeded.KSeFNumbers
	return w
}

func (w *world) request() export.Request {
	return export.Request{Filters: api.InvoiceQueryFilters{SubjectType: "Subject2", DateRange: api.InvoiceQueryDateRange{
		DateType: "PermanentStorage", From: w.start, RestrictToPermanentStorageHwmDate: true,
	}}}
}

func (w *world) ready(t *testing.T) *export.Package {
	t.Helper()
	x, err := w.buyer.Exports().Start(ctx(t), w.request())
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An export of a few hundred invoices in several parts: downloaded,
// decrypted, opened; every document matches what KSeF stores.
func TestExportDocuments(t *testing.T) {
	w := newWorld(t, sim.Options{}, 300)
	p := w.ready(t)
	if p.Info.InvoiceCount != 300 || len(p.Info.Parts) < 3 || p.Info.IsTruncated {
		t.Fatalf("package: %d invoices, %d parts", p.Info.InvoiceCount, len(p.Info.Parts))
	}
	var events []progress.Event
	a, err := p.Open(progress.With(ctx(t), func(e progress.Event) { events = append(events, e) }))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	stored := map[string][]byte{}
	for _, inv := range w.srv.Invoices() {
		stored[inv.KSeFNumber] = inv.XML
	}
	var got []string
	for d, err := range a.Documents() {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.XML, stored[d.Metadata.KSeFNumber]) || d.Metadata.InvoiceNumber == "" {
			t.Fatalf("%s differs from what KSeF stores", d.Metadata.KSeFNumber)
		}
		got = append(got, d.Metadata.KSeFNumber)
	}
	if !slices.Equal(got, w.numbers) {
		t.Fatalf("%d documents, want %d in order", len(got), len(w.numbers))
	}
	last := events[len(events)-1]
	if last.Stage != "download" || last.Done != int64(len(p.Info.Parts)) || last.Bytes != last.BytesTotal {
		t.Fatalf("last progress event %+v", last)
	}
	// The package written to a file is the same ZIP.
	path := filepath.Join(t.TempDir(), "package.zip")
	n, err := p.WriteFile(ctx(t), path)
	if err != nil || n != p.Info.Size {
		t.Fatalf("WriteFile: %d of %d bytes, %v", n, p.Info.Size, err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil || len(zr.File) != 301 {
		t.Fatalf("the written package: %v", err)
	}
	zr.Close()
}

// A tampered part — consistent storage headers, wrong content — is a typed
// error naming the part, and nothing of the package is left behind.
func TestExportTamperedPart(t *testing.T) {
	w := newWorld(t, sim.Options{}, 60)
	p := w.ready(t)
	if err := w.srv.AddFault(sim.Fault{Route: "GET /storage", Call: 2, Kind: sim.FaultPartTamper}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "package.zip")
	_, err := p.WriteFile(ctx(t), path)
	e := errs.As(err)
	if e.Code != errs.Protocol || !strings.Contains(e.Message, "part 2 of") || !strings.Contains(e.Message, "encryptedPartHash") || e.ReferenceNumber != p.ReferenceNumber() {
		t.Fatalf("tampered part: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the partial package was left at %s", path)
	}
	// Not tampered the next time: the package opens.
	a, err := p.Open(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// A download that breaks off mid-part is fetched again (the spool is cut
// back to the part's start); an expired URL is replaced by a fresh one.
func TestExportRetriesParts(t *testing.T) {
	w := newWorld(t, sim.Options{DownloadURLTTL: time.Second}, 60)
	p := w.ready(t)
	if err := w.srv.AddFault(sim.Fault{Route: "GET /storage", Call: 2, Kind: sim.FaultDrop}); err != nil {
		t.Fatal(err)
	}
	a, err := p.Open(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range a.Documents() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	a.Close()
	if n != 60 {
		t.Fatalf("%d documents", n)
	}
	time.Sleep(1100 * time.Millisecond) // the URLs expire
	if _, err := p.WriteTo(ctx(t), &bytes.Buffer{}); err != nil {
		t.Fatalf("after the URLs expired: %v", err)
	}
}

// Terminal statuses are typed errors with KSeF's status; filters are
// checked before the export starts.
func TestExportStatuses(t *testing.T) {
	w := newWorld(t, sim.Options{ExportInvoiceLimit: 25}, 40)
	p := w.ready(t)
	if !p.Info.IsTruncated || p.Info.InvoiceCount != 25 || p.Info.LastPermanentStorageDate == nil {
		t.Fatalf("truncated package: %+v", p.Info)
	}
	req := w.request()
	req.Filters.DateRange.From = time.Now().Add(time.Hour)
	to := time.Now().Add(2 * time.Hour)
	req.Filters.DateRange.To = &to
	x, err := w.buyer.Exports().Start(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Wait(ctx(t))
	if e := errs.As(err); e.Code != errs.API || e.Status != 420 || e.ReferenceNumber != x.ReferenceNumber() {
		t.Fatalf("beyond the high-water mark: %v", err)
	}
	req = w.request()
	req.Filters.SubjectType = "Seller"
	if _, err := w.buyer.Exports().Start(ctx(t), req); errs.As(err).Field != "filters.subjectType" {
		t.Fatalf("bad filters: %v", err)
	}
	// The state holds the key; printed or marshalled it is redacted.
	st := x.State()
	raw := base64.StdEncoding.EncodeToString(st.Key.Reveal())
	j, _ := json.Marshal(st)
	if out := fmt.Sprintf("%v %+v %#v %s", st, st, st, j); strings.Contains(out, raw) || len(st.Key.Reveal()) != 32 {
		t.Fatalf("the export state shows its key: %s", out)
	}
}

func TestExportRestore(t *testing.T) {
	w := newWorld(t, sim.Options{}, 20)
	x, err := w.buyer.Exports().Start(ctx(t), w.request())
	if err != nil {
		t.Fatal(err)
	}
	y, err := w.buyer.Exports().Restore(x.State())
	if err != nil {
		t.Fatal(err)
	}
	p, err := y.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.Open(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	n := 0
	for m, err := range a.Metadata() {
		if err != nil || m.KSeFNumber != w.numbers[n] {
			t.Fatalf("record %d: %v", n, err)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("%d records", n)
	}
}
