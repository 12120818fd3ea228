// Package hwm is incremental sync: bring every invoice KSeF holds for a
// context into the caller's hands, once, and afterwards only what is new —
// across KSeF's package limits, restarts and rate limits. (Named after
// KSeF's permanent-storage high-water mark; "sync" would shadow the
// standard library.)
//
// # The state machine
//
// Per subject type (Subject1 seller, Subject2 buyer, Subject3 third party,
// SubjectAuthorized) the State holds a Position: From, where the next
// window starts in permanent-storage time, and Seen, the KSeF numbers
// already delivered at exactly From. One window is:
//
//  1. one export (POST /invoices/exports) of dateType PermanentStorage,
//     from From to the run's end (at most three months on), with
//     restrictToPermanentStorageHwmDate, so KSeF cuts it at its high-water
//     mark — below which its data never changes;
//  2. the package, downloaded, decrypted and opened (package export);
//  3. its documents in ascending permanentStorageDate order, those in Seen
//     skipped, each handed to the caller;
//  4. the next Position: From becomes the package's
//     lastPermanentStorageDate when KSeF truncated it (10 000 invoices or
//     1 GB), otherwise its permanentStorageHwmDate; Seen becomes the
//     delivered invoices stored exactly at the new From (a window's ends
//     are inclusive, so those — and only those — can come again);
//  5. the state saved (Store.Save: atomic).
//
// A run ends for a subject type when a window reached the run's end (the
// moment it started) untruncated. Nothing runs in the background.
//
// # Never lose, never duplicate
//
// The state moves (step 5) only after the caller has taken every document
// of the window (step 3 returned for the last one) and the store has
// saved it atomically. A crash, a cancelled context or an error before
// that leaves the old state, and the next run exports the same window
// again: every invoice is delivered at least once. Within a run, and
// across runs that completed their windows, none is delivered twice: a
// window only overlaps the previous one at its first instant, and the
// invoices delivered there are in Seen. A crash between a delivery and
// the save re-delivers that window — so a consumer that must not see an
// invoice twice keeps the KSeF numbers it stored (a primary key does).
// Memory for de-duplication is Seen: the invoices sharing one instant,
// a handful (KSeF stores instants to 100 ns); the rest of a window is
// streamed.
//
// # Rate limits
//
// One export per window, and KSeF allows 20 an hour: the client's limiter
// (package ratelimit) paces the exports, their status checks and the
// download of nothing else (parts come from storage, which is not
// limited). A 429 that still arrives waits its Retry-After.
package hwm

import (
	"context"
	"iter"
	"log/slog"
	"slices"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/export"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/receive"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Config is what a syncer needs from the client that owns it.
type Config struct {
	Exports *export.Exports
	Clock   transport.Clock
	// Context names the authenticated context (states are bound to it).
	Context func() string
	Logger  *slog.Logger
}

// Syncer runs syncs. Safe for concurrent use (with different states).
type Syncer struct{ cfg Config }

// New returns a syncer over cfg.
func New(cfg Config) *Syncer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{cfg: cfg}
}

func (s *Syncer) clock(ctx context.Context) transport.Clock {
	if c := transport.ClockFrom(ctx, s.cfg.Clock); c != nil {
		return c
	}
	return transport.SystemClock{}
}

// Options shape a sync.
type Options struct {
	// SubjectTypes to sync, in this order (default: Subject2 — the invoices
	// the context bought).
	SubjectTypes []string `json:"subjectTypes,omitempty"`
	// Since is where a subject type without a position starts (default:
	// 30 days before now).
	Since time.Time `json:"since,omitzero"`
	// OnlyMetadata leaves the XML out (documents carry metadata only).
	OnlyMetadata bool `json:"onlyMetadata,omitempty"`
	// MaxWindows stops the run after that many windows (0: until caught up).
	MaxWindows int `json:"maxWindows,omitempty"`
}

// DefaultSince is how far back a first sync looks without Options.Since.
const DefaultSince = 30 * 24 * time.Hour

