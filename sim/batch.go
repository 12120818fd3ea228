package sim

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ksefkit/ksefkit/core/invoice"
)

// Batch sessions, protocol.md §7–8: POST /sessions/batch declares an
// encrypted archive cut into parts and answers a pre-signed upload URL per
// part (batchupload.go: the parts are spooled to files, never held);
// POST …/close checks that every declared part came and starts processing
// in the background (batchprocess.go): decrypt, verify, unpack, and every
// invoice through the same checks as an online invoice (acceptance.go).
// A batch session is an onlineSession with a batchSession attached, so
// GET /sessions/{ref}, its invoices and its UPO are the online code's.

// Exception codes of batch sessions (protocol.md §14).
const (
	codePartSize     = 21157
	codeTooManyParts = 21161
	codePartMissing  = 21205
	codeUploadTime   = 21208

	infixBatchSession = "SB"
	// maxPlainPart is KSeF's part limit before encryption; a declared
	// (encrypted) part may be at most its ciphertext size.
	maxPlainPart   = 100_000_000
	maxCipherPart  = maxPlainPart + aes.BlockSize
	maxBatchParts  = 50
	partUploadTime = 20 * time.Minute
)

func init() {
	for code, d := range map[int]string{
		codePartSize:     "Nieprawidłowy rozmiar części pakietu.",
		codeTooManyParts: "Przekroczono dozwoloną liczbę części pakietu.",
		codePartMissing:  "Pakiet nie może być pusty.",
		codeUploadTime:   "Czas oczekiwania na requesty upload lub finish został przekroczony.",
	} {
		exceptionDescriptions[code] = d
	}
}

// batchSession is what a batch session has beyond an online one. Guarded
// by Server.mu, except what is set at creation.
type batchSession struct {
	fileSize    int64
	fileHash    string
	compression string // Zip | TarGz
	offline     bool
	parts       []*batchPart
	deadline    time.Time // uploads and close; 20 minutes per part from opening

	cancelled  bool        // closed after the deadline (21208): status 440
	processing bool        // closed in time: processing started
	processed  time.Time   // processing finished (zero before)
	failure    *statusInfo // a package error (405, 415, 420, 430, 435) once processed
}

// batchPart is one declared part and what was uploaded for it.
type batchPart struct {
	ordinal int
	size    int64
	hash    string

	path     string // the spooled upload, once one completed
	gotSize  int64
	gotHash  string
	uploads  int // uploads answered 201
	uploaded bool
}

// batchState is a batch session's status at now (protocol.md §8). Caller
// holds s.mu.
func (s *Server) batchState(sess *onlineSession, now time.Time) statusInfo {
	b := sess.batch
	switch {
	case sess.key.IsZero():
		return statusInfo{415, "Błąd odszyfrowania dostarczonego klucza", nil}
	case b.cancelled:
		return statusInfo{440, "Sesja anulowana", []string{"Przekroczono czas wysyłki"}}
	case !b.processing && !now.Before(b.deadline):
		b.cancelled = true
		if sess.closed.IsZero() {
			sess.closed = b.deadline
		}
		s.log.Info("batch session cancelled: upload time exceeded", "ref", sess.ref)
		return statusInfo{440, "Sesja anulowana", []string{"Przekroczono czas wysyłki"}}
	case !b.processing:
		return statusInfo{100, "Sesja wsadowa rozpoczęta", nil}
	case b.processed.IsZero() || now.Before(sess.finished()) || now.Before(sess.closed.Add(s.opts.ProcessingDelay)):
		return statusInfo{150, "Trwa przetwarzanie", nil}
	case b.failure != nil:
		return *b.failure
	}
	for _, inv := range sess.invoices {
		if inv.final.Code == 200 {
			return statusInfo{200, "Sesja wsadowa przetworzona pomyślnie", nil}
		}
	}
	return statusInfo{445, "Błąd weryfikacji, brak poprawnych faktur", nil}
}

type batchFilePartInfo struct {
	OrdinalNumber int    `json:"ordinalNumber"`
	FileSize      int64  `json:"fileSize"`
	FileHash      string `json:"fileHash"`
}

type batchFileInfo struct {
	FileSize        int64               `json:"fileSize"`
	FileHash        string              `json:"fileHash"`
	CompressionType *string             `json:"compressionType"`
	FileParts       []batchFilePartInfo `json:"fileParts"`
}

