package sim

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// party is one side of the receiving tests: a NIP context with an access token.
type party struct{ nip, access string }

func twoParties(t *testing.T, s *Server, c *client) (seller, buyer party) {
	t.Helper()
	seller.nip, seller.access = accessFor(t, s, c)
	buyer.nip, buyer.access = accessFor(t, s, c)
	return seller, buyer
}

func seed(t *testing.T, s *Server, req Seed) []string {
	t.Helper()
	out, err := s.SeedInvoices(req)
	if err != nil {
		t.Fatal(err)
	}
	return out.KSeFNumbers
}

func queryBody(subject string, from time.Time, extra map[string]any) map[string]any {
	b := map[string]any{"subjectType": subject, "dateRange": map[string]any{"dateType": "PermanentStorage", "from": from.Format(time.RFC3339Nano)}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func (c *client) query(access string, body map[string]any, page, size int, sortOrder string) (metadataPage, reply) {
	c.t.Helper()
	q := url.Values{"pageOffset": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(size)}}
	if sortOrder != "" {
		q.Set("sortOrder", sortOrder)
	}
	r := c.do("POST", "/invoices/query/metadata?"+q.Encode(), access, body)
	var p metadataPage
	if r.status == 200 {
		r.json(c.t, &p)
	}
	return p, r
}

func TestInvoiceDownloadVisibility(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now})
	seller, buyer := twoParties(t, s, c)
	_, other := twoParties(t, s, c)
	nums := seed(t, s, Seed{SellerNIP: seller.nip, BuyerNIP: buyer.nip, Count: 1, StoredFrom: clk.Now().Add(time.Minute)})
	path := "/invoices/ksef/" + nums[0]

	wantException(t, c.do("GET", path, buyer.access, nil), codeNotYetAvailable) // known, not stored for good yet
	wantException(t, c.do("GET", path, other.access, nil), codeInvoiceNotFound) // no party of it
	clk.Advance(time.Minute)
	for _, p := range []party{seller, buyer} {
		r := c.do("GET", path, p.access, nil)
		if r.status != 200 || r.header.Get("x-ms-meta-hash") != hashB64(r.body) || !bytes.Equal(r.body, s.Invoices()[0].XML) {
			t.Fatalf("download: %s", r)
		}
	}
	wantException(t, c.do("GET", path, other.access, nil), codeInvoiceNotFound)
}

