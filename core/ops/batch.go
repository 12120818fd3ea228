package ops

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/ksef"
	"github.com/ksefkit/ksefkit/core/secret"
)

// BatchSource names the documents of a batch: a directory, files, or (for
// small inputs) documents given whole. Exactly one of the three.
type BatchSource struct {
	Dir       string          `json:"dir,omitempty" doc:"every *.xml file directly in this directory, sorted by name (read by the host, streamed)"`
	Paths     []string        `json:"paths,omitempty" doc:"these files, each named in the archive by its base name (streamed)"`
	Documents []NamedDocument `json:"documents,omitempty" doc:"small inputs: each {xml (base64) | path, name}; name defaults to the file's base name"`
}

func (s BatchSource) source(ctx context.Context) (batch.Source, error) {
	given := 0
	for _, set := range []bool{s.Dir != "", len(s.Paths) > 0, len(s.Documents) > 0} {
		if set {
			given++
		}
	}
	switch {
	case given == 0:
		return nil, errs.Invalid("documents", "name the documents: dir, paths or documents")
	case given > 1:
		return nil, errs.Invalid("documents", "give one of dir, paths and documents")
	case s.Dir != "":
		return batch.Dir(ctx, s.Dir), nil
	case len(s.Paths) > 0:
		return batch.Files(s.Paths...), nil
	}
	docs := make([]batch.Document, len(s.Documents))
	for i, d := range s.Documents {
		prefix := fieldIndex("documents", i) + "."
		switch {
		case d.Path != "" && d.XML != "":
			return nil, errs.Invalid(prefix+"xml", "give either xml or path, not both")
		case d.Path != "":
			docs[i] = batch.File(d.Path)
			if d.Name != "" {
				docs[i].Name = d.Name
			}
		default:
			b, err := d.load(ctx, prefix)
			if err != nil {
				return nil, err
			}
			docs[i] = batch.Bytes(d.Name, b)
		}
	}
	return batch.Documents(docs...), nil
}

// BatchRun shapes the upload and the wait, for a new batch and a resumed
// one alike.
type BatchRun struct {
	UploadConcurrency int    `json:"uploadConcurrency,omitempty" doc:"parallel part uploads (native only; default 4)"`
	StatePath         string `json:"statePath,omitempty" doc:"keep the batch's state (SECRET) in this file, rewritten after the opening, every part and the close: after a crash, batch.resume with it uploads only what is missing"`
	NoWait            bool   `json:"noWait,omitempty" doc:"return once the session is closed; wait later with sessions.wait"`
	NoUPO             bool   `json:"noUpo,omitempty" doc:"do not download the session UPO"`
	TimeoutMs         int64  `json:"timeoutMs,omitempty" doc:"give up waiting for KSeF's processing after (resumable with sessions.wait; packing and uploads are not cut short)"`
}

func (r BatchRun) upload(ctx context.Context) (batch.UploadOptions, error) {
	if r.UploadConcurrency < 0 {
		return batch.UploadOptions{}, errs.Invalid("uploadConcurrency", "uploadConcurrency must not be negative")
	}
	if r.TimeoutMs < 0 {
		return batch.UploadOptions{}, errs.Invalid("timeoutMs", "timeoutMs must not be negative")
	}
	o := batch.UploadOptions{Concurrency: r.UploadConcurrency}
	if r.StatePath != "" {
		o.OnState = func(st batch.State) {
			// A state that cannot be stored leaves the batch unresumable
			// after a crash; the batch itself goes on.
			_ = batch.WriteStateFile(ctx, r.StatePath, st)
		}
	}
	return o, nil
}

// finish uploads, closes and waits (the timeout only bounds the wait).
func (r BatchRun) finish(ctx context.Context, b *batch.Batch) (*batch.Report, error) {
	rep, err := b.Finish(ctx, true, true)
	if err != nil || r.NoWait {
		return rep, err
	}
	wctx, cancel, err := withTimeout(ctx, r.TimeoutMs)
	if err != nil {
		return rep, err
	}
	defer cancel()
	return b.Wait(wctx, r.NoUPO)
}

// BatchSendInput is the input of "batch.send".
type BatchSendInput struct {
	BatchSource
	FormCode    string `json:"formCode,omitempty" doc:"FA (3) (default), FA (2) or FA_RR (1): batch sessions take no PEF"`
	Compression string `json:"compression,omitempty" doc:"Zip (default) or TarGz"`
	Level       int    `json:"level,omitempty" doc:"Deflate level 1–9 (default 1 for Zip, 6 for TarGz)"`
	Store       bool   `json:"store,omitempty" doc:"pack the documents uncompressed"`
	PartSize    int64  `json:"partSize,omitempty" doc:"plaintext bytes per part, at most 100 000 000 (the default)"`
	SkipInvalid bool   `json:"skipInvalid,omitempty" doc:"leave documents failing the local checks out and send the others (default: one invalid document stops the batch before anything is sent)"`
	OfflineMode bool   `json:"offlineMode,omitempty" doc:"the documents were issued offline"`
	Workers     int    `json:"workers,omitempty" doc:"goroutines reading, checking and compressing (default: one per core)"`
	BatchRun
}