type openBatchRequest struct {
	FormCode    invoice.FormCode `json:"formCode"`
	BatchFile   batchFileInfo    `json:"batchFile"`
	Encryption  encryptionInfo   `json:"encryption"`
	OfflineMode bool             `json:"offlineMode"`
}

type partUploadRequest struct {
	OrdinalNumber int               `json:"ordinalNumber"`
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers"`
}

type openBatchResponse struct {
	ReferenceNumber    string              `json:"referenceNumber"`
	PartUploadRequests []partUploadRequest `json:"partUploadRequests"`
}

// batchLimits answers the part limits of POST /sessions/batch with KSeF's
// own codes (21161, 21157) before the request is held to the OpenAPI
// document, whose maxItems would otherwise turn 21161 into a generic
// 21405. It reports whether it answered; the body is left readable.
func (s *Server) batchLimits(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var req struct {
		BatchFile struct {
			FileParts []batchFilePartInfo `json:"fileParts"`
		} `json:"batchFile"`
	}
	if json.Unmarshal(body, &req) != nil {
		return false // the validator explains
	}
	parts := req.BatchFile.FileParts
	if len(parts) > maxBatchParts {
		s.badRequest(w, r, exc(codeTooManyParts, fmt.Sprintf("Zadeklarowano %d części; dozwolone jest najwyżej %d.", len(parts), maxBatchParts)))
		return true
	}
	for _, p := range parts {
		if p.FileSize > maxCipherPart {
			s.badRequest(w, r, exc(codePartSize, fmt.Sprintf("Część '%d' ma %d bajtów; część przed zaszyfrowaniem może mieć najwyżej %d bajtów.", p.OrdinalNumber, p.FileSize, maxPlainPart)))
			return true
		}
	}
	return false
}

// POST /sessions/batch
func (s *Server) handleOpenBatch(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	var req openBatchRequest
	if !s.decode(w, r, &req) {
		return
	}
	var problems []string
	form, known := lookupForm(req.FormCode)
	if !known || form.code == invoice.PEF3 || form.code == invoice.PEFKOR3 {
		problems = append(problems, fmt.Sprintf("formCode: %s is not supported in batch sessions (use FA (3), FA (2) or FA_RR (1))", formCodeText(req.FormCode)))
	}
	bf := req.BatchFile
	compression := "Zip"
	if bf.CompressionType != nil {
		compression = *bf.CompressionType
	}
	if compression != "Zip" && compression != "TarGz" {
		problems = append(problems, "batchFile.compressionType: "+compression+" is not Zip or TarGz")
	}
	if _, err := base64.StdEncoding.DecodeString(bf.FileHash); err != nil || bf.FileSize <= 0 {
		problems = append(problems, "batchFile: fileSize and fileHash (Base64 SHA-256) are required")
	}
	for i, p := range bf.FileParts {
		if p.OrdinalNumber != i+1 {
			problems = append(problems, fmt.Sprintf("batchFile.fileParts[%d].ordinalNumber: %d, expected %d (parts are numbered 1, 2, … in order)", i, p.OrdinalNumber, i+1))
		}
		if h, err := base64.StdEncoding.DecodeString(p.FileHash); err != nil || len(h) != sha256.Size {
			problems = append(problems, fmt.Sprintf("batchFile.fileParts[%d].fileHash: not a Base64 SHA-256", i))
		}
		if p.FileSize%aes.BlockSize != 0 {
			problems = append(problems, fmt.Sprintf("batchFile.fileParts[%d].fileSize: %d is not a whole number of AES blocks", i, p.FileSize))
		}
	}
	key, iv, keyProblems, unknownKey := s.sessionKey(req.Encryption)
	problems = append(problems, keyProblems...)
	if len(problems) > 0 {
		s.badRequest(w, r, exc(codeValidation, problems...))
		return
	}
	if unknownKey != "" {
		s.badRequest(w, r, unknownKeyError(unknownKey))
		return
	}
	now := s.now()
	b := &batchSession{
		fileSize: bf.FileSize, fileHash: bf.FileHash, compression: compression, offline: req.OfflineMode,
		deadline: now.Add(time.Duration(len(bf.FileParts)) * s.opts.PartUploadTime),
	}
	for _, p := range bf.FileParts {
		b.parts = append(b.parts, &batchPart{ordinal: p.OrdinalNumber, size: p.FileSize, hash: p.FileHash})
	}
	sess := &onlineSession{
		ref: newRef(now, infixBatchSession), context: op.context, opener: op, form: form, key: key, iv: iv,
		created: now, validUntil: b.deadline, byRef: map[string]*sessionInvoice{}, batch: b,
	}
	out := openBatchResponse{ReferenceNumber: sess.ref}
	for _, p := range b.parts {
		out.PartUploadRequests = append(out.PartUploadRequests, partUploadRequest{
			OrdinalNumber: p.ordinal, Method: http.MethodPut, URL: s.presignUpload(r, sess.ref, p.ordinal, b.deadline),
			Headers: map[string]string{"x-ms-blob-type": "BlockBlob"},
		})
	}
	s.mu.Lock()
	s.sessions[sess.ref] = sess
	s.mu.Unlock()
	s.log.Info("batch session opened", "ref", sess.ref, "context", op.context.String(), "formCode", formCodeText(form.code),
		"parts", len(b.parts), "archiveBytes", b.fileSize, "compression", compression, "keyUnwrapped", !key.IsZero())
	s.ok(w, http.StatusCreated, out)
}

