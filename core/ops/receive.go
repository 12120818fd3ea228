package ops

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/export"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/hwm"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/receive"
)

// Receiving invoices: invoices.get, invoices.query, invoices.export and
// invoices.sync (with its window-by-window form for the bindings'
// iterators). Files named in the inputs are written by the host (hostfs):
// natively the filesystem.

// InvoiceGetInput is the input of "invoices.get".
type InvoiceGetInput struct {
	KSeFNumber string `json:"ksefNumber"`
	Path       string `json:"path,omitempty" doc:"write the XML to this file instead of returning it"`
	TimeoutMs  int64  `json:"timeoutMs,omitempty" doc:"give up waiting for an invoice KSeF has not made downloadable yet (21165) after (default 120000; resumable)"`
}

// InvoiceGetResult answers "invoices.get".
type InvoiceGetResult struct {
	KSeFNumber  string `json:"ksefNumber"`
	XML         []byte `json:"xml,omitempty" doc:"base64 of the invoice exactly as KSeF stores it (not with path)"`
	Path        string `json:"path,omitempty"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256" doc:"Base64 SHA-256 of the XML: KSeF's invoiceHash"`
	HashChecked bool   `json:"hashChecked" doc:"KSeF's x-ms-meta-hash was present and matched (a mismatch is an error)"`
}

// InvoicesQueryInput is the input of "invoices.query".
type InvoicesQueryInput struct {
	receive.Query
	Cursor string `json:"cursor,omitempty" doc:"the cursor of the previous page (with the same filters, sortOrder and pageSize); empty for the first"`
}

// InvoicesExportInput is the input of "invoices.export".
type InvoicesExportInput struct {
	Filters      api.InvoiceQueryFilters `json:"filters" doc:"InvoiceQueryFilters, as for invoices.query"`
	OnlyMetadata bool                    `json:"onlyMetadata,omitempty" doc:"only _metadata.json, no invoices"`
	Path         string                  `json:"path,omitempty" doc:"write the decrypted package (a ZIP) to this file"`
	Dir          string                  `json:"dir,omitempty" doc:"extract the package into this directory: {ksefNumber}.xml per invoice and _metadata.json"`
	TimeoutMs    int64                   `json:"timeoutMs,omitempty" doc:"give up waiting for the package after (default: the client's receivePollTimeoutMs); a timeout is resumable"`
}

// PartInfo is one part of an export package, without its pre-signed URL
// (it expires and is a credential of its own).
type PartInfo struct {
	OrdinalNumber     int    `json:"ordinalNumber"`
	PartName          string `json:"partName"`
	PartSize          int64  `json:"partSize"`
	PartHash          string `json:"partHash"`
	EncryptedPartSize int64  `json:"encryptedPartSize"`
	EncryptedPartHash string `json:"encryptedPartHash"`
}

// PackageInfo describes an export package.
type PackageInfo struct {
	InvoiceCount             int        `json:"invoiceCount"`
	Size                     int64      `json:"size" doc:"bytes of the decrypted package"`
	IsTruncated              bool       `json:"isTruncated" doc:"KSeF stopped at 10 000 invoices or 1 GB: export again from the last date"`
	LastIssueDate            string     `json:"lastIssueDate,omitempty"`
	LastInvoicingDate        *time.Time `json:"lastInvoicingDate,omitempty"`
	LastPermanentStorageDate *time.Time `json:"lastPermanentStorageDate,omitempty"`
	PermanentStorageHwmDate  *time.Time `json:"permanentStorageHwmDate,omitempty"`
	Parts                    []PartInfo `json:"parts"`
}

func packageInfo(p *api.InvoicePackage) PackageInfo {
	t := func(v *api.Time) *time.Time {
		if v == nil || v.IsZero() {
			return nil
		}
		x := v.Time
		return &x
	}
	out := PackageInfo{
		InvoiceCount: p.InvoiceCount, Size: p.Size, IsTruncated: p.IsTruncated, LastIssueDate: p.LastIssueDate,
		LastInvoicingDate: t(p.LastInvoicingDate), LastPermanentStorageDate: t(p.LastPermanentStorageDate),
		PermanentStorageHwmDate: t(p.PermanentStorageHwmDate), Parts: make([]PartInfo, 0, len(p.Parts)),
	}
	for _, x := range p.Parts {
		out.Parts = append(out.Parts, PartInfo{x.OrdinalNumber, x.PartName, x.PartSize, x.PartHash, x.EncryptedPartSize, x.EncryptedPartHash})
	}
	return out
}

