package sim

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// drop-after: the invoice is received, the answer lost. The client finds
// it in the session's list by its hash — exactly one document is held.
func TestFaultDropAfterSend(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1,
		Faults: []Fault{{Route: "POST /sessions/online/{referenceNumber}/invoices", Call: 2, Kind: FaultDropAfter}}})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	sess.send(invoiceFA3(t, nip, "D/1", time.Now()))
	lost := invoiceFA3(t, nip, "D/2", time.Now())
	if r, err := c.try("POST", "/sessions/online/"+sess.ref+"/invoices", access, sess.sendBody(lost, nil)); err == nil {
		t.Fatalf("the answer arrived: %v", r)
	}
	var list sessionInvoicesResponse
	c.do("GET", "/sessions/"+sess.ref+"/invoices", access, nil).json(t, &list)
	if len(list.Invoices) != 2 || list.Invoices[1].InvoiceHash != hashB64(lost) || list.Invoices[1].Status.Code != 200 {
		t.Fatalf("after the lost answer: %+v", list)
	}
	// A client that re-sends anyway gets the duplicate, not a second document.
	if st := sess.invoice(sess.send(lost)); st.Status.Code != 440 {
		t.Fatalf("re-sent: %+v", st.Status)
	}
	if n := s.InvoiceCount(); n != 2 {
		t.Fatalf("the simulator holds %d documents, want 2", n)
	}
}

// invoice-550: the hit invoice ends with 550 and is not stored, so the
// retry KSeF asks for succeeds.
func TestFaultInvoice550(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	if err := s.AddFault(Fault{Route: "POST /sessions/online/{referenceNumber}/invoices", Kind: FaultInvoice550}); err != nil {
		t.Fatal(err)
	}
	doc := invoiceFA3(t, nip, "C/1", time.Now())
	st := sess.invoice(sess.send(doc))
	if st.Status.Code != 550 || st.Status.Description != "Operacja została anulowana przez system" || st.KSeFNumber != "" {
		t.Fatalf("hit: %+v", st.Status)
	}
	if s.InvoiceCount() != 0 {
		t.Fatal("a cancelled invoice was stored")
	}
	if st := sess.invoice(sess.send(doc)); st.Status.Code != 200 {
		t.Fatalf("retry: %+v", st.Status)
	}
}

// upo-hash: the API and the pre-signed download can each be hit.
func TestFaultUPOHash(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	ref := sess.send(invoiceFA3(t, nip, "H/1", time.Now()))
	st := sess.invoice(ref)
	for _, spec := range []string{"GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo=upo-hash", "GET /storage=upo-hash"} {
		f, err := ParseFault(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []reply{c.do("GET", "/sessions/"+sess.ref+"/invoices/"+ref+"/upo", access, nil), c.get(st.UPODownloadURL)} {
		if r.status != 200 || r.header.Get("x-ms-meta-hash") == hashB64(r.body) || len(r.header.Get("x-ms-meta-hash")) != 44 {
			t.Fatalf("upo-hash: %v %q", r.status, r.header.Get("x-ms-meta-hash"))
		}
	}
	// One call each: the next downloads are right again.
	checkUPO(t, s, c.do("GET", "/sessions/"+sess.ref+"/invoices/"+ref+"/upo", access, nil))
	checkUPO(t, s, c.get(st.UPODownloadURL))
	// Existing kinds work on the new routes, including the storage one.
	s.AddFault(Fault{Route: storageRoute, Kind: FaultInternalError})
	if r := c.get(st.UPODownloadURL); r.status != 500 {
		t.Fatalf("500 on storage: %v", r)
	}
	s.AddFault(Fault{Route: "GET /sessions/{referenceNumber}", Kind: FaultTooManyRequests, RetryAfter: 3})
	if r := c.do("GET", "/sessions/"+sess.ref, access, nil); r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Fatalf("429 on session status: %v", r)
	}
}

// Pre-signed URLs expire, are tied to their signature, and take no bearer.
func TestPresignedURLs(t *testing.T) {
	clock := newFakeClock()
	var logs syncBuffer
	s, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay, ProcessingDelay: -1, DownloadURLTTL: 10 * time.Minute,
		Logger: newTestLogger(&logs)})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	st := sess.invoice(sess.send(invoiceFA3(t, nip, "U/1", clock.Now())))
	if exp := clock.Now().Add(10 * time.Minute).UTC().Truncate(time.Second); st.UPODownloadURLExpirationDate != ksefTime(exp) {
		t.Fatalf("expiry %s, want %s", st.UPODownloadURLExpirationDate, ksefTime(exp))
	}
	checkUPO(t, s, c.get(st.UPODownloadURL))

	u, _ := url.Parse(st.UPODownloadURL)
	q := u.Query()
	q.Set("se", "2099-01-01T00:00:00Z") // a longer life without a new signature
	u.RawQuery = q.Encode()
	if r := c.get(u.String()); r.status != 403 || !strings.Contains(string(r.body), "AuthenticationFailed") {
		t.Fatalf("tampered expiry: %v", r)
	}
	clock.Advance(10 * time.Minute)
	if r := c.get(st.UPODownloadURL); r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("expired: %v", r)
	}
	// Every status call signs a fresh URL.
	fresh := sess.invoice(st.ReferenceNumber)
	checkUPO(t, s, c.get(fresh.UPODownloadURL))

	// A bearer token sent to storage is a client bug: answered, recorded.
	if r := c.get(fresh.UPODownloadURL, "Authorization", "Bearer "+access); r.status != 200 {
		t.Fatalf("with Authorization: %v", r)
	}
	v := s.SpecViolations()
	if len(v) != 1 || !strings.Contains(v[0], "client bug") || strings.Contains(v[0], access) || strings.Contains(logs.String(), access) {
		t.Fatalf("violations %q", v)
	}
	s.ResetSpecViolations()
}