// lockBatch is lockSession for batch sessions: an online session's
// reference is no batch session (21173). s.mu is HELD on success.
func (s *Server) lockBatch(w http.ResponseWriter, r *http.Request) (*onlineSession, bool) {
	_, sess, ok := s.lockSession(w, r)
	if !ok {
		return nil, false
	}
	if sess.batch == nil {
		s.mu.Unlock()
		s.badRequest(w, r, sessionNotFound(sess.ref))
		return nil, false
	}
	return sess, true
}

// POST /sessions/batch/{referenceNumber}/close
func (s *Server) handleCloseBatch(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.lockBatch(w, r)
	if !ok {
		return
	}
	now := s.now()
	b := sess.batch
	st := s.batchState(sess, now)
	var refusal *apiError
	var missing, wrongSize []string
	for _, p := range b.parts {
		switch {
		case !p.uploaded:
			missing = append(missing, "Nie przesłano zadeklarowanej '"+strconv.Itoa(p.ordinal)+"' części pliku.")
		case p.gotSize != p.size:
			wrongSize = append(wrongSize, fmt.Sprintf("Zadeklarowany rozmiar części '%d' nie zgadza się z rzeczywistym (zadeklarowano %d, przesłano %d).", p.ordinal, p.size, p.gotSize))
		}
	}
	switch {
	case st.Code == 440 && b.cancelled:
		e := exc(codeUploadTime, "Sesja anulowana, przekroczony czas wysyłki.")
		refusal = &e
	case st.Code != 100:
		e := exc(codeSessionStatus, "Status sesji "+strconv.Itoa(st.Code)+" uniemożliwia jej zamknięcie.")
		refusal = &e
	case len(missing) > 0:
		e := exc(codePartMissing, missing...)
		refusal = &e
	case len(wrongSize) > 0:
		e := exc(codePartSize, wrongSize...)
		refusal = &e
	}
	if refusal != nil {
		s.mu.Unlock()
		s.badRequest(w, r, *refusal)
		return
	}
	sess.closed, b.processing = now, true
	s.mu.Unlock()
	s.log.Info("batch session closed; processing", "ref", sess.ref)
	s.background.Go(func() { s.processBatch(sess) })
	w.WriteHeader(http.StatusNoContent)
}

// BatchUploads tells, for each declared part of a batch session, how many
// uploads of it the storage answered with 201 (nil: no such batch).
func (s *Server) BatchUploads(ref string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[ref]
	if sess == nil || sess.batch == nil {
		return nil
	}
	out := make([]int, len(sess.batch.parts))
	for i, p := range sess.batch.parts {
		out[i] = p.uploads
	}
	return out
}

// spoolDir is where uploaded parts and decrypted archives wait; made on
// first use, removed by Close.
func (s *Server) spoolDir() (string, error) {
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	if s.spool == "" {
		dir, err := os.MkdirTemp(s.opts.SpoolDir, "ksef-sim-batch-")
		if err != nil {
			return "", err
		}
		s.spool = dir
	}
	return s.spool, nil
}

// closeBatches stops processing, waits for it and removes the spool.
func (s *Server) closeBatches() {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.background.Wait()
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	if s.spool != "" {
		os.RemoveAll(s.spool)
		s.spool = ""
	}
}