// Check reports what is wrong with the options, before anything is sent.
func (o Options) Check() error {
	_, err := o.normalize(time.Now())
	return err
}

func (o Options) normalize(now time.Time) (Options, error) {
	if len(o.SubjectTypes) == 0 {
		o.SubjectTypes = []string{"Subject2"}
	}
	for i, t := range o.SubjectTypes {
		if !slices.Contains(receive.SubjectTypes, t) {
			return o, errs.Invalid("subjectTypes", "subjectTypes[%d] (%s) is not one of Subject1, Subject2, Subject3, SubjectAuthorized", i, errs.Shape(t))
		}
		if slices.Index(o.SubjectTypes, t) != i {
			return o, errs.Invalid("subjectTypes", "subjectTypes names %s twice", t)
		}
	}
	if o.Since.IsZero() {
		o.Since = now.Add(-DefaultSince)
	}
	if o.Since.After(now) {
		return o, errs.Invalid("since", "since is in the future")
	}
	if o.MaxWindows < 0 {
		return o, errs.Invalid("maxWindows", "maxWindows must not be negative")
	}
	return o, nil
}

// Document is one invoice a sync delivers.
type Document struct {
	SubjectType string `json:"subjectType"`
	export.Document
}

// prepare checks a state against the options and the context, starting
// the subject types that have no position yet.
func (s *Syncer) prepare(st *State, o Options) (*State, error) {
	ctxName := ""
	if s.cfg.Context != nil {
		ctxName = s.cfg.Context()
	}
	if st == nil {
		st = &State{Version: stateVersion, Context: ctxName, Subjects: map[string]*Position{}}
	} else {
		st = st.clone()
	}
	if st.Context != "" && ctxName != "" && st.Context != ctxName {
		return nil, errs.Invalid("state", "the sync state belongs to context %s; the client is authenticated in %s", st.Context, ctxName)
	}
	if st.Context == "" {
		st.Context = ctxName
	}
	for _, t := range o.SubjectTypes {
		if st.Subjects[t] == nil {
			st.Subjects[t] = &Position{From: o.Since.UTC().Truncate(100 * time.Nanosecond)}
		}
	}
	return st, nil
}

// done reports whether a subject type has caught up with a run ending at until.
func (p *Position) done(until time.Time) bool {
	return !p.LastTruncated && !p.LastTo.IsZero() && !p.LastTo.Before(until)
}

