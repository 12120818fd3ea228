package batch

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/progress"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/core/transport"
)

// Upload sends every part that is not in yet to its pre-signed URL, each
// made again from its documents for every attempt (part.go). Parts go up
// in parallel (UploadOptions.Concurrency; one at a time under the step
// driver); a part that fails is retried alone, after a growing pause,
// while attempts and the session's upload time last, and its failure
// does not stop the others. Every part that is in is recorded in the
// state (OnState) at once, so a resumed batch uploads only the rest.
func (b *Batch) Upload(ctx context.Context) error {
	st := b.State()
	if st.Closed {
		return nil
	}
	var todo []int
	var total, done int64
	for i, p := range st.Parts {
		total += p.Size
		if p.Uploaded {
			done += p.Size
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	prog := &uploadProgress{ctx: ctx, parts: int64(len(st.Parts)), partsDone: int64(len(st.Parts) - len(todo)), total: total}
	prog.bytes.Store(done)
	prog.report()

	workers := b.up.Concurrency
	if workers <= 0 {
		workers = 4
	}
	if transport.Serial(ctx, b.m.cfg.API.Sender.Doer) {
		workers = 1
	}
	workers = min(workers, len(todo))
	failures := make([]error, len(st.Parts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				failures[i] = b.uploadPart(ctx, i, prog)
			}
		})
	}
	for _, i := range todo {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	var failed []int
	var first error
	for i, err := range failures {
		if err != nil {
			failed = append(failed, i+1)
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		return nil
	}
	e := *errs.As(first)
	e.Message = fmt.Sprintf("batch %s: parts %v were not uploaded (the state records the %d that are in; Resume uploads only the rest): %s", st.ReferenceNumber, failed, len(st.Parts)-len(failed), e.Message)
	if e.ReferenceNumber == "" {
		e.ReferenceNumber = st.ReferenceNumber
	}
	return &e
}

// uploadPart uploads part i, retrying it alone.
func (b *Batch) uploadPart(ctx context.Context, i int, prog *uploadProgress) error {
	st := b.State()
	part := st.Parts[i]
	sha, _ := decodeSHA256(part.SHA256)
	want := symkey.Digest{SHA256: sha, Size: part.Size}
	req := api.PartUploadRequest{OrdinalNumber: part.OrdinalNumber, Method: part.Method, URL: st.URLs[i].Reveal(), Headers: part.Headers}
	clock := b.m.clock(ctx)
	attempts := b.up.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	perAttempt := b.up.AttemptTimeout
	if perAttempt <= 0 {
		perAttempt = 10 * time.Minute
	}
	base := b.m.cfg.API.Sender.Policy.BaseDelay
	if base <= 0 {
		base = transport.DefaultRetryPolicy().BaseDelay
	}
	for attempt := 1; ; attempt++ {
		left := st.UploadDeadline.Sub(clock.Now())
		if left <= 0 {
			e := errs.New(errs.Timeout, "part %d: the session's upload time ended at %s (20 minutes per part from the opening); KSeF cancels the session (21208) — send the documents in a new batch", part.OrdinalNumber, st.UploadDeadline.UTC().Format(time.RFC3339))
			e.ReferenceNumber = st.ReferenceNumber
			return e
		}
		b.mu.Lock()
		b.sent[i]++
		b.mu.Unlock()
		var sent atomic.Int64
		body := func() (io.ReadCloser, error) {
			prog.add(-sent.Swap(0)) // a retry inside the transport starts over
			return &countingBody{ReadCloser: b.lay.partReader(ctx, b.key, i, want), n: &sent, prog: prog}, nil
		}
		err := b.m.cfg.API.PresignedUpload(ctx, req, body, part.Size, min(perAttempt, left))
		if err == nil {
			b.mu.Lock()
			b.st.Parts[i].Uploaded = true
			b.mu.Unlock()
			prog.partDone(part.Size - sent.Load())
			b.m.cfg.Logger.Info("ksef batch part uploaded", "reference", st.ReferenceNumber, "part", part.OrdinalNumber, "bytes", part.Size, "attempt", attempt)
			b.changed()
			return nil
		}
		prog.add(-sent.Swap(0))
		if ctx.Err() != nil {
			return errs.FromContext(ctx.Err(), fmt.Sprintf("uploading part %d of batch %s", part.OrdinalNumber, st.ReferenceNumber))
		}
		delay := min(base<<(attempt-1), time.Minute)
		if !retryablePart(err) || attempt >= attempts || clock.Now().Add(delay).After(st.UploadDeadline) {
			return err
		}
		b.m.cfg.Logger.Warn("ksef batch part upload failed; retrying it alone", "reference", st.ReferenceNumber, "part", part.OrdinalNumber,
			"attempt", attempt, "err", errs.CodeOf(err), "status", errs.As(err).HTTPStatus, "delay", delay)
		if err := clock.Sleep(ctx, delay); err != nil {
			return errs.FromContext(err, fmt.Sprintf("uploading part %d of batch %s", part.OrdinalNumber, st.ReferenceNumber))
		}
	}
}

// retryablePart tells the failures another attempt may mend: no answer,
// a timeout, the storage or a proxy failing (5xx), throttling.
func retryablePart(err error) bool {
	e := errs.As(err)
	switch e.Code {
	case errs.Transport, errs.Timeout:
		return true
	case errs.API:
		return e.HTTPStatus >= 500 || e.HTTPStatus == 408 || e.HTTPStatus == 429
	}
	return false
}

// uploadProgress reports the upload stage: parts done, encrypted bytes
// sent (at most once per MiB, and at every part).
type uploadProgress struct {
	ctx              context.Context
	parts, partsDone int64
	total            int64
	bytes            atomic.Int64
	lastMiB          atomic.Int64
	mu               sync.Mutex
}

func (p *uploadProgress) add(n int64) {
	if n == 0 {
		return
	}
	v := p.bytes.Add(n)
	if mib := v >> 20; n > 0 && p.lastMiB.Swap(mib) != mib {
		p.report()
	}
}

func (p *uploadProgress) partDone(rest int64) {
	p.mu.Lock()
	p.partsDone++
	p.mu.Unlock()
	p.bytes.Add(rest)
	p.report()
}

func (p *uploadProgress) report() {
	p.mu.Lock()
	done := p.partsDone
	p.mu.Unlock()
	progress.Report(p.ctx, progress.Event{Stage: "upload", Done: done, Total: p.parts, Bytes: p.bytes.Load(), BytesTotal: p.total, Detail: "parts uploaded, encrypted bytes sent"})
}

// countingBody counts what the transport reads of a part.
type countingBody struct {
	io.ReadCloser
	n    *atomic.Int64
	prog *uploadProgress
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
		c.prog.add(int64(n))
	}
	return n, err
}
