package batch_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/api"
	"github.com/ksefkit/ksefkit/core/batch"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/online"
	"github.com/ksefkit/ksefkit/core/pubkeys"
	"github.com/ksefkit/ksefkit/core/symkey"
	"github.com/ksefkit/ksefkit/sim"
)

// The simulator's refusals of batch sessions, each as the typed error (or
// session status) a client sees: requests are made by hand here, below
// package batch, which would never send them.

// raw is a batch made by hand: its key, its encrypted parts and the open
// request declaring them.
type raw struct {
	key   *symkey.Key
	parts [][]byte
	req   *api.OpenBatchSessionRequest
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// craft cuts archive into parts of partSize, encrypts them and declares
// them.
func (w *world) craft(archive []byte, partSize int) *raw {
	w.t.Helper()
	key, err := symkey.New()
	if err != nil {
		w.t.Fatal(err)
	}
	pub, err := w.c.Keys().Get(w.ctx(), pubkeys.SymmetricKeyEncryption)
	if err != nil {
		w.t.Fatal(err)
	}
	enc, err := key.EncryptionInfo(pub)
	if err != nil {
		w.t.Fatal(err)
	}
	r := &raw{key: key, req: &api.OpenBatchSessionRequest{
		FormCode: api.FormCode{SystemCode: "FA (3)", SchemaVersion: "1-0E", Value: "FA"}, Encryption: *enc,
		BatchFile: api.BatchFile{FileSize: int64(len(archive)), FileHash: sha(archive), CompressionType: "Zip"},
	}}
	for i := 0; i < len(archive); i += partSize {
		ct := key.Seal(archive[i:min(i+partSize, len(archive))]).Ciphertext
		r.parts = append(r.parts, ct)
		r.req.BatchFile.FileParts = append(r.req.BatchFile.FileParts, api.BatchFilePart{OrdinalNumber: len(r.parts), FileSize: int64(len(ct)), FileHash: sha(ct)})
	}
	return r
}

func (w *world) token() string {
	tok, err := w.c.AccessToken(w.ctx())
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

func (w *world) open(r *raw) (*api.OpenBatchSessionResponse, error) {
	return w.c.API().OpenBatchSession(w.ctx(), w.token(), r.req)
}

func (w *world) upload(up api.PartUploadRequest, body []byte) error {
	return w.c.API().PresignedUpload(w.ctx(), up, func() (io.ReadCloser, error) { return batch.BytesReader(body), nil }, int64(len(body)), 10*time.Second)
}

// zipOf is a ZIP of the named documents.
func zipOf(t *testing.T, docs map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, doc := range docs {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(doc)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if e := errs.As(err); e == nil || e.Code != errs.API || !e.HasException(code) {
		t.Fatalf("%s: want KSeF exception %d, got %v", what, code, err)
	}
}

func TestOpenRefusals(t *testing.T) {
	w := newWorld(t, sim.Options{})
	archive := zipOf(t, map[string][]byte{"a.xml": []byte("<a/>")})

	r := w.craft(archive, 1<<20)
	r.req.BatchFile.FileParts[0].FileSize = 100_000_032
	_, err := w.open(r)
	wantCode(t, "a part over 100 MB", err, 21157)

	r = w.craft(bytes.Repeat([]byte{1}, 51*16), 16)
	_, err = w.open(r)
	wantCode(t, "51 parts", err, 21161)

	r = w.craft(archive, 1<<20)
	r.req.Encryption.PublicKeyID = base64.StdEncoding.EncodeToString(make([]byte, 32))
	_, err = w.open(r)
	wantCode(t, "an unknown public key", err, 21470)

	r = w.craft(archive, 1<<20)
	r.req.FormCode = api.FormCode{SystemCode: "PEF (3)", SchemaVersion: "2-1", Value: "PEF"}
	_, err = w.open(r)
	wantCode(t, "PEF in a batch", err, 21405)

	r = w.craft(archive, 1<<20)
	r.req.BatchFile.FileSize = 5_000_000_001
	_, err = w.open(r)
	wantCode(t, "an archive over 5 GB", err, 21405)
	w.sim.ResetSpecViolations() // the request broke the schema's maximum on purpose

	// The client mends a withdrawn key itself: reload and open again.
	w.fault("POST /sessions/batch=rotate-keys")
	docs := w.mixed(3).docs[:3]
	if rep, err := w.c.SendBatch(w.ctx(), batch.Documents(docs...), batch.Options{}); err != nil || rep.SuccessfulInvoiceCount != 3 {
		t.Fatalf("a batch after a key rotation: %v", err)
	}
}

func TestCloseRefusals(t *testing.T) {
	w := newWorld(t, sim.Options{PartUploadTime: 2 * time.Second})
	archive := zipOf(t, map[string][]byte{"a.xml": bytes.Repeat([]byte("<a/>"), 100)})
	r := w.craft(archive, 100)
	resp, err := w.open(r)
	if err != nil {
		t.Fatal(err)
	}
	ref := resp.ReferenceNumber
	if err := w.upload(resp.PartUploadRequests[0], r.parts[0]); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a part never uploaded", w.c.API().CloseBatchSession(w.ctx(), w.token(), ref), 21205)
	for i, p := range resp.PartUploadRequests[1:] {
		body := r.parts[i+1]
		if i == 0 {
			body = body[:len(body)-16]
		}
		if err := w.upload(p, body); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "a part shorter than declared", w.c.API().CloseBatchSession(w.ctx(), w.token(), ref), 21157)

	// Past the upload time (2 s per part here) the close is refused and
	// the session cancelled.
	r = w.craft(archive, 1<<20)
	resp, err = w.open(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.upload(resp.PartUploadRequests[0], r.parts[0]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	wantCode(t, "a close after the upload time", w.c.API().CloseBatchSession(w.ctx(), w.token(), resp.ReferenceNumber), 21208)
	st, err := w.c.Online().Status(w.ctx(), resp.ReferenceNumber)
	if err != nil || st.Status.Code != 440 {
		t.Fatalf("status after the upload time: %+v %v", st, err)
	}
	err = w.upload(resp.PartUploadRequests[0], r.parts[0])
	if e := errs.As(err); e == nil || e.HTTPStatus != 403 {
		t.Fatalf("an upload after the deadline: %v", err)
	}
}

// processed opens, uploads every part, closes and waits.
func (w *world) processed(r *raw, bodies [][]byte) *online.Processed {
	w.t.Helper()
	resp, err := w.open(r)
	if err != nil {
		w.t.Fatal(err)
	}
	for i, p := range resp.PartUploadRequests {
		if err := w.upload(p, bodies[i]); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := w.c.API().CloseBatchSession(w.ctx(), w.token(), resp.ReferenceNumber); err != nil {
		w.t.Fatal(err)
	}
	p, err := w.c.Online().WaitProcessed(w.ctx(), resp.ReferenceNumber)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func TestPackageFailures(t *testing.T) {
	w := newWorld(t, sim.Options{SessionInvoiceLimit: 25})
	g := w.mixed(6)
	valid := map[string][]byte{}
	for i, d := range g.docs[:6] {
		rc, _ := d.Open(w.ctx())
		valid[d.Name], _ = io.ReadAll(rc)
		if i == 4 {
			break
		}
	}
	archive := zipOf(t, valid)

	// A part whose bytes differ from its declared hash: 405.
	r := w.craft(archive, 4000)
	bodies := append([][]byte(nil), r.parts...)
	bodies[1] = append([]byte(nil), bodies[1]...)
	bodies[1][0] ^= 1
	if p := w.processed(r, bodies); p.Status.Code != 405 {
		t.Fatalf("a changed part: status %+v", p.Status)
	}

	// An archive that is no ZIP: 430.
	junk := make([]byte, 5000)
	rand.Read(junk)
	r = w.craft(junk, 4000)
	if p := w.processed(r, r.parts); p.Status.Code != 430 {
		t.Fatalf("a broken archive: status %+v", p.Status)
	}

	// A part that does not decrypt with the session key: 435.
	r = w.craft(archive, 1<<20)
	bad := make([]byte, len(r.parts[0]))
	for {
		rand.Read(bad)
		if _, err := r.key.Open(bad); err != nil {
			break
		}
	}
	r.req.BatchFile.FileParts[0].FileHash = sha(bad)
	if p := w.processed(r, [][]byte{bad}); p.Status.Code != 435 {
		t.Fatalf("an undecryptable part: status %+v", p.Status)
	}

	// More invoices than the session takes: 420.
	many := map[string][]byte{}
	for i := range 26 {
		many[string(rune('a'+i))+".xml"] = []byte("<x/>")
	}
	r = w.craft(zipOf(t, many), 1<<20)
	if p := w.processed(r, r.parts); p.Status.Code != 420 {
		t.Fatalf("over the invoice limit: status %+v", p.Status)
	}

	// A decompression bomb: 23 entries of 3 MB of zeros (a few KB each).
	bomb := map[string][]byte{}
	zeros := make([]byte, 3_000_000)
	for i := range 23 {
		bomb[string(rune('a'+i))+".xml"] = zeros
	}
	r = w.craft(zipOf(t, bomb), 1<<20)
	if p := w.processed(r, r.parts); p.Status.Code != 430 {
		t.Fatalf("a decompression bomb: status %+v", p.Status)
	}

	// An entry over the invoice size limit fails alone (430), the others
	// are taken.
	big := map[string][]byte{"big.xml": make([]byte, 3_000_001)}
	for k, v := range valid {
		big[k] = v
		break
	}
	r = w.craft(zipOf(t, big), 1<<20)
	p := w.processed(r, r.parts)
	if p.Status.Code != 200 || p.SuccessfulInvoiceCount != 1 || p.FailedInvoiceCount != 1 {
		t.Fatalf("an entry too large: %+v, %d ok, %d failed", p.Status, p.SuccessfulInvoiceCount, p.FailedInvoiceCount)
	}
	for _, inv := range p.Invoices {
		if inv.InvoiceFileName == "big.xml" && inv.Status.Code != 430 {
			t.Fatalf("big.xml: %+v", inv.Status)
		}
	}
}
