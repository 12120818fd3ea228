package export

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
	"github.com/ksefkit/ksefkit/core/progress"
)

// Package is a finished export: what KSeF says about it and its parts.
// The parts' URLs expire (ExpiresAt is the package's own end); an expired
// URL is replaced by asking for the status again.
type Package struct {
	e         *Export
	Info      api.InvoicePackage
	ExpiresAt time.Time
}

// ReferenceNumber is the export's reference.
func (p *Package) ReferenceNumber() string { return p.e.ref }

// partAttempts bounds the downloads of one part (transport failures,
// expired URLs); a part whose hashes do not match is not downloaded again.
const partAttempts = 3

// copyBuffer is the plaintext chunk handed to the writer.
const copyBuffer = 256 << 10

// WriteTo streams the decrypted package (the ZIP) to w, part by part in
// ordinalNumber order, each part's encryptedPartHash and partHash checked
// as it ends. It returns the bytes written. On error w holds an
// incomplete package that must be discarded: the bytes of a part reach w
// before its hashes can be compared.
func (p *Package) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	return p.download(ctx, w, nil)
}

// WriteFile writes the decrypted package to path (through the host's
// files: hostfs), replacing it. On error the file is removed.
func (p *Package) WriteFile(ctx context.Context, path string) (int64, error) {
	w, err := hostfs.Create(ctx, path)
	if err != nil {
		return 0, errs.Invalid("path", "cannot create the file: %v", pathError(err))
	}
	var rollback func(int64) error
	f, local := w.(*os.File)
	if local {
		rollback = truncateTo(f)
	}
	n, err := p.download(ctx, w, rollback)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = writeError(cerr)
	}
	if e := errs.As(err); e != nil && e.Code == errs.InputInvalid {
		e.Field = "path"
	}
	if err != nil {
		hostfs.Remove(ctx, path) // through the host too: nothing half-written stays
	}
	return n, err
}

// truncateTo rolls a file back to size, for a part downloaded again.
func truncateTo(f *os.File) func(int64) error {
	return func(size int64) error {
		if err := f.Truncate(size); err != nil {
			return err
		}
		_, err := f.Seek(size, io.SeekStart)
		return err
	}
}