// The metadata query pages to QueryLimit records, then says isTruncated;
// the buyer sees them as Subject2 only, and nobody else at all.
func TestQueryPagingTruncationAndViews(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, QueryLimit: 25})
	seller, buyer := twoParties(t, s, c)
	start := clk.Now().Add(-time.Hour)
	nums := seed(t, s, Seed{SellerNIP: seller.nip, BuyerNIP: buyer.nip, Count: 40, StoredFrom: start, Spacing: "1s"})

	var got []string
	var last metadataPage
	for page := 0; ; page++ {
		p, r := c.query(buyer.access, queryBody("Subject2", start, nil), page, 10, "")
		if r.status != 200 {
			t.Fatal(r)
		}
		for _, m := range p.Invoices {
			got = append(got, m.KSeFNumber)
		}
		last = p
		if !p.HasMore || p.IsTruncated {
			break
		}
	}
	if !last.HasMore || !last.IsTruncated || !slices.Equal(got, nums[:25]) {
		t.Fatalf("hasMore %v isTruncated %v, got %d records", last.HasMore, last.IsTruncated, len(got))
	}
	if last.PermanentStorageHwmDate == nil {
		t.Fatal("no permanentStorageHwmDate for dateType PermanentStorage")
	}
	// Narrowed to the last date: the rest, the boundary record again first.
	p, _ := c.query(buyer.access, queryBody("Subject2", s.Invoices()[24].PermanentStorageDate, nil), 0, 250, "")
	if p.HasMore || p.IsTruncated || len(p.Invoices) != 16 || p.Invoices[0].KSeFNumber != nums[24] {
		t.Fatalf("narrowed: %d records, hasMore %v", len(p.Invoices), p.HasMore)
	}
	// Desc, filters, other views.
	p, _ = c.query(seller.access, queryBody("Subject1", start, map[string]any{"sellerNip": seller.nip, "invoiceTypes": []string{"Vat"}, "currencyCodes": []string{"PLN"}}), 0, 10, "Desc")
	if len(p.Invoices) != 10 || p.Invoices[0].KSeFNumber != nums[39] {
		t.Fatalf("seller, Desc: %d records, first %s", len(p.Invoices), p.Invoices[0].KSeFNumber)
	}
	for _, q := range []struct {
		access, subject string
		extra           map[string]any
	}{
		{seller.access, "Subject2", nil}, {buyer.access, "Subject1", nil}, {buyer.access, "Subject3", nil},
		{buyer.access, "Subject2", map[string]any{"invoiceTypes": []string{"Kor"}}},
		{buyer.access, "Subject2", map[string]any{"amount": map[string]any{"type": "Brutto", "from": 1e9}}},
		{buyer.access, "Subject2", map[string]any{"buyerIdentifier": map[string]any{"type": "Nip", "value": seller.nip}}},
	} {
		if p, r := c.query(q.access, queryBody(q.subject, start, q.extra), 0, 10, ""); r.status != 200 || len(p.Invoices) != 0 {
			t.Fatalf("%s %v: %s", q.subject, q.extra, r)
		}
	}
	// The high-water mark: from beyond it with the restriction is 21183.
	body := queryBody("Subject2", clk.Now().Add(time.Minute), nil)
	body["dateRange"].(map[string]any)["to"] = clk.Now().Add(time.Hour).Format(time.RFC3339)
	if _, r := c.query(buyer.access, body, 0, 10, ""); r.status != 200 {
		t.Fatal(r)
	}
	body["dateRange"].(map[string]any)["restrictToPermanentStorageHwmDate"] = true
	_, r := c.query(buyer.access, body, 0, 10, "")
	wantException(t, r, codeBeyondHWM)
	// Longer than three months is refused, as core/receive refuses it.
	body = queryBody("Subject2", clk.Now().AddDate(0, -4, 0), nil)
	_, r = c.query(buyer.access, body, 0, 10, "")
	wantException(t, r, codeValidation)
}

// exportKey is the client side of an export's encryption.
type exportKey struct {
	key, iv []byte
	enc     map[string]any
}

func newExportKey(t *testing.T, c *client) exportKey {
	t.Helper()
	k := exportKey{key: make([]byte, 32), iv: make([]byte, 16)}
	rand.Read(k.key)
	rand.Read(k.iv)
	pub := c.publicKey("SymmetricKeyEncryption")
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.pub, k.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	k.enc = map[string]any{"encryptedSymmetricKey": base64.StdEncoding.EncodeToString(wrapped), "initializationVector": base64.StdEncoding.EncodeToString(k.iv), "publicKeyId": pub.id}
	return k
}

type exportStatusReply struct {
	Status  statusInfo `json:"status"`
	Package *struct {
		InvoiceCount             int        `json:"invoiceCount"`
		IsTruncated              bool       `json:"isTruncated"`
		LastPermanentStorageDate *time.Time `json:"lastPermanentStorageDate"`
		PermanentStorageHwmDate  *time.Time `json:"permanentStorageHwmDate"`
		Parts                    []partJSON `json:"parts"`
	} `json:"package"`
}

func (c *client) exportStatus(access, ref string) exportStatusReply {
	c.t.Helper()
	r := c.do("GET", "/invoices/exports/"+ref, access, nil)
	if r.status != 200 {
		c.t.Fatal(r)
	}
	var st exportStatusReply
	r.json(c.t, &st)
	return st
}

