package batch

import (
	"compress/flate"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/secret"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Config is what batches need from the client that owns them.
type Config struct {
	API  *api.Client
	Keys *pubkeys.Store
	// AccessToken returns a valid access token, refreshing as needed.
	AccessToken func(ctx context.Context) (string, error)
	// Context returns the authenticated context (recorded in states).
	Context func() ids.ContextIdentifier
	Clock   transport.Clock
	// Sessions waits for processing and reads results and UPOs: a batch
	// session is a session like any other once it is closed.
	Sessions *online.Sessions
	Logger   *slog.Logger
}

// Batches is a client's batch sessions. Safe for concurrent use.
type Batches struct {
	cfg Config

	mu     sync.Mutex
	known  map[string]*Batch
	recent []string
}

// keepBatches bounds the batches a client remembers (for State and
// Resume by reference within one process).
const keepBatches = 16

// New returns an empty set over cfg.
func New(cfg Config) *Batches {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Batches{cfg: cfg, known: map[string]*Batch{}}
}

func (m *Batches) clock(ctx context.Context) transport.Clock {
	if c := transport.ClockFrom(ctx, m.cfg.Clock); c != nil {
		return c
	}
	return transport.SystemClock{}
}

// The Deflate levels of a batch unless Options say otherwise (measured on
// generated FA (3) invoices, see the README): a ZIP compresses each
// invoice alone, and level 6 saves only 3 % of the input over level 1 at a
// third less speed; a tar.gz compresses ~1 MiB of invoices together, where
// level 6 finds the repetition between them — 1.2 % of the input against
// level 1's 4.3 % — and is still faster than any ZIP.
const (
	DefaultZipLevel   = flate.BestSpeed
	DefaultTarGzLevel = 6
)

// Options configure a batch.
type Options struct {
	// FormCode of every document: FA (3) (zero), FA (2) or FA_RR (1). PEF
	// documents go through online sessions only.
	FormCode invoice.FormCode
	// Compression is Zip (zero) or TarGz.
	Compression Compression
	// Level is the Deflate level, 1–9 (0: DefaultZipLevel or
	// DefaultTarGzLevel); Store packs the documents uncompressed instead.
	Level int
	Store bool
	// PartSize is the plaintext size of a part, at most MaxPartSize (0).
	PartSize int64
	// SkipInvalid leaves documents that fail the pre-flight checks out of
	// the batch and reports them; by default one invalid document stops
	// the batch before anything is sent.
	SkipInvalid bool
	// OfflineMode declares the documents issued offline.
	OfflineMode bool
	// Workers bounds the goroutines that read, check and compress
	// documents (0: one per core).
	Workers int
	UploadOptions
	// NoWait closes the session once every part is in and returns without
	// waiting for KSeF's processing (wait later: Sessions.WaitProcessed).
	NoWait bool
	// NoUPO skips downloading the session UPO.
	NoUPO bool
}

// UploadOptions shape the upload of the parts.
type UploadOptions struct {
	// Concurrency bounds parallel part uploads (0: 4); under the step
	// driver parts go one at a time.
	Concurrency int
	// Attempts per part (0: 5); a part that fails is retried alone, within
	// the session's upload time.
	Attempts int
	// AttemptTimeout bounds one upload of one part (0: 10 minutes).
	AttemptTimeout time.Duration
	// OnState receives the batch's state after the session opened, after
	// every part that is in and after the close: store it (SECRET: Export
	// reveals the key), and a batch interrupted at any point is resumed
	// with Resume without sending a part twice beyond those in flight.
	// It must return quickly; it is never called under a lock.
	OnState func(State)
}

func (o *Options) packing() (Packing, error) {
	p := Packing{Compression: o.Compression, Level: o.Level, PartSize: o.PartSize}
	if p.Compression == "" {
		p.Compression = Zip
	}
	switch {
	case o.Store && o.Level != 0:
		return p, errs.Invalid("level", "store and a Deflate level exclude each other")
	case o.Store:
		p.Level = 0
	case o.Level == 0 && p.Compression == TarGz:
		p.Level = DefaultTarGzLevel
	case o.Level == 0:
		p.Level = DefaultZipLevel
	case o.Level < 1 || o.Level > 9:
		return p, errs.Invalid("level", "the Deflate level is 1 to 9, not %d", o.Level)
	}
	if p.PartSize == 0 {
		p.PartSize = MaxPartSize
	}
	return p, p.check()
}

func (p Packing) check() error {
	switch {
	case p.Compression != Zip && p.Compression != TarGz:
		return errs.Invalid("compression", "compression is Zip or TarGz (got %s)", errs.Shape(string(p.Compression)))
	case p.Level < 0 || p.Level > 9:
		return errs.Invalid("level", "the Deflate level is 0 (store) to 9, not %d", p.Level)
	case p.PartSize <= 0 || p.PartSize > MaxPartSize:
		return errs.Invalid("partSize", "the part size is 1 to %d bytes (KSeF's limit, before encryption), not %d", MaxPartSize, p.PartSize)
	}
	return nil
}

// batchFormCode is the form code of a batch: one KSeF takes in batch
// sessions (not PEF, which goes online only).
func batchFormCode(fc invoice.FormCode) (invoice.FormCode, error) {
	if fc.IsZero() {
		return invoice.FA3, nil
	}
	known, err := invoice.LookupFormCode(fc.SystemCode)
	if err != nil {
		return fc, errs.Wrap(errs.InputInvalid, err, "formCode")
	}
	if strings.HasPrefix(known.SystemCode, "PEF") {
		return fc, errs.Invalid("formCode", "%s documents are sent in online sessions only; KSeF's batch sessions take FA and FA_RR", known.SystemCode)
	}
	return known, nil
}

// Batch is one batch session: packed, open, and on its way through upload,
// close and processing. Safe for concurrent use.
type Batch struct {
	m       *Batches
	key     *symkey.Key
	lay     *layout
	up      UploadOptions
	results []DocumentResult // by source position: the skipped ones filled in

	mu   sync.Mutex
	st   State
	sent []int // upload attempts per part
}

// A Batch holds the session key and the upload URLs: it never prints them
// (its state is reached through State, which redacts them too).
func (b *Batch) String() string             { return "batch.Batch{" + b.st.ReferenceNumber + "}" }
func (b *Batch) GoString() string           { return b.String() }
func (b *Batch) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, b.String()) }
func (b *Batch) LogValue() slog.Value       { return slog.StringValue(b.String()) }