// writeError reports a failure of the writer the package goes to (a full
// disk, a closed pipe): the caller's side, not KSeF's.
func writeError(err error) *errs.Error {
	e := errs.New(errs.InputInvalid, "cannot write the package: %s", pathError(err))
	e.Err = err
	return e
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// download writes every part in order; rollback, when given, truncates w
// back to a size so that a failed part can be fetched again.
func (p *Package) download(ctx context.Context, w io.Writer, rollback func(int64) error) (int64, error) {
	parts := slices.Clone(p.Info.Parts)
	slices.SortFunc(parts, func(a, b api.InvoicePackagePart) int { return a.OrdinalNumber - b.OrdinalNumber })
	var total int64
	for i, part := range parts {
		if part.OrdinalNumber != i+1 {
			return 0, errs.New(errs.Protocol, "export %s: the parts are numbered %d…, not 1 to %d", p.e.ref, parts[0].OrdinalNumber, len(parts))
		}
		total += part.EncryptedPartSize
	}
	buf := make([]byte, copyBuffer)
	var written, done int64
	for i := range parts {
		for attempt := 1; ; attempt++ {
			n, err := p.part(ctx, &parts[i], len(parts), w, buf, done, total)
			if err == nil {
				written += n
				break
			}
			e := errs.As(err)
			retry := attempt < partAttempts && ctx.Err() == nil &&
				(e.Code == errs.Transport || e.Code == errs.Timeout || e.HTTPStatus == 403 || e.HTTPStatus == 404)
			if retry && n > 0 {
				retry = rollback != nil && rollback(written) == nil
			}
			if !retry {
				return written, withRef(err, p.e.ref)
			}
			if e.HTTPStatus == 403 || e.HTTPStatus == 404 {
				// Pre-signed URLs expire: the status hands out fresh ones.
				if err := p.refresh(ctx, parts); err != nil {
					return written, err
				}
			}
			p.e.x.cfg.Logger.Info("ksef export part downloaded again", "reference", p.e.ref, "part", parts[i].OrdinalNumber, "attempt", attempt+1, "reason", e.Message)
		}
		done += parts[i].EncryptedPartSize
	}
	return written, nil
}

// refresh replaces the parts' URLs with the ones a new status call gives.
func (p *Package) refresh(ctx context.Context, parts []api.InvoicePackagePart) error {
	st, err := p.e.Status(ctx)
	if err != nil {
		return err
	}
	if st.Status.Code != 200 || st.Package == nil {
		x := errs.New(errs.API, "export %s: status %d %s while its parts were downloaded", p.e.ref, st.Status.Code, st.Status.Description)
		x.ReferenceNumber, x.Status, x.StatusDescription = p.e.ref, st.Status.Code, st.Status.Description
		return x
	}
	for i := range parts {
		for _, fresh := range st.Package.Parts {
			if fresh.OrdinalNumber == parts[i].OrdinalNumber {
				parts[i].URL = fresh.URL
			}
		}
	}
	return nil
}

// part downloads, decrypts and checks one part, writing its plaintext to
// w; n is what reached w.
func (p *Package) part(ctx context.Context, part *api.InvoicePackagePart, count int, w io.Writer, buf []byte, done, total int64) (n int64, err error) {
	ref := p.e.ref
	what := func() string { return "export " + ref + " part " + itoa(part.OrdinalNumber) + " of " + itoa(count) }
	s, err := p.e.x.cfg.API.PresignedGetStream(ctx, part.URL, "GET {package.parts[].url}")
	if err != nil {
		return 0, err
	}
	defer s.Body.Close()
	// One byte more than declared tells a longer body apart.
	r := p.e.key.NewReader(io.LimitReader(s.Body, part.EncryptedPartSize+1))
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, writeError(werr)
			}
			n += int64(m)
			progress.Report(ctx, progress.Event{Stage: "download", Done: int64(part.OrdinalNumber - 1), Total: int64(count),
				Bytes: done + r.Cipher().Size, BytesTotal: total, Detail: "part " + itoa(part.OrdinalNumber) + " of " + itoa(count)})
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if c := r.Cipher(); errs.CodeOf(rerr) == errs.Crypto && c.Base64() != part.EncryptedPartHash {
				return n, hashMismatch(what(), "encryptedPartHash", c.Base64(), part.EncryptedPartHash)
			}
			if errs.CodeOf(rerr) == errs.Crypto {
				e := errs.Wrap(errs.Crypto, rerr, "%s does not decrypt with this export's key", what())
				return n, e
			}
			return n, errs.Wrap(errs.Transport, rerr, "%s: the download broke off after %d bytes", what(), r.Cipher().Size)
		}
	}
	c, pl := r.Cipher(), r.Plain()
	switch {
	case c.Size != part.EncryptedPartSize:
		return n, errs.New(errs.Protocol, "%s is %d bytes, KSeF declared encryptedPartSize %d", what(), c.Size, part.EncryptedPartSize)
	case c.Base64() != part.EncryptedPartHash:
		return n, hashMismatch(what(), "encryptedPartHash", c.Base64(), part.EncryptedPartHash)
	case s.MetaHash != "" && s.MetaHash != part.EncryptedPartHash:
		return n, hashMismatch(what(), "x-ms-meta-hash", s.MetaHash, part.EncryptedPartHash)
	case pl.Size != part.PartSize:
		return n, errs.New(errs.Protocol, "%s decrypts to %d bytes, KSeF declared partSize %d", what(), pl.Size, part.PartSize)
	case pl.Base64() != part.PartHash:
		return n, hashMismatch(what()+" (decrypted)", "partHash", pl.Base64(), part.PartHash)
	}
	progress.Report(ctx, progress.Event{Stage: "download", Done: int64(part.OrdinalNumber), Total: int64(count), Bytes: done + c.Size, BytesTotal: total})
	return n, nil
}

func hashMismatch(what, field, got, want string) *errs.Error {
	return errs.New(errs.Protocol, "%s: SHA-256 %s does not match %s %s — the part is damaged or was tampered with; nothing of it may be used", what, got, field, want)
}

func itoa(i int) string { return strconv.Itoa(i) }