// downloadPackage fetches, checks and decrypts every part and joins them.
func (c *client) downloadPackage(k exportKey, st exportStatusReply) []byte {
	c.t.Helper()
	var pkg []byte
	for _, p := range st.Package.Parts {
		r := c.get(p.URL)
		if r.status != 200 || hashB64(r.body) != p.EncryptedPartHash || r.header.Get("x-ms-meta-hash") != p.EncryptedPartHash {
			c.t.Fatalf("part %d: %s", p.OrdinalNumber, r.String()[:40])
		}
		plain, err := decryptCBC(k.key, k.iv, r.body)
		if err != nil || hashB64(plain) != p.PartHash || int64(len(plain)) != p.PartSize {
			c.t.Fatalf("part %d decrypts to %d bytes: %v", p.OrdinalNumber, len(plain), err)
		}
		pkg = append(pkg, plain...)
	}
	return pkg
}

func TestExportPackage(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, ExportPartSize: 20_000, ExportInvoiceLimit: 30, ExportPackageTTL: time.Hour, AccessTokenTTL: 30 * 24 * time.Hour})
	seller, buyer := twoParties(t, s, c)
	start := clk.Now().Add(-time.Hour)
	nums := seed(t, s, Seed{SellerNIP: seller.nip, BuyerNIP: buyer.nip, Count: 45, StoredFrom: start, Spacing: "10s"})
	k := newExportKey(t, c)
	body := map[string]any{"encryption": k.enc, "filters": queryBody("Subject2", start, nil)}
	body["filters"].(map[string]any)["dateRange"].(map[string]any)["restrictToPermanentStorageHwmDate"] = true
	r := c.do("POST", "/invoices/exports", buyer.access, body)
	if r.status != 201 {
		t.Fatal(r)
	}
	var started struct{ ReferenceNumber string }
	r.json(t, &started)
	if st := c.exportStatus(buyer.access, started.ReferenceNumber); st.Status.Code != 100 {
		t.Fatalf("status %d before ExportDelay", st.Status.Code)
	}
	clk.Advance(time.Second)
	st := c.exportStatus(buyer.access, started.ReferenceNumber)
	if st.Status.Code != 200 || st.Package.InvoiceCount != 30 || !st.Package.IsTruncated || len(st.Package.Parts) < 2 {
		t.Fatalf("status %+v", st.Status)
	}
	if !st.Package.LastPermanentStorageDate.Equal(s.Invoices()[29].PermanentStorageDate) || st.Package.PermanentStorageHwmDate == nil {
		t.Fatalf("lastPermanentStorageDate %v", st.Package.LastPermanentStorageDate)
	}
	pkg := c.downloadPackage(k, st)
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Invoices []InvoiceMetadata `json:"invoices"`
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
	}
	if err := json.Unmarshal(files["_metadata.json"], &meta); err != nil || len(meta.Invoices) != 30 || len(files) != 31 {
		t.Fatalf("%d files, %d metadata records: %v", len(files), len(meta.Invoices), err)
	}
	for i, m := range meta.Invoices {
		if m.KSeFNumber != nums[i] || hashB64(files[m.KSeFNumber+".xml"]) != m.InvoiceHash {
			t.Fatalf("record %d: %s", i, m.KSeFNumber)
		}
	}
	// A tampered part: its own x-ms-meta-hash matches, encryptedPartHash does not.
	if err := s.AddFault(Fault{Route: storageRoute, Kind: FaultPartTamper}); err != nil {
		t.Fatal(err)
	}
	p := st.Package.Parts[0]
	if r := c.get(p.URL); hashB64(r.body) != r.header.Get("x-ms-meta-hash") || hashB64(r.body) == p.EncryptedPartHash {
		t.Fatal("part-tamper did not tamper consistently")
	}
	// Expired: 210, parts gone; the status itself after seven days: 410.
	clk.Advance(time.Hour)
	if st := c.exportStatus(buyer.access, started.ReferenceNumber); st.Status.Code != 210 || st.Package != nil {
		t.Fatalf("after expiry: %+v", st.Status)
	}
	if r := c.get(p.URL); r.status != 403 && r.status != 404 {
		t.Fatalf("expired part: %s", r)
	}
	clk.Advance(7 * 24 * time.Hour)
	if r := c.do("GET", "/invoices/exports/"+started.ReferenceNumber, buyer.access, nil); r.status != 410 {
		t.Fatal(r)
	}
	wantException(t, c.do("GET", "/invoices/exports/"+started.ReferenceNumber, seller.access, nil), codeExportNotFound)
}