// The collective UPO is paged by UPOPageSize documents, ranges inclusive
// as in MF's samples; failed invoices are not in it.
func TestSessionUPOPaging(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1, UPOPageSize: 2})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	for _, n := range []string{"1", "2", "3", "4", "5"} {
		sess.send(invoiceFA3(t, nip, "PG/"+n, time.Now()))
	}
	sess.send(invoiceFA3(t, nip, "PG/1", time.Now())) // a duplicate: not in the UPO
	sess.close()
	st := sess.status()
	if st.UPO == nil || len(st.UPO.Pages) != 3 {
		t.Fatalf("pages: %+v", st.UPO)
	}
	for i, want := range []string{
		"<Strona>1</Strona>\n\t\t<LiczbaStron>3</LiczbaStron>\n\t\t<ZakresDokumentowOd>1</ZakresDokumentowOd>\n\t\t<ZakresDokumentowDo>2</ZakresDokumentowDo>\n\t\t<CalkowitaLiczbaDokumentow>5</CalkowitaLiczbaDokumentow>",
		"<Strona>2</Strona>\n\t\t<LiczbaStron>3</LiczbaStron>\n\t\t<ZakresDokumentowOd>3</ZakresDokumentowOd>\n\t\t<ZakresDokumentowDo>4</ZakresDokumentowDo>",
		"<Strona>3</Strona>\n\t\t<LiczbaStron>3</LiczbaStron>\n\t\t<ZakresDokumentowOd>5</ZakresDokumentowOd>\n\t\t<ZakresDokumentowDo>5</ZakresDokumentowDo>",
	} {
		p := st.UPO.Pages[i]
		body := checkUPO(t, s, c.do("GET", "/sessions/"+sess.ref+"/upo/"+p.ReferenceNumber, access, nil))
		if !strings.Contains(body, want) || strings.Count(body, "<Dokument>") != min(2, 5-2*i) {
			t.Errorf("page %d:\n%s", i+1, body)
		}
	}
	// Stable references: the next status call names the same pages.
	if again := sess.status(); again.UPO.Pages[2].ReferenceNumber != st.UPO.Pages[2].ReferenceNumber {
		t.Fatal("UPO page references changed between status calls")
	}
	wantException(t, c.do("GET", "/sessions/"+sess.ref+"/upo/"+sess.ref, access, nil), codeUPONotFound)
}

// Sessions close at validUntil by the simulator's clock: with invoices they
// are processed, without they are cancelled (440).
func TestOnlineAutoCloseAtValidUntil(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay, ProcessingDelay: time.Second,
		AccessTokenTTL: 24 * time.Hour})
	nip, access := accessFor(t, s, c)
	used := c.open(access, openOpts{})
	used.send(invoiceFA3(t, nip, "V/1", clock.Now()))
	empty := c.open(access, openOpts{})
	clock.Advance(12*time.Hour - time.Second)
	if st := used.status(); st.Status.Code != 100 {
		t.Fatalf("before validUntil: %+v", st.Status)
	}
	clock.Advance(time.Second)
	if st := used.status(); st.Status.Code != 200 || st.UPO == nil {
		t.Fatalf("at validUntil: %+v", st)
	}
	if st := empty.status(); st.Status.Code != 440 || st.Status.Details[0] != "Nie przesłano faktur" {
		t.Fatalf("empty at validUntil: %+v", st.Status)
	}
	wantException(t, used.trySend(invoiceFA3(t, nip, "V/2", clock.Now()), nil), codeSessionStatus)

	// A session closed by hand while an invoice is processed shows 170.
	late := c.open(access, openOpts{})
	late.send(invoiceFA3(t, nip, "V/3", clock.Now()))
	late.close()
	if st := late.status(); st.Status.Code != 170 || *st.SuccessfulInvoiceCount != 0 {
		t.Fatalf("closed, processing: %+v", st)
	}
	clock.Advance(time.Second)
	if st := late.status(); st.Status.Code != 200 {
		t.Fatalf("processed: %+v", st.Status)
	}
}

