package sim

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/symkey"
)

// Processing a closed batch session, in the background, streaming: every
// part's hash is checked (405), the parts are decrypted one after the other
// into one plaintext archive file (435 when a part does not decrypt), whose
// size and hash are checked (405), then the archive is unpacked entry by
// entry (430 when it is not a ZIP or a tar.gz, or looks like a
// decompression bomb; 420 beyond the session's invoice limit) and every
// invoice decided exactly as an online invoice is: verifyInvoice, then
// admit (acceptance.go). Memory is one invoice at a time.

// Decompression-bomb guard: an entry is read to at most the invoice limit
// with attachments (one byte more tells "too large"), and once more than
// bombFloor bytes came out of an archive, more than bombRatio times its
// compressed size is refused. Real invoices compress 4–100×.
const (
	maxEntry  = invoice.MaxSizeWithAttachment
	bombRatio = 200
	bombFloor = 64 << 20
)

var errStopping = errors.New("the simulator is shutting down")

// packageError is a batch session's failure as a whole.
func packageError(code int, details ...string) *statusInfo {
	desc := map[int]string{
		405: "Błąd weryfikacji poprawności dostarczonych elementów paczki",
		420: "Przekroczony limit faktur w sesji",
		430: "Błąd dekompresji pierwotnego archiwum",
		435: "Błąd odszyfrowania zaszyfrowanych części archiwum",
		500: "Nieznany błąd",
	}[code]
	return &statusInfo{code, desc, details}
}

// processBatch runs after a batch session closed in time.
func (s *Server) processBatch(sess *onlineSession) {
	b := sess.batch
	s.mu.Lock()
	parts := make([]batchPart, len(b.parts))
	for i, p := range b.parts {
		parts[i] = *p
	}
	s.mu.Unlock()
	failure := s.unpackBatch(sess, parts)
	for _, p := range parts {
		os.Remove(p.path)
	}
	now := s.now()
	s.mu.Lock()
	b.failure, b.processed = failure, now
	s.mu.Unlock()
	code := 0
	if failure != nil {
		code = failure.Code
	}
	s.log.Info("batch session processed", "ref", sess.ref, "invoices", len(sess.invoices), "packageError", code)
}

// unpackBatch decrypts, verifies and unpacks; nil means the package was
// sound (each invoice has its own outcome).
func (s *Server) unpackBatch(sess *onlineSession, parts []batchPart) *statusInfo {
	b := sess.batch
	for _, p := range parts {
		if p.gotHash != p.hash {
			return packageError(405, fmt.Sprintf("Skrót części '%d' nie zgadza się z zadeklarowanym.", p.ordinal))
		}
	}
	key, err := symkey.FromBytes(sess.key.Reveal(), sess.iv)
	if err != nil {
		return packageError(435, err.Error())
	}
	dir, err := s.spoolDir()
	if err != nil {
		return packageError(500, err.Error())
	}
	archive, err := os.CreateTemp(dir, sess.ref+"-*.archive")
	if err != nil {
		return packageError(500, err.Error())
	}
	defer func() {
		archive.Close()
		os.Remove(archive.Name())
	}()
	h := sha256.New()
	out := bufio.NewWriterSize(io.MultiWriter(archive, h), 256<<10)
	var size int64
	for _, p := range parts {
		if s.stopped() {
			return packageError(500, errStopping.Error())
		}
		f, err := os.Open(p.path)
		if err != nil {
			return packageError(500, err.Error())
		}
		n, err := io.Copy(out, key.NewReader(bufio.NewReaderSize(f, 256<<10)))
		f.Close()
		if err != nil {
			return packageError(435, fmt.Sprintf("Część '%d' nie daje się odszyfrować kluczem sesji: %v", p.ordinal, err))
		}
		size += n
	}
	if err := out.Flush(); err != nil {
		return packageError(500, err.Error())
	}
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); size != b.fileSize || got != b.fileHash {
		return packageError(405, fmt.Sprintf("Rozmiar lub skrót pliku paczki nie zgadza się z zadeklarowanym (zadeklarowano %d bajtów, odszyfrowano %d).", b.fileSize, size))
	}
	// Count first: beyond the limit nothing of the package is taken (420).
	count := 0
	if perr := s.eachEntry(archive, size, b.compression, false, func(string, []byte, bool) error { count++; return nil }); perr != nil {
		return perr
	}
	if count > s.opts.SessionInvoiceLimit {
		return packageError(420, fmt.Sprintf("Paczka zawiera %d faktur; sesja przyjmuje najwyżej %d.", count, s.opts.SessionInvoiceLimit))
	}
	return s.eachEntry(archive, size, b.compression, true, func(name string, doc []byte, tooLarge bool) error {
		if s.stopped() {
			return errStopping
		}
		s.takeBatchInvoice(sess, name, doc, tooLarge)
		return nil
	})
}

