package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// runBatch is the demo's last act: n generated FA (3) invoices (10 KB,
// unique numbers) of the context's seller in one batch session, with a
// progress line, the outcome per status and the session UPO's document
// count. KSEF_NIP and KSEF_TOKEN name the context (make demo passes the
// simulator's seeded ones).
func runBatch(w io.Writer, baseURL string, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	nip, token := os.Getenv("KSEF_NIP"), os.Getenv("KSEF_TOKEN")
	if nip == "" || token == "" {
		return fmt.Errorf("--batch needs KSEF_NIP and KSEF_TOKEN")
	}
	cfg := ksef.Config{Environment: os.Getenv("KSEF_ENV"), BaseURL: baseURL}
	if cfg.Environment == "" {
		cfg.Environment = "test"
	}
	c, err := ksef.New(cfg)
	if err != nil {
		return err
	}
	if _, err := c.AuthenticateWithToken(ctx, ksef.TokenAuth{Token: secret.NewString(token), Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: nip}}); err != nil {
		return describe("authentication", err)
	}
	g, err := samples.NewGenerator(samples.Fill{SellerNIP: nip, Number: "KSEFKIT/BATCH/" + fmt.Sprint(time.Now().UnixNano()%1e9)}, 10_000)
	if err != nil {
		return err
	}
	docs := make([]batch.Document, n)
	for i := range docs {
		docs[i] = batch.Bytes(fmt.Sprintf("FV-%04d.xml", i+1), g.Invoice(i+1))
	}
	fmt.Fprintf(w, "batch            %d generated FA (3) invoices of %d bytes\n", n, len(g.Invoice(1)))
	line := progressLine(w)
	start := time.Now()
	rep, err := c.SendBatch(progress.With(ctx, line.show), batch.Documents(docs...), batch.Options{PartSize: 200_000})
	line.end()
	if err != nil {
		return describe("the batch", err)
	}
	fmt.Fprintf(w, "batch session    %s: status %d %s, %d parts, %s archive of %d bytes, in %s\n", rep.ReferenceNumber,
		rep.Status.Code, rep.Status.Description, len(rep.Parts), rep.Packing.Compression, rep.Archive.Size, time.Since(start).Round(time.Millisecond))
	counts := map[string]int{}
	for _, d := range rep.Documents {
		counts[fmt.Sprintf("%s (%d)", d.Outcome, statusOf(d))]++
	}
	var per []string
	for k, v := range counts {
		per = append(per, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(per)
	fmt.Fprintf(w, "per status       %s\n", strings.Join(per, ", "))
	listed := 0
	for _, u := range rep.UPOs {
		if !u.Verified {
			return describe("verifying the session UPO", u.VerificationError)
		}
		listed += len(u.Verification.UPO.Documents)
	}
	if rep.UPOError != nil {
		return describe("downloading the session UPO", rep.UPOError)
	}
	fmt.Fprintf(w, "session UPO      %d page(s), %d documents, signature verified\n", len(rep.UPOs), listed)
	if rep.SuccessfulInvoiceCount != n || listed != n {
		return fmt.Errorf("%d of %d invoices accepted, %d in the UPO", rep.SuccessfulInvoiceCount, n, listed)
	}
	return nil
}

func statusOf(d batch.DocumentResult) int {
	if d.Result != nil {
		return d.Result.Status.Code
	}
	return 0
}

// line is one progress line, rewritten in place on a terminal, printed
// once per stage otherwise.
type line struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	stage string
	shown bool
}

func progressLine(w io.Writer) *line {
	l := &line{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			l.tty = true
		}
	}
	return l
}

func (l *line) show(e progress.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text := e.Stage
	switch {
	case e.Stage == "pack":
		text = fmt.Sprintf("packing %d/%d documents, %d archive bytes", e.Done, e.Total, e.Bytes)
	case e.Stage == "upload":
		text = fmt.Sprintf("uploading part %d/%d, %d/%d bytes", e.Done, e.Total, e.Bytes, e.BytesTotal)
	case e.Stage == "open":
		text = "session opened: " + e.Detail
	case e.Stage == "close":
		text = "session closed, every part in"
	case e.Stage == "process":
		text = "KSeF is processing"
	case e.Stage == "upo":
		text = "downloading the session UPO"
	}
	if l.tty {
		fmt.Fprintf(l.w, "\rprogress         %-60s", text)
		l.shown = true
		return
	}
	if e.Stage != l.stage && (e.Stage != "pack" || e.Done == e.Total) || e.Stage == "upload" && e.Done == e.Total && e.Total > 0 {
		fmt.Fprintf(l.w, "progress         %s\n", text)
	}
	if e.Stage != "pack" || e.Done == e.Total {
		l.stage = e.Stage
	}
}

func (l *line) end() {
	if l.tty && l.shown {
		fmt.Fprintln(l.w)
	}
}