// BatchResumeInput is the input of "batch.resume".
type BatchResumeInput struct {
	ReferenceNumber string            `json:"referenceNumber,omitempty" doc:"a batch this client sent (interrupted here), instead of a state"`
	State           *batch.SavedState `json:"state,omitempty" doc:"the state batch.state.export gave (SECRET)"`
	// The batch's documents again (matched by name; only those of the
	// parts still missing are read).
	BatchSource
	BatchRun
}

// An input holding a batch's state prints it redacted (its JSON, sent to
// the core on purpose, carries it).
func (in BatchResumeInput) String() string {
	return "BatchResumeInput{" + in.ReferenceNumber + ", state " + secret.Redacted + "}"
}
func (in BatchResumeInput) GoString() string           { return in.String() }
func (in BatchResumeInput) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, in.String()) }
func (in BatchResumeInput) LogValue() slog.Value       { return slog.StringValue(in.String()) }

// BatchRefInput names a batch of this client.
type BatchRefInput struct {
	ReferenceNumber string `json:"referenceNumber"`
}

func init() {
	register("batch.send", "Send invoices in one batch session: check every document locally, pack them (ZIP or tar.gz, on every core) into encrypted parts of at most 100 MB — streamed, never held — declare them, upload each part to its pre-signed URL, close, wait, and answer per document its KSeF number or typed failure (matched by file name) and the session UPO. With statePath an interrupted batch is resumable with batch.resume.", true, true,
		func(ctx context.Context, c *ksef.Client, in *BatchSendInput) (*batch.Report, error) {
			var fc invoice.FormCode
			if in.FormCode != "" {
				var err error
				if fc, err = formCodeOf(in.FormCode); err != nil {
					return nil, err
				}
			}
			if in.Workers < 0 {
				return nil, errs.Invalid("workers", "workers must not be negative")
			}
			up, err := in.upload(ctx)
			if err != nil {
				return nil, err
			}
			src, err := in.source(ctx)
			if err != nil {
				return nil, err
			}
			b, rep, err := c.Batches().Begin(ctx, src, batch.Options{
				FormCode: fc, Compression: batch.Compression(in.Compression), Level: in.Level, Store: in.Store, PartSize: in.PartSize,
				SkipInvalid: in.SkipInvalid, OfflineMode: in.OfflineMode, Workers: in.Workers, UploadOptions: up,
			})
			if err != nil {
				return rep, err
			}
			return in.finish(ctx, b)
		}).HostFiles = true
	register("batch.resume", "Go on with a batch interrupted after its session opened (a crash, a lost connection, a timeout): upload only the parts not yet in, close, wait and report as batch.send. Give the state (batch.state.export, or the statePath file) and the documents again.", true, true,
		func(ctx context.Context, c *ksef.Client, in *BatchResumeInput) (*batch.Report, error) {
			up, err := in.upload(ctx)
			if err != nil {
				return nil, err
			}
			var st batch.State
			switch {
			case in.State != nil && in.ReferenceNumber != "":
				return nil, errs.Invalid("state", "give a state or a referenceNumber, not both")
			case in.State != nil:
				st = in.State.State()
			case in.ReferenceNumber != "":
				b, err := c.Batches().Get(in.ReferenceNumber)
				if err != nil {
					return nil, err
				}
				st = b.State()
			case in.StatePath != "":
				if st, err = batch.ReadStateFile(ctx, in.StatePath); err != nil {
					return nil, err
				}
			default:
				return nil, errs.Invalid("state", "give the batch's state, statePath or referenceNumber")
			}
			src, err := in.source(ctx)
			if err != nil {
				return nil, err
			}
			b, err := c.Batches().Resume(ctx, st, src, up)
			if err != nil {
				return nil, err
			}
			return in.finish(ctx, b)
		}).HostFiles = true
	register("batch.state.export", "A batch's state, for a service that must resume it after a restart (SECRET: holds the session key and the upload URLs; store it like a password).", true, false,
		func(_ context.Context, c *ksef.Client, in *BatchRefInput) (*batch.SavedState, error) {
			b, err := c.Batches().Get(in.ReferenceNumber)
			if err != nil {
				return nil, err
			}
			return b.State().Export(), nil
		})
}