// ExportedInvoice is one invoice of an exported package.
type ExportedInvoice struct {
	Metadata api.InvoiceMetadata `json:"metadata"`
	Path     string              `json:"path,omitempty" doc:"the file it was written to (dir)"`
	XML      []byte              `json:"xml,omitempty" doc:"base64 of the invoice (neither path nor dir)"`
}

// InvoicesExportResult answers "invoices.export".
type InvoicesExportResult struct {
	ReferenceNumber string            `json:"referenceNumber"`
	Package         PackageInfo       `json:"package"`
	Path            string            `json:"path,omitempty"`
	Dir             string            `json:"dir,omitempty"`
	Invoices        []ExportedInvoice `json:"invoices,omitempty" doc:"with dir or inline: every invoice with its metadata, in the package's order"`
}

// maxInline bounds a package whose invoices are returned in the result:
// beyond it, name a path or a directory.
const maxInline = 64 << 20

// SyncInput is the input of "invoices.sync".
type SyncInput struct {
	StatePath string     `json:"statePath,omitempty" doc:"the sync state's file (created on the first run, replaced atomically after each window)"`
	State     *hwm.State `json:"state,omitempty" doc:"instead of statePath: the state from the previous result (absent on the first run: then give {}), for callers that store it themselves"`
	Dir       string     `json:"dir" doc:"where the documents go: {ksefNumber}.xml and {ksefNumber}.json (metadata), each flushed to disk before the state moves"`
	hwm.Options
	TimeoutMs int64 `json:"timeoutMs,omitempty" doc:"stop after (the state stays at the last completed window; run again to go on)"`
}

// SyncedDocument is one document a sync wrote.
type SyncedDocument struct {
	KSeFNumber   string `json:"ksefNumber"`
	SubjectType  string `json:"subjectType"`
	Path         string `json:"path,omitempty" doc:"the XML ({ksefNumber}.xml; not with onlyMetadata)"`
	MetadataPath string `json:"metadataPath" doc:"the metadata ({ksefNumber}.json)"`
}

// SyncResult answers "invoices.sync".
type SyncResult struct {
	hwm.Report
	Documents []SyncedDocument `json:"documents"`
}

// SyncWindowInput is the input of "invoices.sync.window".
type SyncWindowInput struct {
	StatePath string     `json:"statePath,omitempty" doc:"read the state from this file (it is not written: see invoices.sync.commit)"`
	State     *hwm.State `json:"state,omitempty" doc:"instead of statePath: the state itself (the next of the previous window; {} for none yet)"`
	Dir       string     `json:"dir" doc:"where the window's documents go, as for invoices.sync"`
	hwm.Options
	Until     time.Time `json:"until,omitzero" doc:"the end of the run: what the first window answered (default now)"`
	TimeoutMs int64     `json:"timeoutMs,omitempty"`
}

// SyncWindowResult answers "invoices.sync.window".
type SyncWindowResult struct {
	Done      bool                   `json:"done" doc:"every subject type caught up with until: nothing was exported"`
	Until     time.Time              `json:"until" doc:"pass it back with the next window of this run"`
	Window    *hwm.WindowReport      `json:"window,omitempty"`
	Documents []SyncedWindowDocument `json:"documents"`
	Next      *hwm.State             `json:"next,omitempty" doc:"the state once the caller has taken these documents: store it (invoices.sync.commit) only then"`
}

// SyncedWindowDocument is a written document with its metadata.
type SyncedWindowDocument struct {
	SyncedDocument
	Metadata api.InvoiceMetadata `json:"metadata"`
}

// SyncCommitInput is the input of "invoices.sync.commit".
type SyncCommitInput struct {
	StatePath string     `json:"statePath"`
	State     *hwm.State `json:"state" doc:"the next state a window answered"`
}

// SyncCommitResult answers "invoices.sync.commit".
type SyncCommitResult struct {
	Saved bool `json:"saved"`
}

// stateSource turns the state inputs into a store.
func stateSource(path string, st *hwm.State) (hwm.Store, error) {
	switch {
	case path != "" && st != nil:
		return nil, errs.Invalid("state", "give statePath or state, not both")
	case path != "":
		return hwm.FileStore{Path: path}, nil
	case st == nil:
		return nil, errs.Invalid("statePath", "statePath (a file the sync keeps its state in) or state ({} on the first run) is required")
	case st.Version == 0 && st.Subjects == nil && st.Context == "":
		return &hwm.MemoryStore{}, nil // {}: no state yet
	}
	b, _ := json.Marshal(st)
	parsed, err := hwm.ParseState(b)
	if err != nil {
		return nil, err
	}
	return &hwm.MemoryStore{State: parsed}, nil
}