// ReferenceNumber is the session's KSeF reference (…-SB-…).
func (b *Batch) ReferenceNumber() string { return b.st.ReferenceNumber }

// State is the batch's state now (see UploadOptions.OnState).
func (b *Batch) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	st.Parts = append([]Part(nil), st.Parts...)
	st.URLs = append([]secret.String(nil), st.URLs...)
	return st
}

func (b *Batch) changed() {
	if b.up.OnState != nil {
		b.up.OnState(b.State())
	}
}

// Send sends the documents of src in one batch session and, unless
// o.NoWait, waits for the outcome: every document checked, packed and
// declared, the session opened, every part uploaded, the session closed,
// processed, and each document's KSeF number or typed failure and the
// session UPO read. Documents KSeF rejects are results, not errors; the
// error is for the batch itself and, once the session is open, carries
// its reference number, with the report of what is known so far.
func (m *Batches) Send(ctx context.Context, src Source, o Options) (*Report, error) {
	b, rep, err := m.Begin(ctx, src, o)
	if err != nil {
		return rep, err
	}
	return b.Finish(ctx, o.NoWait, o.NoUPO)
}

// Begin checks and packs the documents of src (the first pass) and opens
// the batch session; nothing is uploaded yet. When documents fail their
// checks and o.SkipInvalid is not set, the report lists them and nothing
// is sent.
func (m *Batches) Begin(ctx context.Context, src Source, o Options) (*Batch, *Report, error) {
	p, err := o.packing()
	if err != nil {
		return nil, nil, err
	}
	fc, err := batchFormCode(o.FormCode)
	if err != nil {
		return nil, nil, err
	}
	docs, err := collect(src, MaxInvoices)
	if err != nil {
		return nil, nil, err
	}
	key, err := symkey.New()
	if err != nil {
		return nil, nil, err
	}
	now := m.clock(ctx).Now()
	check := func(doc []byte) error {
		_, err := invoice.Check(doc, invoice.CheckOptions{FormCode: fc, Now: now})
		return err
	}
	pk, err := pack(ctx, key, docs, packOptions{Packing: p, check: check, skipInvalid: o.SkipInvalid, workers: o.Workers})
	results := make([]DocumentResult, len(docs))
	for i, d := range docs {
		results[i] = DocumentResult{Index: i, Name: d.Name, Outcome: online.Processing}
	}
	var skipped []Skipped
	if pk != nil {
		for _, inv := range pk.invalid {
			results[inv.index].Outcome, results[inv.index].Error = online.Invalid, inv.err
			skipped = append(skipped, Skipped{Name: inv.name, Error: inv.err})
		}
	}
	if err != nil {
		if pk == nil {
			return nil, nil, err
		}
		for i := range results {
			if results[i].Outcome == online.Processing {
				results[i].Outcome = NotSent
			}
		}
		return nil, &Report{Documents: results}, err
	}
	b := &Batch{m: m, key: key, lay: pk.layout(), up: o.UploadOptions, results: results}
	b.st.Record = Record{
		Version: StateVersion, FormCode: fc, OfflineMode: o.OfflineMode, IV: key.IV(), Packing: p,
		Archive: digestOf(pk.archive), Skipped: skipped,
	}
	b.st.Key = key.Secret()
	for k, d := range pk.docs {
		b.st.Documents = append(b.st.Documents, DocumentRecord{Name: b.lay.name(k), Size: int64(d.size), SHA256: b64(d.sha[:]), CRC32: d.crc, Packed: int64(d.packed)})
	}
	for _, mb := range pk.members {
		b.st.Members = append(b.st.Members, Member{Documents: mb.docs, Size: mb.size})
	}
	if err := m.open(ctx, b, pk.parts); err != nil {
		return nil, &Report{Documents: b.notSent()}, err
	}
	m.remember(b)
	b.changed()
	return b, nil, nil
}