// takeBatchInvoice decides one invoice of a batch, as an online one.
func (s *Server) takeBatchInvoice(sess *onlineSession, name string, doc []byte, tooLarge bool) {
	var outcome invoiceStatus
	var v *verified
	switch {
	case utf8.RuneCountInString(name) > 128:
		outcome = invStatus(430, "invoiceFileName: the file name is longer than 128 characters")
		name = string([]rune(name)[:128])
	case tooLarge:
		outcome = invStatus(430, fmt.Sprintf("invoice.size: the file is larger than %d bytes", maxEntry))
	default:
		// The day KSeF received a batch invoice is the session's opening.
		outcome, v = s.verifyInvoice(doc, sess.form, sess.created)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := &sessionInvoice{
		ordinal: len(sess.invoices) + 1, ref: newRef(now, infixSessionInvoice), hash: hashB64(doc), fileName: name,
		received: sess.created, done: later(now, sess.closed.Add(s.opts.ProcessingDelay)), mode: "Online",
	}
	if v != nil {
		inv.takeFacts(v, sess.batch.offline, sess.created)
		if outcome.Code == 200 {
			outcome = s.admit(sess, inv, v, doc, sendInvoiceRequest{OfflineMode: sess.batch.offline}, false)
		}
	}
	inv.final = outcome
	sess.invoices = append(sess.invoices, inv)
	sess.byRef[inv.ref] = inv
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// eachEntry walks the regular files of a ZIP or tar.gz archive; with read,
// fn gets each file's bytes (or tooLarge, unread). A broken archive or a
// decompression bomb is the package's failure (430).
func (s *Server) eachEntry(f *os.File, size int64, compression string, read bool, fn func(name string, doc []byte, tooLarge bool) error) *statusInfo {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return packageError(500, err.Error())
	}
	var total int64
	guard := func(n int64, compressed int64) *statusInfo {
		total += n
		if total > bombFloor && total > bombRatio*compressed {
			return packageError(430, fmt.Sprintf("Archiwum rozpakowuje się do ponad %d-krotności swojego rozmiaru: podejrzenie bomby dekompresyjnej.", bombRatio))
		}
		return nil
	}
	broken := func(err error) *statusInfo {
		return packageError(430, "Archiwum jest uszkodzone lub nie jest w formacie "+compression+": "+err.Error())
	}
	take := func(name string, r io.Reader, declared int64, compressed func() int64) *statusInfo {
		if !read {
			return nil
		}
		if declared > maxEntry {
			if err := fn(name, nil, true); err != nil {
				return packageError(500, err.Error())
			}
			return nil
		}
		doc, err := io.ReadAll(io.LimitReader(r, maxEntry+1))
		if err != nil {
			return broken(err)
		}
		if g := guard(int64(len(doc)), compressed()); g != nil {
			return g
		}
		if err := fn(name, doc, len(doc) > maxEntry); err != nil {
			return packageError(500, err.Error())
		}
		return nil
	}
	if compression == "TarGz" {
		cr := &countReader{r: bufio.NewReaderSize(f, 256<<10)}
		gz, err := gzip.NewReader(cr)
		if err != nil {
			return broken(err)
		}
		tr := tar.NewReader(gz)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return broken(err)
			}
			if hdr.Typeflag != tar.TypeReg {
				continue
			}
			if !read {
				if err := fn(hdr.Name, nil, false); err != nil {
					return packageError(500, err.Error())
				}
				continue
			}
			if st := take(hdr.Name, tr, hdr.Size, func() int64 { return cr.n }); st != nil {
				return st
			}
		}
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return broken(err)
	}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") {
			continue // a directory
		}
		if !read {
			if err := fn(zf.Name, nil, false); err != nil {
				return packageError(500, err.Error())
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return broken(err)
		}
		st := take(zf.Name, rc, int64(zf.UncompressedSize64), func() int64 { return size })
		rc.Close()
		if st != nil {
			return st
		}
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// stopped reports whether the server is shutting down.
func (s *Server) stopped() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}