func TestExportRefusals(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, MaxExports: 1, ExportDelay: time.Minute})
	_, buyer := twoParties(t, s, c)
	k := newExportKey(t, c)
	start := clk.Now().Add(-time.Hour)
	export := func(enc map[string]any, filters map[string]any) reply {
		return c.do("POST", "/invoices/exports", buyer.access, map[string]any{"encryption": enc, "filters": filters})
	}
	statusOf := func(r reply) int {
		var started struct{ ReferenceNumber string }
		r.json(t, &started)
		clk.Advance(time.Minute)
		return c.exportStatus(buyer.access, started.ReferenceNumber).Status.Code
	}
	bad := maps(k.enc)
	wrong, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, c.publicKey("SymmetricKeyEncryption").pub, []byte("short key"), nil)
	bad["encryptedSymmetricKey"] = base64.StdEncoding.EncodeToString(wrong)
	if code := statusOf(export(bad, queryBody("Subject2", start, nil))); code != 415 {
		t.Fatalf("a key that does not unwrap: status %d", code)
	}
	beyond := queryBody("Subject2", clk.Now().Add(time.Hour), nil)
	beyond["dateRange"].(map[string]any)["restrictToPermanentStorageHwmDate"] = true
	beyond["dateRange"].(map[string]any)["to"] = clk.Now().Add(2 * time.Hour).Format(time.RFC3339)
	if code := statusOf(export(k.enc, beyond)); code != 420 {
		t.Fatalf("from beyond the HWM: status %d", code)
	}
	if r := export(k.enc, queryBody("Subject2", start, nil)); r.status != 201 {
		t.Fatal(r)
	}
	wantException(t, export(k.enc, queryBody("Subject2", start, nil)), codeTooManyExports)
	unknown := maps(k.enc)
	unknown["publicKeyId"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
	wantException(t, export(unknown, queryBody("Subject2", start, nil)), codeUnknownPublicKey)
}

// maps copies a JSON object.
func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestExportForbiddenForContextType(t *testing.T) {
	if exportAllowed("Subject2", "InternalId") || !exportAllowed("Subject3", "InternalId") || !exportAllowed("SubjectAuthorized", "Nip") {
		t.Fatal("21181 rule")
	}
}

func TestRateLimitsEnforced(t *testing.T) {
	clk := newFakeClock()
	s, c := startSim(t, Options{Clock: clk.Now, RateLimits: true, RateLimitOverrides: map[string]RateLimit{"invoiceMetadata": {PerSecond: 2, PerMinute: 3, PerHour: 20}}})
	_, buyer := twoParties(t, s, c)
	body := queryBody("Subject2", clk.Now().Add(-time.Hour), nil)
	for i := range 2 {
		if _, r := c.query(buyer.access, body, 0, 10, ""); r.status != 200 {
			t.Fatalf("request %d: %s", i, r)
		}
	}
	_, r := c.query(buyer.access, body, 0, 10, "")
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("third in a second: %s (Retry-After %q)", r, r.header.Get("Retry-After"))
	}
	clk.Advance(time.Second)
	if _, r := c.query(buyer.access, body, 0, 10, ""); r.status != 200 {
		t.Fatal(r)
	}
	_, r = c.query(buyer.access, body, 0, 10, "")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || ra < 58 || ra > 60 {
		t.Fatalf("fourth in a minute: %s (Retry-After %q)", r, r.header.Get("Retry-After"))
	}
	if s.RateLimited() != 2 {
		t.Fatalf("%d refusals counted", s.RateLimited())
	}
	var limits map[string]RateLimit
	c.do("GET", "/rate-limits", buyer.access, nil).json(t, &limits)
	if limits["invoiceMetadata"].PerMinute != 3 || limits["invoiceExport"].PerHour != 20 {
		t.Fatalf("GET /rate-limits: %v", limits)
	}
}