// notSent is the documents' results when no session took them.
func (b *Batch) notSent() []DocumentResult {
	out := append([]DocumentResult(nil), b.results...)
	for i := range out {
		if out[i].Outcome == online.Processing {
			out[i].Outcome = NotSent
		}
	}
	return out
}

// open declares the archive (POST /sessions/batch) with the session key
// wrapped for KSeF. A withdrawn public key (21470) makes it reload the
// keys and try once more.
func (m *Batches) open(ctx context.Context, b *Batch, parts []symkey.Digest) error {
	st := &b.st
	req := &api.OpenBatchSessionRequest{
		FormCode: api.FormCode(st.FormCode), OfflineMode: st.OfflineMode,
		BatchFile: api.BatchFile{FileSize: st.Archive.Size, FileHash: st.Archive.SHA256, CompressionType: string(st.Packing.Compression)},
	}
	for i, p := range parts {
		req.BatchFile.FileParts = append(req.BatchFile.FileParts, api.BatchFilePart{OrdinalNumber: i + 1, FileSize: p.Size, FileHash: p.Base64()})
	}
	var resp *api.OpenBatchSessionResponse
	err := b.key.Announce(ctx, m.cfg.Keys, m.cfg.Logger, "open batch session", func(enc *api.EncryptionInfo) error {
		req.Encryption = *enc
		tok, err := m.cfg.AccessToken(ctx)
		if err != nil {
			return err
		}
		resp, err = m.cfg.API.OpenBatchSession(ctx, tok, req)
		return err
	})
	if err != nil {
		return err
	}
	st.ReferenceNumber = resp.ReferenceNumber
	st.OpenedAt = m.clock(ctx).Now()
	st.UploadDeadline = st.OpenedAt.Add(time.Duration(len(parts)) * PartUploadTime)
	if m.cfg.Context != nil {
		st.Context = m.cfg.Context()
	}
	byOrdinal := map[int]api.PartUploadRequest{}
	for _, u := range resp.PartUploadRequests {
		byOrdinal[u.OrdinalNumber] = u
	}
	for i, p := range parts {
		u, ok := byOrdinal[i+1]
		if !ok || len(resp.PartUploadRequests) != len(parts) {
			return errs.New(errs.Protocol, "POST /sessions/batch: %d upload requests for %d declared parts (part %d has none)", len(resp.PartUploadRequests), len(parts), i+1)
		}
		st.Parts = append(st.Parts, Part{OrdinalNumber: i + 1, Size: p.Size, SHA256: p.Base64(), Method: u.Method, Headers: u.Headers})
		st.URLs = append(st.URLs, secret.NewString(u.URL))
	}
	b.sent = make([]int, len(parts))
	m.cfg.Logger.Info("ksef batch session opened", "reference", st.ReferenceNumber, "documents", len(st.Documents),
		"archiveBytes", st.Archive.Size, "parts", len(parts), "compression", st.Packing.Compression)
	progress.Report(ctx, progress.Event{Stage: "open", Done: 1, Total: 1, Detail: "batch session " + st.ReferenceNumber})
	return nil
}

