package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The pre-signed upload URLs of batch parts, the simulator's stand-in for
// KSeF's blob storage: PUT /storage/batch/{session}/{ordinal} with an
// expiry (se, the session's upload deadline) and an HMAC signature (sig)
// in the query, the x-ms-blob-type header KSeF names, a Content-Length,
// and NO bearer token (sending one is recorded as a client bug). The body
// is spooled to a file while it is hashed — a 100 MB part is never held —
// and only a complete body is kept, as a blob store keeps a blob only when
// every byte arrived. Success is 201; the storage's errors come in its XML.

// storageUploadRoute is how faults name the part uploads.
const storageUploadRoute = "PUT /storage"

// presignUpload returns the upload URL of one part.
func (s *Server) presignUpload(r *http.Request, sessionRef string, ordinal int, exp time.Time) string {
	p := "/storage/batch/" + sessionRef + "/" + strconv.Itoa(ordinal)
	se := exp.UTC().Truncate(time.Second).Format(time.RFC3339)
	base := "http://" + r.Host
	s.srvMu.Lock()
	if s.tlsURL != "" {
		base = s.tlsURL
	}
	s.srvMu.Unlock()
	return base + p + "?se=" + url.QueryEscape(se) + "&sp=w&sig=" + s.uploadSig(p, se)
}

func (s *Server) uploadSig(path, se string) string {
	m := hmac.New(sha256.New, s.storageKey)
	m.Write([]byte("PUT\n" + path + "\n" + se))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// serveUpload answers a part upload.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.recordViolation("client bug", r.Method, r.URL.Path, []string{"a batch part was uploaded with an Authorization header; send no bearer token to storage URLs"})
	}
	c := &capture{header: http.Header{}}
	if s.applyFaults(c, w, r, storageUploadRoute) {
		if c.status != 0 {
			writeCaptured(w, c)
		}
		return
	}
	if reqInfoOf(r.Context()).expired {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signed expiry time must be after the current time.")
		return
	}
	s.storageUpload(w, r)
}

func (s *Server) storageUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	se, sig := q.Get("se"), q.Get("sig")
	if !hmac.Equal([]byte(sig), []byte(s.uploadSig(r.URL.Path, se))) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signature did not match.")
		return
	}
	if exp, err := time.Parse(time.RFC3339, se); err != nil || !s.now().Before(exp) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signed expiry time ["+se+"] must be after the current time.")
		return
	}
	if r.Header.Get("X-Ms-Blob-Type") != "BlockBlob" {
		storageError(w, http.StatusBadRequest, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type (send the headers partUploadRequests[].headers names).")
		return
	}
	if r.ContentLength < 0 {
		storageError(w, http.StatusLengthRequired, "MissingContentLengthHeader", "Content-Length is required (no chunked uploads).")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, "/storage/batch/")
	ref, ord, _ := strings.Cut(rest, "/")
	ordinal, err := strconv.Atoi(ord)
	s.mu.Lock()
	sess := s.sessions[ref]
	var part *batchPart
	if err == nil && sess != nil && sess.batch != nil && ordinal >= 1 && ordinal <= len(sess.batch.parts) {
		part = sess.batch.parts[ordinal-1]
	}
	open := sess != nil && part != nil && s.batchState(sess, s.now()).Code == 100
	s.mu.Unlock()
	switch {
	case part == nil:
		storageError(w, http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
		return
	case !open:
		storageError(w, http.StatusForbidden, "AuthorizationFailure", "This request is not authorized to perform this operation: the session takes no more parts.")
		return
	case r.ContentLength > part.size:
		storageError(w, http.StatusRequestEntityTooLarge, "RequestBodyTooLarge", fmt.Sprintf("The request body is larger than the part's declared %d bytes.", part.size))
		return
	}
	dir, err := s.spoolDir()
	if err != nil {
		storageError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf("%s-%d-*.part", ref, ordinal))
	if err != nil {
		storageError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r.Body, r.ContentLength))
	f.Close()
	if err != nil || n != r.ContentLength {
		os.Remove(f.Name())
		s.log.Warn("batch part upload incomplete; not kept", "session", ref, "part", ordinal, "bytes", n, "of", r.ContentLength)
		return // the client went away; nobody to answer
	}
	digest := base64.StdEncoding.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	if s.batchState(sess, s.now()).Code != 100 { // closed while the body came
		s.mu.Unlock()
		os.Remove(f.Name())
		storageError(w, http.StatusForbidden, "AuthorizationFailure", "This request is not authorized to perform this operation: the session takes no more parts.")
		return
	}
	old := part.path
	part.path, part.gotSize, part.gotHash, part.uploaded = f.Name(), n, digest, true
	part.uploads++
	s.mu.Unlock()
	if old != "" {
		os.Remove(old) // a blob uploaded again replaces the old one
	}
	s.log.Info("batch part uploaded", "session", ref, "part", ordinal, "bytes", n)
	w.Header().Set("ETag", `"`+digest[:16]+`"`)
	w.WriteHeader(http.StatusCreated)
}