// syncSetup checks a sync's inputs — all before anything is sent or
// created — and gives its store, inbox and deadline.
func syncSetup(ctx context.Context, statePath string, st *hwm.State, dir string, o hwm.Options, timeoutMs int64) (context.Context, context.CancelFunc, hwm.Store, *inbox, error) {
	store, err := stateSource(statePath, st)
	if err == nil {
		err = o.Check()
	}
	var box *inbox
	if err == nil {
		box, err = newInbox(dir)
	}
	if err != nil {
		return ctx, func() {}, nil, nil, err
	}
	ctx, cancel, err := withTimeout(ctx, timeoutMs)
	return ctx, cancel, store, box, err
}

// inbox writes documents into a directory, created with the first one
// (nothing is created by a call that fails before any document came).
type inbox struct {
	dir     string
	created bool
	// unsynced are the files written since the last flush whose data is
	// not yet known to be on disk. flush syncs them 64 at a time, so the
	// filesystem commits many in one journal transaction instead of one
	// each: BenchmarkSync10k/inbox (10 000 invoices, 20 000 files, ext4)
	// took 35 s with a sync per file, 7.9 s so (128 at a time: 7.0 s).
	unsynced []string
	// hosted: the files are the host's (ksef.wasm), which makes them
	// durable; this process cannot open them to flush.
	hosted bool
}

func newInbox(dir string) (*inbox, error) {
	if dir == "" {
		return nil, errs.Invalid("dir", "dir is required: the documents are written there")
	}
	return &inbox{dir: dir}, nil
}

// write writes one file of the inbox.
func (b *inbox) write(ctx context.Context, name string, data []byte) (string, error) {
	if !b.created {
		if err := mkdirAll(ctx, b.dir); err != nil {
			return "", err
		}
		b.created = true
	}
	path := filepath.Join(b.dir, name)
	local, err := writeFile(ctx, path, data)
	if local {
		b.unsynced = append(b.unsynced, path)
	} else {
		b.hosted = true
	}
	return path, err
}

// mkdirAll creates the directory documents go to (0700: they are the
// taxpayer's business data).
func mkdirAll(ctx context.Context, dir string) error {
	if err := hostfs.MkdirAll(ctx, dir); err != nil {
		return errs.Invalid("dir", "cannot create the directory: %s", pathErr(err))
	}
	return nil
}

// put writes a document's files, each flushed to disk where the host can.
func (b *inbox) put(ctx context.Context, d hwm.Document) (SyncedDocument, error) {
	n := d.Metadata.KSeFNumber
	if err := ids.ValidateKSeFNumber(n); err != nil {
		return SyncedDocument{}, errs.New(errs.Protocol, "a document without a valid KSeF number (%q) cannot be named", n)
	}
	out := SyncedDocument{KSeFNumber: n, SubjectType: d.SubjectType}
	var err error
	if d.XML != nil {
		if out.Path, err = b.write(ctx, n+".xml", d.XML); err != nil {
			return out, err
		}
	}
	meta, _ := json.MarshalIndent(d.Metadata, "", "  ")
	out.MetadataPath, err = b.write(ctx, n+".json", append(meta, '\n'))
	return out, err
}

// flush makes what was written since the last flush durable (natively):
// every file's data, in parallel so that the filesystem can commit them
// together, then the directory's entries. A state may be saved only after
// it returned nil.
func (b *inbox) flush() error {
	if !b.created || b.hosted {
		return nil
	}
	paths := b.unsynced
	errc := make(chan error, len(paths))
	sem := make(chan struct{}, 64) // see unsynced
	for _, p := range paths {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errc <- syncPath(p)
		}()
	}
	var first error
	for range paths {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return errs.Invalid("dir", "cannot flush the written documents to disk: %s", pathErr(first))
	}
	b.unsynced = b.unsynced[:0]
	if err := syncPath(b.dir); err != nil {
		return errs.Invalid("dir", "cannot flush the directory to disk: %s", pathErr(err))
	}
	return nil
}

