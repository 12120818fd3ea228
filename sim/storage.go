package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Pre-signed download URLs, the simulator's stand-in for KSeF's blob
// storage: UPOs and export parts (exports.go) are downloadable at /storage/… with an expiry and an HMAC
// signature in the query, WITHOUT a bearer token (sending one is a client
// bug: it leaks the access token to the storage service — it is answered,
// but logged and recorded as a violation). With Options.TLS the URLs are
// https, served by a second listener whose certificate comes from the
// simulator's own CA (CACertificatePEM).

// storageRoute is how faults name the pre-signed downloads (they are not
// operations of the OpenAPI document, and "*" does not include them).
const storageRoute = "GET /storage"

// presign returns a download URL for a UPO and its expiry. The host is the
// one the client called (KSeF's URLs point at the environment called), or
// the https listener with Options.TLS.
func (s *Server) presign(r *http.Request, sessionRef, kind, name string) (string, time.Time) {
	return s.presignPath(r, "/storage/"+sessionRef+"/"+kind+"/"+name+".xml")
}

// presignPath signs a storage path for DownloadURLTTL.
func (s *Server) presignPath(r *http.Request, p string) (string, time.Time) {
	exp := s.now().Add(s.opts.DownloadURLTTL).UTC().Truncate(time.Second)
	se := exp.Format(time.RFC3339)
	base := "http://" + r.Host
	s.srvMu.Lock()
	if s.tlsURL != "" {
		base = s.tlsURL
	}
	s.srvMu.Unlock()
	return base + p + "?se=" + url.QueryEscape(se) + "&sig=" + s.storageSig(p, se), exp
}

func (s *Server) storageSig(path, se string) string {
	m := hmac.New(sha256.New, s.storageKey)
	m.Write([]byte("GET\n" + path + "\n" + se))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// storageError answers like the blob store does: XML, not KSeF's JSON.
func storageError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// serveStorage answers GET /storage/{session}/{kind}/{name}.xml, and the
// part uploads (PUT /storage/batch/…, batchupload.go).
func (s *Server) serveStorage(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/storage/batch/") {
		if r.Method != http.MethodPut {
			storageError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb (KSeF's partUploadRequests name PUT).")
			return
		}
		s.serveUpload(w, r)
		return
	}
	if r.Header.Get("Authorization") != "" {
		// Never the token itself: only that one was sent.
		s.recordViolation("client bug", r.Method, r.URL.Path, []string{"a pre-signed URL was requested with an Authorization header; send no bearer token to storage URLs"})
	}
	c := &capture{header: http.Header{}}
	if s.applyFaults(c, w, r, storageRoute) {
		if c.status != 0 {
			writeCaptured(w, c)
		}
		return
	}
	s.storageDownload(c, r)
	if reqInfoOf(r.Context()).dropAfter {
		drop(w)
		return
	}
	writeCaptured(w, c)
}

func writeCaptured(w http.ResponseWriter, c *capture) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if c.status == 0 {
		c.status = http.StatusOK
	}
	w.WriteHeader(c.status)
	w.Write(c.body.Bytes())
}

func (s *Server) storageDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		storageError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.")
		return
	}
	q := r.URL.Query()
	se, sig := q.Get("se"), q.Get("sig")
	if !hmac.Equal([]byte(sig), []byte(s.storageSig(r.URL.Path, se))) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signature did not match.")
		return
	}
	exp, err := time.Parse(time.RFC3339, se)
	if err != nil || !s.now().Before(exp) {
		storageError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signed expiry time ["+se+"] must be after the current time.")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/storage/"), "/")
	if len(parts) == 3 && parts[1] == exportPartKind {
		s.serveExportPart(w, r, parts[0], parts[2])
		return
	}
	if len(parts) != 3 || !strings.HasSuffix(parts[2], ".xml") {
		storageError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	ref, kind, name := parts[0], parts[1], strings.TrimSuffix(parts[2], ".xml")
	var doc []byte
	switch kind {
	case "session-upo":
		page, _, err := s.findUPOPage(ref, nil, name)
		if err != nil {
			storageError(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		if page != nil {
			doc = page.xml
		}
	case "invoice-upo":
		now := s.now()
		s.mu.Lock()
		sess := s.sessions[ref]
		var inv *sessionInvoice
		if sess != nil {
			inv = sess.succeededByKSeFNumber(name, now)
		}
		s.mu.Unlock()
		if inv != nil {
			if doc, err = s.invoiceUPO(sess, inv); err != nil {
				storageError(w, http.StatusInternalServerError, "InternalError", err.Error())
				return
			}
		}
	}
	if doc == nil {
		storageError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	s.serveUPO(w, r, doc)
}

// simCA is the simulator's own certificate authority and the server
// certificate it issued for the loopback names.
type simCA struct {
	pem  []byte
	leaf tls.Certificate
}

func newSimCA(now time.Time) (*simCA, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	nb := now.Add(-time.Hour).UTC().Truncate(time.Second)
	ca := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(randBytes(16)),
		Subject:               pkix.Name{CommonName: "ksef-sim CA", Organization: []string{"ksefkit simulator"}},
		NotBefore:             nb,
		NotAfter:              nb.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(randBytes(16)),
		Subject:      pkix.Name{CommonName: "ksef-sim storage", Organization: []string{"ksefkit simulator"}},
		NotBefore:    nb,
		NotAfter:     nb.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &simCA{
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf: tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key},
	}, nil
}

// CACertificatePEM is the certificate of the CA that issued the https
// listener's certificate (Options.TLS), for clients to trust — Go honours
// SSL_CERT_FILE, Node NODE_EXTRA_CA_CERTS, Python's default SSL context
// SSL_CERT_FILE. Nil without Options.TLS.
func (s *Server) CACertificatePEM() []byte {
	if s.ca == nil {
		return nil
	}
	return append([]byte(nil), s.ca.pem...)
}

// TLSURL is the base of the https listener ("https://127.0.0.1:PORT"),
// which serves the pre-signed downloads (and the API under /v2 as well);
// "" without Options.TLS or before Start.
func (s *Server) TLSURL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.tlsURL
}