// Window is one window of a sync: an opened export package and the
// position it advances to once all its documents were taken.
type Window struct {
	SubjectType string    `json:"subjectType"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	// Package describes the export behind the window.
	Package api.InvoicePackage `json:"package"`
	// Reference is the export's reference number.
	Reference string `json:"referenceNumber"`

	s       *Syncer
	state   *State
	pos     *Position
	archive *export.Archive
	// run: the documents delivered at the latest instant so far.
	runAt      time.Time
	run        []string
	delivered  int64
	duplicates int
	finished   bool
}

// maxRestarts bounds how often a window's export is started again after
// KSeF cancelled it (550) or let its package expire (210).
const maxRestarts = 3

// Window opens the next window of a run ending at until (the moment the
// run started), for the first subject type that has not caught up; nil
// when every one has. st is not modified: Next gives the state after the
// window.
func (s *Syncer) Window(ctx context.Context, st *State, o Options, until time.Time) (*Window, error) {
	o, err := o.normalize(until)
	if err != nil {
		return nil, err
	}
	if st, err = s.prepare(st, o); err != nil {
		return nil, err
	}
	for _, t := range o.SubjectTypes {
		pos := st.Subjects[t]
		if pos.done(until) {
			continue
		}
		to := receive.MaxRangeEnd(pos.From)
		if to.After(until) {
			to = until
		}
		if to.Before(pos.From) {
			to = pos.From
		}
		w := &Window{SubjectType: t, From: pos.From, To: to, s: s, state: st, pos: pos}
		if err := w.open(ctx, o); err != nil {
			return nil, err
		}
		return w, nil
	}
	return nil, nil
}

func (w *Window) open(ctx context.Context, o Options) error {
	to := w.To
	req := export.Request{OnlyMetadata: o.OnlyMetadata, Filters: api.InvoiceQueryFilters{
		SubjectType: w.SubjectType,
		DateRange:   api.InvoiceQueryDateRange{DateType: "PermanentStorage", From: w.From, To: &to, RestrictToPermanentStorageHwmDate: true},
	}}
	for attempt := 1; ; attempt++ {
		x, err := w.s.cfg.Exports.Start(ctx, req)
		if err != nil {
			return err
		}
		w.Reference = x.ReferenceNumber()
		pkg, err := x.Wait(ctx)
		if err == nil {
			w.Package = pkg.Info
			w.archive, err = pkg.Open(ctx)
		}
		if err == nil {
			w.s.cfg.Logger.Info("ksef sync window", "subjectType", w.SubjectType, "from", w.From, "to", w.To,
				"invoices", pkg.Info.InvoiceCount, "truncated", pkg.Info.IsTruncated, "export", w.Reference)
			return nil
		}
		if e := errs.As(err); attempt >= maxRestarts || e.Code != errs.API || (e.Status != 550 && e.Status != 210) {
			return err
		}
		w.s.cfg.Logger.Info("ksef export to be started again", "export", w.Reference, "status", errs.As(err).Status)
	}
}

// Documents yields the window's documents that were not delivered before,
// in ascending permanentStorageDate order. Stopping early (or an error)
// leaves the window unfinished: Next then refuses to advance.
func (w *Window) Documents() iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		for d, err := range w.archive.Documents() {
			if err != nil {
				yield(Document{}, err)
				return
			}
			at := d.Metadata.PermanentStorageDate.Time
			if at.Before(w.runAt) {
				yield(Document{}, errs.New(errs.Protocol, "export %s: _metadata.json is not in ascending permanentStorageDate order (%s)", w.Reference, d.Metadata.KSeFNumber))
				return
			}
			if !at.Equal(w.runAt) {
				w.runAt, w.run = at, nil
			}
			w.run = append(w.run, d.Metadata.KSeFNumber)
			if at.Equal(w.pos.From) && slices.Contains(w.pos.Seen, d.Metadata.KSeFNumber) {
				w.duplicates++
				continue
			}
			if !yield(Document{SubjectType: w.SubjectType, Document: d}, nil) {
				return
			}
			w.delivered++
		}
		w.finished = true
	}
}

// Delivered counts the documents handed out, Duplicates those skipped as
// delivered by the previous window.
func (w *Window) Delivered() int64 { return w.delivered }
func (w *Window) Duplicates() int  { return w.duplicates }

// Next is the state once every document of the window was taken.
func (w *Window) Next(now time.Time) (*State, error) {
	if !w.finished {
		return nil, errs.New(errs.InputInvalid, "sync window %s: not every document was taken; the state does not move", w.Reference)
	}
	p := w.Package
	next := &Position{LastTo: w.To, LastTruncated: p.IsTruncated, Windows: w.pos.Windows + 1, Delivered: w.pos.Delivered + w.delivered, UpdatedAt: now}
	switch {
	case p.IsTruncated && p.LastPermanentStorageDate != nil:
		next.From = p.LastPermanentStorageDate.Time
	case p.IsTruncated:
		return nil, errs.New(errs.Protocol, "export %s: a truncated package without lastPermanentStorageDate — no place to continue from", w.Reference)
	case p.PermanentStorageHwmDate != nil:
		next.From = p.PermanentStorageHwmDate.Time
	default:
		next.From = w.To
	}
	if p.PermanentStorageHwmDate != nil {
		h := p.PermanentStorageHwmDate.Time
		next.PermanentStorageHwmDate = &h
	} else {
		next.PermanentStorageHwmDate = w.pos.PermanentStorageHwmDate
	}
	if next.From.Before(w.pos.From) {
		next.From = w.pos.From // KSeF never moves the mark back; neither does the state
	}
	if p.IsTruncated && next.From.Equal(w.pos.From) {
		return nil, errs.New(errs.API, "export %s: more invoices than one package holds were stored at the same instant %s; the window cannot move on", w.Reference, api.FormatQueryTime(w.pos.From))
	}
	// The invoices at the new start are the only ones the next window can
	// bring again.
	switch {
	case w.runAt.Equal(next.From):
		next.Seen = slices.Clone(w.run)
		if next.From.Equal(w.pos.From) {
			next.Seen = union(w.pos.Seen, next.Seen)
		}
	case next.From.Equal(w.pos.From):
		next.Seen = slices.Clone(w.pos.Seen)
	}
	st := w.state.clone()
	st.Subjects[w.SubjectType] = next
	return st, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Close releases the window's spool.
func (w *Window) Close() error { return w.archive.Close() }

// WindowReport says what one window did.
type WindowReport struct {
	SubjectType     string    `json:"subjectType"`
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	ReferenceNumber string    `json:"referenceNumber" doc:"the export"`
	InvoiceCount    int       `json:"invoiceCount" doc:"invoices in the package"`
	Truncated       bool      `json:"truncated" doc:"KSeF cut the package (10 000 invoices or 1 GB); the next window continues where it stopped"`
	Delivered       int64     `json:"delivered" doc:"documents handed over"`
	Duplicates      int       `json:"duplicates" doc:"documents skipped: delivered by the window before"`
}

// Report says what the window did (complete once its documents were taken).
func (w *Window) Report() WindowReport {
	return WindowReport{SubjectType: w.SubjectType, From: w.From, To: w.To, ReferenceNumber: w.Reference,
		InvoiceCount: w.Package.InvoiceCount, Truncated: w.Package.IsTruncated, Delivered: w.delivered, Duplicates: w.duplicates}
}

// Report says what a run did.
type Report struct {
	Delivered int64          `json:"delivered" doc:"documents handed over in this run"`
	Windows   []WindowReport `json:"windows"`
	// CaughtUp: every subject type reached the moment the run started.
	CaughtUp bool `json:"caughtUp"`
	// State is the state after the last completed window (also saved).
	State *State `json:"state"`
}

// Run syncs until every subject type has caught up with the moment the run
// started (or Options.MaxWindows windows), handing each new document to
// fn, in ascending permanentStorageDate order per subject type. The state
// comes from store and is saved to it after each window whose every
// document fn took — never before. An error of fn ends the run with that
// error; the window it happened in comes again next time.
func (s *Syncer) Run(ctx context.Context, store Store, o Options, fn func(Document) error) (*Report, error) {
	clock := s.clock(ctx)
	until := clock.Now().UTC().Truncate(100 * time.Nanosecond)
	st, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Windows: []WindowReport{}, State: st}
	for n := 0; o.MaxWindows == 0 || n < o.MaxWindows; n++ {
		w, err := s.Window(ctx, st, o, until)
		if err != nil {
			return rep, err
		}
		if w == nil {
			rep.CaughtUp = true
			if rep.State == nil { // nothing to sync, nothing stored yet
				o, _ = o.normalize(until)
				rep.State, _ = s.prepare(nil, o)
			}
			return rep, nil
		}
		for d, err := range w.Documents() {
			if err == nil {
				err = fn(d)
			}
			if err != nil {
				w.Close()
				return rep, err
			}
			rep.Delivered++
			progress.Report(ctx, progress.Event{Stage: "sync", Done: rep.Delivered, Detail: w.SubjectType + " window " + w.From.Format(time.RFC3339)})
		}
		next, err := w.Next(clock.Now())
		w.Close()
		if err != nil {
			return rep, err
		}
		if err := store.Save(ctx, next); err != nil {
			return rep, err
		}
		st, rep.State = next, next
		rep.Windows = append(rep.Windows, w.Report())
	}
	return rep, nil
}