// syncPath flushes a file or directory that is already closed: fsync
// through a new descriptor flushes the same inode.
func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFile writes a file through the host. local says it is a file of
// this process's filesystem (natively), which flush then syncs; a host's
// file is the host's to make durable.
func writeFile(ctx context.Context, path string, data []byte) (local bool, err error) {
	w, err := hostfs.Create(ctx, path)
	if err != nil {
		return false, errs.Invalid("dir", "cannot create %s: %s", filepath.Base(path), pathErr(err))
	}
	_, local = w.(*os.File)
	_, err = w.Write(data)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return local, errs.Invalid("dir", "cannot write %s: %s", filepath.Base(path), pathErr(err))
	}
	return local, nil
}

// writeDurably writes one file and, natively, flushes it before returning.
func writeDurably(ctx context.Context, path string, data []byte) error {
	local, err := writeFile(ctx, path, data)
	if err == nil && local {
		if err = syncPath(path); err != nil {
			return errs.Invalid("dir", "cannot flush %s to disk: %s", filepath.Base(path), pathErr(err))
		}
	}
	return err
}

func init() {
	register("invoices.get", "Download an invoice by KSeF number (GET /invoices/ksef/{ksefNumber}): the XML exactly as KSeF stores it, x-ms-meta-hash checked. 21165 (not downloadable yet) is waited out; 21164 (no such invoice in this context) is an error carrying that exception.", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoiceGetInput) (*InvoiceGetResult, error) {
			ctx, cancel, err := withTimeout(ctx, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			inv, err := c.Invoices().Get(ctx, in.KSeFNumber)
			if err != nil {
				return nil, err
			}
			out := &InvoiceGetResult{KSeFNumber: inv.KSeFNumber, Size: len(inv.XML), SHA256: inv.SHA256, HashChecked: inv.HashChecked}
			if in.Path == "" {
				out.XML = inv.XML
				return out, nil
			}
			if err := writeDurably(ctx, in.Path, inv.XML); err != nil {
				e := errs.As(err)
				e.Field = "path"
				return nil, e
			}
			out.Path = in.Path
			return out, nil
		}).HostFiles = true
	register("invoices.query", "One page of the metadata query (POST /invoices/query/metadata) with every filter of InvoiceQueryFilters checked locally (3-month range, enumerations, identifiers); pass the page's cursor back for the next. Past KSeF's 10 000-record limit the cursor narrows the date range itself; no record comes twice, none is skipped.", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoicesQueryInput) (*receive.Page, error) {
			p, err := c.Invoices().Page(ctx, in.Query, in.Cursor)
			if err != nil {
				return nil, err
			}
			if p.Invoices == nil {
				p.Invoices = []receive.Metadata{}
			}
			return p, nil
		})
	register("invoices.export", "Export invoices (POST /invoices/exports) with a fresh key, wait for the package, download every part (pre-signed, no bearer token), check its encryptedPartHash, decrypt it, check its partHash; then write the package to path, or extract it into dir, or (neither) return its invoices inline (packages up to 64 MiB).", true, true,
		func(ctx context.Context, c *ksef.Client, in *InvoicesExportInput) (*InvoicesExportResult, error) {
			if in.Path != "" && in.Dir != "" {
				return nil, errs.Invalid("path", "give path or dir, not both")
			}
			ctx, cancel, err := withTimeout(ctx, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			var box *inbox
			if in.Dir != "" {
				if box, err = newInbox(in.Dir); err != nil {
					return nil, err
				}
			}
			x, err := c.Exports().Start(ctx, export.Request{Filters: in.Filters, OnlyMetadata: in.OnlyMetadata})
			if err != nil {
				return nil, err
			}
			p, err := x.Wait(ctx)
			if err != nil {
				return nil, err
			}
			out := &InvoicesExportResult{ReferenceNumber: x.ReferenceNumber(), Package: packageInfo(&p.Info), Path: in.Path, Dir: in.Dir}
			if in.Path != "" {
				_, err := p.WriteFile(ctx, in.Path)
				return out, err
			}
			if box == nil && p.Info.Size > maxInline {
				return nil, errs.Invalid("path", "the package is %d bytes; invoices are returned inline up to %d — name a path or a dir (export %s is ready for an hour or more)", p.Info.Size, maxInline, x.ReferenceNumber())
			}
			a, err := p.Open(ctx)
			if err != nil {
				return nil, err
			}
			defer a.Close()
			out.Invoices = []ExportedInvoice{}
			for d, err := range a.Documents() {
				if err != nil {
					return nil, err
				}
				inv := ExportedInvoice{Metadata: d.Metadata, XML: d.XML}
				if box != nil && d.XML != nil {
					inv.XML = nil
					if inv.Path, err = box.write(ctx, d.Metadata.KSeFNumber+".xml", d.XML); err != nil {
						return nil, err
					}
				}
				out.Invoices = append(out.Invoices, inv)
			}
			if box != nil {
				rc, _, err := a.Open(export.MetadataFile)
				if err != nil {
					return nil, err
				}
				meta, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return nil, errs.Wrap(errs.Protocol, err, "export %s: reading %s", x.ReferenceNumber(), export.MetadataFile)
				}
				if _, err := box.write(ctx, export.MetadataFile, meta); err != nil {
					return nil, err
				}
				if err := box.flush(); err != nil {
					return nil, err
				}
			}
			return out, nil
		}).HostFiles = true
	register("invoices.sync", "Incremental sync: every invoice of the context as the subject types (default Subject2, the purchases), from where the state says (since on the first run), in windows of permanent-storage dates up to KSeF's high-water mark — one export each, paced by the rate limits — written into dir; the state moves (atomically, in statePath) only after a window's documents are on disk. Re-running brings only new invoices.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SyncInput) (*SyncResult, error) {
			ctx, cancel, store, box, err := syncSetup(ctx, in.StatePath, in.State, in.Dir, in.Options, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			out := &SyncResult{Documents: []SyncedDocument{}}
			// Each window's files and the directory are flushed before the
			// state is saved (flushing.Save).
			rep, err := c.Sync(ctx, flushing{store, box}, in.Options, func(d hwm.Document) error {
				sd, err := box.put(ctx, d)
				if err == nil {
					out.Documents = append(out.Documents, sd)
				}
				return err
			})
			if rep != nil {
				out.Report = *rep
			}
			return out, err
		}).HostFiles = true
	register("invoices.sync.window", "One window of a sync, for callers that hand documents on one by one (the Python and Node iterators): exports, writes the window's documents into dir and answers them with the next state — which is stored (invoices.sync.commit) only once they are taken. done: every subject type has caught up.", true, true,
		func(ctx context.Context, c *ksef.Client, in *SyncWindowInput) (*SyncWindowResult, error) {
			ctx, cancel, store, box, err := syncSetup(ctx, in.StatePath, in.State, in.Dir, in.Options, in.TimeoutMs)
			if err != nil {
				return nil, err
			}
			defer cancel()
			st, err := store.Load(ctx)
			if err != nil {
				return nil, err
			}
			until := in.Until
			if until.IsZero() {
				until = time.Now().UTC().Truncate(100 * time.Nanosecond)
			}
			out := &SyncWindowResult{Until: until, Documents: []SyncedWindowDocument{}}
			w, err := c.Syncer().Window(ctx, st, in.Options, until)
			if err != nil || w == nil {
				out.Done = err == nil
				return out, err
			}
			defer w.Close()
			for d, err := range w.Documents() {
				if err != nil {
					return nil, err
				}
				sd, err := box.put(ctx, d)
				if err != nil {
					return nil, err
				}
				out.Documents = append(out.Documents, SyncedWindowDocument{SyncedDocument: sd, Metadata: d.Metadata})
			}
			if err := box.flush(); err != nil {
				return nil, err
			}
			if out.Next, err = w.Next(time.Now()); err != nil {
				return nil, err
			}
			r := w.Report()
			out.Window = &r
			return out, nil
		}).HostFiles = true
	register("invoices.sync.commit", "Store the next state of a sync window (atomically: temporary file, flushed, renamed) once its documents were taken.", true, false,
		func(ctx context.Context, _ *ksef.Client, in *SyncCommitInput) (*SyncCommitResult, error) {
			if in.StatePath == "" {
				return nil, errs.Invalid("statePath", "statePath is required (a state kept by the caller needs no commit: keep next)")
			}
			if in.State == nil {
				return nil, errs.Invalid("state", "state is required: the next state of the window")
			}
			b, _ := json.Marshal(in.State)
			st, err := hwm.ParseState(b)
			if err != nil {
				return nil, err
			}
			if err := (hwm.FileStore{Path: in.StatePath}).Save(ctx, st); err != nil {
				return nil, err
			}
			return &SyncCommitResult{Saved: true}, nil
		}).HostFiles = true
}

// flushing saves a state only after the inbox's directory is flushed.
type flushing struct {
	hwm.Store
	box *inbox
}

func (f flushing) Save(ctx context.Context, s *hwm.State) error {
	if err := f.box.flush(); err != nil {
		return err
	}
	return f.Store.Save(ctx, s)
}