func TestSessionList(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	var refs []string
	for range 12 {
		refs = append(refs, c.open(access, openOpts{}).ref)
		clock.Advance(time.Minute)
	}
	done := &onlineSess{c: c, access: access, ref: refs[3]}
	done.close() // an empty session: Cancelled
	sent := c.open(access, openOpts{})
	sent.send(invoiceFA3(t, nip, "S/1", clock.Now()))
	sent.close() // Succeeded
	refs = append(refs, sent.ref)

	list := func(query string, hdr ...string) sessionsQueryResponse {
		t.Helper()
		r := c.do("GET", "/sessions?sessionType=Online"+query, access, nil, hdr...)
		if r.status != 200 {
			t.Fatalf("GET /sessions%s: %v", query, r)
		}
		var out sessionsQueryResponse
		r.json(t, &out)
		return out
	}
	first := list("")
	if len(first.Sessions) != 10 || first.ContinuationToken == nil || first.Sessions[0].ReferenceNumber != refs[0] {
		t.Fatalf("first page: %+v", first)
	}
	second := list("", "x-continuation-token", *first.ContinuationToken)
	if len(second.Sessions) != 3 || second.ContinuationToken != nil || second.Sessions[2].ReferenceNumber != sent.ref ||
		second.Sessions[2].TotalInvoiceCount != 1 || second.Sessions[2].SuccessfulInvoiceCount != 1 {
		t.Fatalf("second page: %+v", second)
	}
	if got := list("&statuses=Cancelled"); len(got.Sessions) != 1 || got.Sessions[0].ReferenceNumber != refs[3] {
		t.Fatalf("Cancelled: %+v", got)
	}
	if got := list("&statuses=Succeeded&statuses=Cancelled"); len(got.Sessions) != 2 {
		t.Fatalf("Succeeded+Cancelled: %+v", got)
	}
	if got := list("&statuses=InProgress&pageSize=20"); len(got.Sessions) != 11 {
		t.Fatalf("InProgress: %d", len(got.Sessions))
	}
	if got := list("&referenceNumber=" + refs[5]); len(got.Sessions) != 1 {
		t.Fatalf("by reference: %+v", got)
	}
	// Created in a window given in Warsaw local time (no offset).
	from := clock.Now().Add(-3 * time.Minute).In(warsaw).Format("2006-01-02T15:04:05")
	if got := list("&dateCreatedFrom=" + from); len(got.Sessions) != 4 { // minutes 9, 10, 11 and 12
		t.Fatalf("dateCreatedFrom=%s: %d sessions", from, len(got.Sessions))
	}
	if got := list("&dateClosedFrom=2020-01-01T00:00:00Z"); len(got.Sessions) != 2 {
		t.Fatalf("closed: %d", len(got.Sessions))
	}
	if got := c.do("GET", "/sessions?sessionType=Batch", access, nil); !strings.Contains(string(got.body), `"sessions":[]`) {
		t.Fatalf("batch: %v", got)
	}
	wantException(t, c.do("GET", "/sessions?sessionType=Online", access, nil, "x-continuation-token", "xx"), codeBadContinuation)
	// Another context sees none of them.
	_, other := accessFor(t, s, c)
	var none sessionsQueryResponse
	c.do("GET", "/sessions?sessionType=Online", other, nil).json(t, &none)
	if len(none.Sessions) != 0 {
		t.Fatalf("another context sees %d sessions", len(none.Sessions))
	}
}

// With TLS the pre-signed URLs are https, served with a certificate of the
// simulator's own CA.
func TestPresignedURLsOverTLS(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1, TLS: true})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	st := sess.invoice(sess.send(invoiceFA3(t, nip, "T/1", time.Now())))
	if !strings.HasPrefix(st.UPODownloadURL, s.TLSURL()+"/storage/") || !strings.HasPrefix(s.TLSURL(), "https://127.0.0.1:") {
		t.Fatalf("download URL %s (TLS %s)", st.UPODownloadURL, s.TLSURL())
	}
	if _, err := c.hc.Get(st.UPODownloadURL); err == nil {
		t.Fatal("the simulator's CA is trusted without being added")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertificatePEM()) {
		t.Fatal("CACertificatePEM is not PEM")
	}
	tc := &client{t: t, base: c.base, hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	checkUPO(t, s, tc.get(st.UPODownloadURL))
	if r := c.do("GET", "/_sim/ca", "", nil); string(r.body) != string(s.CACertificatePEM()) {
		t.Fatalf("/_sim/ca: %v", r)
	}
}