// PartUploadTime is KSeF's upload time per part, counted from the
// session's opening (protocol.md §7).
const PartUploadTime = 20 * time.Minute

func (m *Batches) remember(b *Batch) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := b.st.ReferenceNumber
	if _, ok := m.known[ref]; !ok {
		m.recent = append(m.recent, ref)
	}
	m.known[ref] = b
	if len(m.recent) > keepBatches {
		delete(m.known, m.recent[0])
		m.recent = m.recent[1:]
	}
}

// Get returns a batch this client sent or resumed, by reference number.
func (m *Batches) Get(ref string) (*Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b := m.known[ref]; b != nil {
		return b, nil
	}
	return nil, errs.Invalid("referenceNumber", "no batch of that reference number is known to this client (a batch of another process is resumed from its exported state)")
}

// Finish uploads what is missing, closes the session and, unless noWait,
// waits for the outcome.
func (b *Batch) Finish(ctx context.Context, noWait, noUPO bool) (*Report, error) {
	if err := b.Upload(ctx); err != nil {
		return b.report(nil), err
	}
	if err := b.Close(ctx); err != nil {
		return b.report(nil), err
	}
	if noWait {
		return b.report(nil), nil
	}
	return b.Wait(ctx, noUPO)
}

// Close closes the session (POST /sessions/batch/{ref}/close) once every
// part is in; KSeF starts processing then. An answer lost on the way, or a
// session already closed (by an earlier call whose answer was lost), is
// resolved from the session's status.
func (b *Batch) Close(ctx context.Context) error {
	st := b.State()
	if st.Closed {
		return nil
	}
	var missing []int
	for _, p := range st.Parts {
		if !p.Uploaded {
			missing = append(missing, p.OrdinalNumber)
		}
	}
	if len(missing) > 0 {
		return errs.Invalid("parts", "batch %s: parts %v are not uploaded yet; the session is closed only when every part is in", st.ReferenceNumber, missing)
	}
	m := b.m
	tok, err := m.cfg.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = m.cfg.API.CloseBatchSession(ctx, tok, st.ReferenceNumber)
	if err != nil && (online.OutcomeUnknown(err) || errs.As(err).HasException(21180)) {
		if s, serr := m.cfg.Sessions.Status(ctx, st.ReferenceNumber); serr == nil && s.Status.Code != 100 {
			m.cfg.Logger.Info("ksef batch session found closed after a lost or refused close", "reference", st.ReferenceNumber, "status", s.Status.Code)
			err = nil
		}
	}
	if err != nil {
		return online.WithReference(err, st.ReferenceNumber)
	}
	b.mu.Lock()
	b.st.Closed = true
	b.mu.Unlock()
	b.changed()
	m.cfg.Logger.Info("ksef batch session closed", "reference", st.ReferenceNumber)
	progress.Report(ctx, progress.Event{Stage: "close", Done: 1, Total: 1})
	return nil
}

// Wait waits until KSeF has processed the closed session and reports
// every document's outcome and, unless noUPO, the session UPO. A deadline
// passed while KSeF still works is a resumable timeout.
func (b *Batch) Wait(ctx context.Context, noUPO bool) (*Report, error) {
	st := b.State()
	if !st.Closed {
		return b.report(nil), errs.Invalid("referenceNumber", "batch %s is not closed yet: upload its parts and close it first", st.ReferenceNumber)
	}
	m := b.m
	progress.Report(ctx, progress.Event{Stage: "process", Detail: "waiting for KSeF to process batch " + st.ReferenceNumber})
	p, err := m.cfg.Sessions.WaitProcessed(ctx, st.ReferenceNumber)
	if err != nil {
		return b.report(nil), err
	}
	rep := b.report(p)
	if !noUPO && len(p.UPO) > 0 {
		progress.Report(ctx, progress.Event{Stage: "upo", Total: int64(len(p.UPO))})
		if rep.UPOs, err = m.cfg.Sessions.SessionUPO(ctx, st.ReferenceNumber, p.UPO); err != nil {
			rep.UPOError = errs.As(err)
		}
	}
	return rep, nil
}
