package sim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// The whole way of one invoice, on the simulator's clock: 100 → 150 → 200,
// a KSeF number in the official format, a UPO that verifies and validates,
// the session's UPO, and the stored document.
func TestOnlineHappyPath(t *testing.T) {
	clock := newFakeClock()
	s, c := startSim(t, Options{Clock: clock.Now, AuthDelay: NoAuthDelay, ProcessingDelay: 10 * time.Second,
		PermanentStorageDelay: time.Minute})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	if st := sess.status(); st.Status.Code != 100 || st.ValidUntil != ksefTime(clock.Now().Add(12*time.Hour)) || st.InvoiceCount != nil {
		t.Fatalf("new session: %+v", st)
	}
	doc := invoiceFA3(t, nip, "FV/2026/03/1", clock.Now())
	ref := sess.send(doc)

	if st := sess.invoice(ref); st.Status.Code != 100 || st.KSeFNumber != "" || st.OrdinalNumber != 1 || st.InvoiceHash != hashB64(doc) {
		t.Fatalf("just sent: %+v", st)
	}
	clock.Advance(6 * time.Second)
	if st := sess.invoice(ref); st.Status.Code != 150 {
		t.Fatalf("half-way: %+v", st.Status)
	}
	if n := s.Invoices(); len(n) != 1 || n[0].Status != 150 {
		t.Fatalf("stored while processing: %+v", n)
	}
	clock.Advance(5 * time.Second)
	st := sess.invoice(ref)
	if st.Status.Code != 200 || st.Status.Description != "Sukces" || !strings.Contains(st.InvoiceNumber, "FV/2026/03/1") || st.InvoicingMode != "Online" ||
		st.AcquisitionDate == "" || st.PermanentStorageDate != "" || st.UPODownloadURL == "" {
		t.Fatalf("processed: %+v", st)
	}
	mustKSeFNumber(t, st.KSeFNumber, nip)
	if !strings.Contains(st.KSeFNumber, "-20260310-") {
		t.Fatalf("KSeF number %s does not carry the acceptance day", st.KSeFNumber)
	}

	// The invoice's UPO, through the API and through the pre-signed URL.
	apiUPO := c.do("GET", "/sessions/"+sess.ref+"/invoices/"+ref+"/upo", access, nil)
	body := checkUPO(t, s, apiUPO)
	for _, want := range []string{"<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów<", "<Nip>" + nip + "<",
		"<NumerKSeFDokumentu>" + st.KSeFNumber + "<", "<SkrotDokumentu>" + hashB64(doc) + "<", "<TrybWysylki>Online<",
		"<NumerReferencyjnyTokenaKSeF>", "<KodFormularza>FA (3)<", "<NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd<"} {
		if !strings.Contains(body, want) {
			t.Errorf("UPO lacks %s:\n%s", want, body)
		}
	}
	byNumber := c.do("GET", "/sessions/"+sess.ref+"/invoices/ksef/"+st.KSeFNumber+"/upo", access, nil)
	presigned := c.get(st.UPODownloadURL)
	checkUPO(t, s, presigned)
	if !bytes.Equal(byNumber.body, apiUPO.body) || !bytes.Equal(presigned.body, apiUPO.body) {
		t.Fatal("the three ways to the invoice's UPO give different documents")
	}

	// Close: 170 while nothing is left to process, then 200 with the UPO.
	sess.close()
	ss := sess.status()
	if ss.Status.Code != 200 || *ss.InvoiceCount != 1 || *ss.SuccessfulInvoiceCount != 1 || *ss.FailedInvoiceCount != 0 ||
		ss.UPO == nil || len(ss.UPO.Pages) != 1 {
		t.Fatalf("closed: %+v", ss)
	}
	page := ss.UPO.Pages[0]
	sessionUPO := checkUPO(t, s, c.get(page.DownloadURL))
	if !strings.Contains(sessionUPO, "<CalkowitaLiczbaDokumentow>1<") {
		t.Fatalf("session UPO:\n%s", sessionUPO)
	}
	checkUPO(t, s, c.do("GET", "/sessions/"+sess.ref+"/upo/"+page.ReferenceNumber, access, nil))

	clock.Advance(time.Minute)
	if st := sess.invoice(ref); st.PermanentStorageDate == "" {
		t.Fatalf("permanentStorageDate still empty: %+v", st)
	}
	stored := s.Invoices()
	if len(stored) != 1 || s.InvoiceCount() != 1 || stored[0].KSeFNumber != st.KSeFNumber || !bytes.Equal(stored[0].XML, doc) ||
		stored[0].SellerNIP != nip || stored[0].Seller.NIP != nip || stored[0].InvoiceType != "Vat" || stored[0].SessionReferenceNumber != sess.ref || stored[0].Status != 200 {
		t.Fatalf("stored: %+v", stored)
	}
	var listed struct {
		Count    int             `json:"count"`
		Invoices []InvoiceRecord `json:"invoices"`
	}
	c.do("GET", "/_sim/invoices", "", nil).json(t, &listed)
	if listed.Count != 1 || listed.Invoices[0].KSeFNumber != st.KSeFNumber || listed.Invoices[0].InvoiceHash != hashB64(doc) {
		t.Fatalf("/_sim/invoices: %+v", listed)
	}
	if pem := c.do("GET", "/_sim/upo-certificate", "", nil); !bytes.Equal(pem.body, s.UPOCertificatePEM()) {
		t.Fatalf("/_sim/upo-certificate: %v", pem)
	}
}

// An XSD-invalid invoice fails with 430 and libxml2's details; the other
// invoices of the session are not affected.
func TestOnlineInvalidInvoiceAmongValid(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	now := time.Now()
	good1 := sess.send(invoiceFA3(t, nip, "A/1", now))
	bad := bytes.Replace(invoiceFA3(t, nip, "A/2", now), []byte("<P_2>"), []byte("<Nieznany>x</Nieznany><P_2>"), 1)
	badRef := sess.send(bad)
	future := sess.send(invoiceFA3(t, nip, "A/3", now.AddDate(0, 0, 2)))
	good2 := sess.send(invoiceFA3(t, nip, "A/4", now))

	for _, ref := range []string{good1, good2} {
		if st := sess.invoice(ref); st.Status.Code != 200 {
			t.Errorf("valid invoice: %+v", st.Status)
		}
	}
	st := sess.invoice(badRef)
	if st.Status.Code != 430 || st.Status.Description != "Błąd weryfikacji pliku faktury" || len(st.Status.Details) == 0 ||
		!strings.Contains(strings.Join(st.Status.Details, " "), "Nieznany") || st.KSeFNumber != "" || st.UPODownloadURL != "" {
		t.Fatalf("XSD-invalid invoice: %+v", st)
	}
	if st := sess.invoice(future); st.Status.Code != 450 || !strings.HasPrefix(st.Status.Details[0], "invoice.P_1: ") {
		t.Fatalf("issued in the future: %+v", st.Status)
	}
	if r := c.do("GET", "/sessions/"+sess.ref+"/invoices/"+badRef+"/upo", access, nil); r.status != 400 {
		t.Fatalf("UPO of a failed invoice: %v", r)
	} else {
		wantException(t, r, codeUPONotFound)
	}
	var failed sessionInvoicesResponse
	c.do("GET", "/sessions/"+sess.ref+"/invoices/failed", access, nil).json(t, &failed)
	if len(failed.Invoices) != 2 || failed.Invoices[0].ReferenceNumber != badRef || failed.Invoices[1].ReferenceNumber != future {
		t.Fatalf("failed list: %+v", failed)
	}
	sess.close()
	if ss := sess.status(); ss.Status.Code != 200 || *ss.SuccessfulInvoiceCount != 2 || *ss.FailedInvoiceCount != 2 {
		t.Fatalf("session: %+v", ss)
	}
	if s.InvoiceCount() != 2 {
		t.Fatalf("stored %d invoices, want 2", s.InvoiceCount())
	}
}

// The same invoice twice — in the same session or a later one — is a 440
// duplicate naming the original.
func TestOnlineDuplicate(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	first := c.open(access, openOpts{})
	doc := invoiceFA3(t, nip, "DUP/1", time.Now())
	orig := first.invoice(first.send(doc))
	again := first.invoice(first.send(doc))
	second := c.open(access, openOpts{})
	// Other bytes, same business key (seller, type, number): still a duplicate.
	other := second.invoice(second.send(bytes.Replace(doc, []byte("<P_13_1>"), []byte("<P_13_1>1"), 1)))
	for _, st := range []sessionInvoiceStatus{again, other} {
		if st.Status.Code != 440 || st.Status.Extensions["originalKsefNumber"] != orig.KSeFNumber ||
			st.Status.Extensions["originalSessionReferenceNumber"] != first.ref || st.KSeFNumber != "" {
			t.Fatalf("duplicate: %+v (original %s)", st.Status, orig.KSeFNumber)
		}
	}
	if s.InvoiceCount() != 1 {
		t.Fatalf("stored %d, want 1", s.InvoiceCount())
	}
	// The invoice type is part of the key: a PEF invoice and a PEF credit
	// note may share a number (and the FA invoice's), another PEF invoice
	// may not.
	today := invoice.DateInPoland(time.Now())
	pef, kor := c.open(access, openOpts{form: invoice.PEF3}), c.open(access, openOpts{form: invoice.PEFKOR3})
	number := orig.InvoiceNumber
	if st := pef.invoice(pef.send(pefInvoice(nip, number, today, false))); st.Status.Code != 200 {
		t.Fatalf("PEF invoice numbered like an FA one: %+v", st.Status)
	}
	if st := kor.invoice(kor.send(pefInvoice(nip, number, today, true))); st.Status.Code != 200 {
		t.Fatalf("PEF credit note numbered like a PEF invoice: %+v", st.Status)
	}
	if st := pef.invoice(pef.send(bytes.Replace(pefInvoice(nip, number, today, false), []byte("Sprzedawca Sp."), []byte("Inna nazwa Sp."), 1))); st.Status.Code != 440 {
		t.Fatalf("the second PEF invoice with that number: %+v", st.Status)
	}
	second.close()
	if st := second.status(); st.Status.Code != 445 {
		t.Fatalf("a session of duplicates only: %+v", st.Status)
	}
}

// Synchronous refusals of open, send and close.
func TestOnlineRefusals(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1, SessionInvoiceLimit: 2})
	nip, access := accessFor(t, s, c)
	doc := invoiceFA3(t, nip, "R/1", time.Now())

	unknown := "bm90IGEga2V5IGlkIG9mIHRoaXMgc2ltdWxhdG9yISE="
	c.open(access, openOpts{keyID: &unknown, wantError: codeUnknownPublicKey})
	c.open(access, openOpts{ivLen: 24, wantError: codeValidation})
	c.open(access, openOpts{form: invoice.FormCode{SystemCode: "FA (9)", SchemaVersion: "1-0E", Value: "FA"}, wantError: codeValidation})

	sess := c.open(access, openOpts{})
	for name, tc := range map[string]struct {
		edit func(map[string]any)
		code int
	}{
		"encrypted size": {func(b map[string]any) { b["encryptedInvoiceSize"] = b["encryptedInvoiceSize"].(int) + 16 }, codeSizeMismatch},
		"encrypted hash": {func(b map[string]any) { b["encryptedInvoiceHash"] = hashB64([]byte("x")) }, codeHashMismatch},
		"plain size":     {func(b map[string]any) { b["invoiceSize"] = b["invoiceSize"].(int) - 1 }, codeSizeMismatch},
		"plain hash":     {func(b map[string]any) { b["invoiceHash"] = hashB64([]byte("x")) }, codeHashMismatch},
	} {
		t.Run(name, func(t *testing.T) { wantException(t, sess.trySend(doc, tc.edit), tc.code) })
	}
	wantException(t, c.do("POST", "/sessions/online/"+strings.Replace(sess.ref, "-SO-", "-SB-", 1)+"/invoices", access, sess.sendBody(doc, nil)), codeSessionNotFound)
	// Another context does not see the session.
	_, otherAccess := accessFor(t, s, c)
	wantException(t, c.do("POST", "/sessions/online/"+sess.ref+"/invoices", otherAccess, sess.sendBody(doc, nil)), codeSessionNotFound)
	wantException(t, c.do("GET", "/sessions/"+sess.ref, otherAccess, nil), codeSessionNotFound)

	sess.send(doc)
	sess.send(invoiceFA3(t, nip, "R/2", time.Now()))
	wantException(t, sess.trySend(invoiceFA3(t, nip, "R/3", time.Now()), nil), codeTooManyInvoices)
	sess.close()
	wantException(t, sess.trySend(invoiceFA3(t, nip, "R/4", time.Now()), nil), codeSessionStatus)
	wantException(t, c.do("POST", "/sessions/online/"+sess.ref+"/close", access, nil), codeSessionStatus)

	// Without InvoiceWrite: 403 missing-permissions.
	readNIP := ids.RandomNIP()
	tok, err := s.IssueToken(TokenRequest{Context: nipContext(readNIP), Permissions: []string{"InvoiceRead"}})
	if err != nil {
		t.Fatal(err)
	}
	_, toks := c.fullLogin(tok.Token, nipContext(readNIP))
	r := c.do("POST", "/sessions/online", toks.AccessToken.Token, map[string]any{"formCode": fa3,
		"encryption": map[string]any{"encryptedSymmetricKey": "AAAA", "initializationVector": "AAAAAAAAAAAAAAAAAAAAAA=="}})
	if r.status != 403 || !strings.Contains(string(r.body), `"reasonCode":"missing-permissions"`) || !strings.Contains(string(r.body), "InvoiceWrite") {
		t.Fatalf("without InvoiceWrite: %v", r)
	}
}

// A session key that cannot be unwrapped makes a 415 session; a key the
// simulator can unwrap but the client encrypts with differently makes 435.
func TestOnlineWrongKeys(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	doc := invoiceFA3(t, nip, "K/1", time.Now())

	bad := c.open(access, openOpts{wrapped: randBytes(256)})
	if st := bad.status(); st.Status.Code != 415 {
		t.Fatalf("unwrappable key: %+v", st.Status)
	}
	wantException(t, bad.trySend(doc, nil), codeSessionStatus)

	sess := c.open(access, openOpts{})
	sess.key = randBytes(32) // the client encrypts with another key
	ct := encryptCBC(sess.key, sess.iv, doc)
	r := c.do("POST", "/sessions/online/"+sess.ref+"/invoices", access, sess.sendBody(doc, func(b map[string]any) {
		b["encryptedInvoiceHash"], b["encryptedInvoiceSize"] = hashB64(ct), len(ct)
	}))
	var out sendInvoiceResponse
	r.json(t, &out)
	// Decryption with the session's real key ends in bad padding (or, one
	// time in 256, in garbage that fails the plaintext checks).
	if r.status == 202 {
		if st := sess.invoice(out.ReferenceNumber); st.Status.Code != 435 {
			t.Fatalf("wrong key: %+v", st.Status)
		}
	} else if codes := exceptionCodes(t, r); codes[0] != codeSizeMismatch && codes[0] != codeHashMismatch {
		t.Fatalf("wrong key: %v", r)
	}
}

// Other form codes: the FA (2) and FA_RR (1) samples validate against
// their schemas; PEF documents get core/invoice's checks (no UBL schemas
// are bundled). Each form's session refuses the documents of another.
func TestOnlineOtherForms(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	now := time.Now()
	today := invoice.DateInPoland(now)
	for _, tc := range []struct {
		name string
		form invoice.FormCode
		doc  []byte
		// what the stored metadata says
		seller, invoiceType string
	}{
		{"FA (2)", invoice.FA2, sample(t, "fa2", samples.Fill{SellerNIP: nip, Number: "F2/1"}), nip, "Vat"},
		{"FA_RR (1)", invoice.FARR1, sample(t, "fa-rr1", samples.Fill{SellerNIP: nip, Number: "RR/1"}), nip, "VatRr"},
		// Issued by the buyer (the context) for a farmer, who is the seller.
		{"FA_RR (1) by the buyer", invoice.FARR1, sample(t, "fa-rr1", samples.Fill{SellerNIP: ids.RandomNIP(), BuyerNIP: nip, Number: "RR/2"}), "", "VatRr"},
		{"PEF (3)", invoice.PEF3, pefInvoice(nip, "PEF/1", today, false), nip, "VatPef"},
		{"PEF_KOR (3)", invoice.PEFKOR3, pefInvoice(nip, "PEF/K/1", today, true), nip, "KorPef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess := c.open(access, openOpts{form: tc.form})
			st := sess.invoice(sess.send(tc.doc))
			if st.Status.Code != 200 {
				t.Fatalf("%+v", st.Status)
			}
			var rec *InvoiceRecord
			for _, r := range s.Invoices() {
				if r.KSeFNumber == st.KSeFNumber {
					rec = &r
				}
			}
			if rec == nil || rec.FormCode != tc.form || rec.InvoiceType != tc.invoiceType || tc.seller != "" && rec.Seller.NIP != tc.seller {
				t.Fatalf("stored: %+v", rec)
			}
			// A document of another form is refused by its namespace.
			other := invoiceFA3(t, nip, "X/"+tc.name, now)
			if tc.form == invoice.PEF3 {
				other = pefInvoice(nip, "X/"+tc.name, today, true)
			}
			if st := sess.invoice(sess.send(other)); st.Status.Code != 430 || !strings.HasPrefix(st.Status.Details[0], "invoice.formCode: ") {
				t.Fatalf("another form in a %s session: %+v", tc.name, st.Status)
			}
		})
	}
}

// The context needs the seller's permission (410), attachments need the
// seller's consent (415).
func TestOnlinePermissionAndAttachment(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	seller := ids.RandomNIP()
	now := time.Now()
	if st := sess.invoice(sess.send(invoiceFA3(t, seller, "P/1", now))); st.Status.Code != 410 {
		t.Fatalf("another seller's invoice: %+v", st.Status)
	}
	if err := s.Grant(nipContext(seller), Identity{IdentityNip, nip}, "InvoiceWrite"); err != nil {
		t.Fatal(err)
	}
	if st := sess.invoice(sess.send(invoiceFA3(t, seller, "P/2", now))); st.Status.Code != 200 || !strings.HasPrefix(st.KSeFNumber, seller+"-") {
		t.Fatalf("with the seller's grant: %+v", st)
	}

	withAttachment := sample(t, "fa3-attachment", samples.Fill{SellerNIP: nip, Number: "ZAL/1", IssueDate: invoice.DateInPoland(now)})
	if st := sess.invoice(sess.send(withAttachment)); st.Status.Code != 415 {
		t.Fatalf("attachment without consent: %+v", st.Status)
	}
	if r := c.do("POST", "/testdata/attachment", "", map[string]any{"nip": nip}); r.status != 200 {
		t.Fatalf("enable attachments: %v", r)
	}
	if st := sess.invoice(sess.send(withAttachment)); st.Status.Code != 200 {
		t.Fatalf("attachment with consent: %+v", st.Status)
	}
}

func TestOnlineInvoiceListPaging(t *testing.T) {
	s, c := startSim(t, Options{AuthDelay: NoAuthDelay, ProcessingDelay: -1})
	nip, access := accessFor(t, s, c)
	sess := c.open(access, openOpts{})
	gen, err := samples.NewGenerator(samples.Fill{SellerNIP: nip}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 12 {
		refs = append(refs, sess.send(gen.Invoice(i)))
	}
	var got []string
	token := ""
	for page := 0; ; page++ {
		var hdr []string
		if token != "" {
			hdr = []string{"x-continuation-token", token}
		}
		var out sessionInvoicesResponse
		c.do("GET", "/sessions/"+sess.ref+"/invoices?pageSize=10", access, nil, hdr...).json(t, &out)
		for _, inv := range out.Invoices {
			got = append(got, inv.ReferenceNumber)
		}
		if out.ContinuationToken == nil {
			break
		}
		token = *out.ContinuationToken
	}
	if strings.Join(got, ",") != strings.Join(refs, ",") {
		t.Fatalf("paged %v, sent %v", got, refs)
	}
	wantException(t, c.do("GET", "/sessions/"+sess.ref+"/invoices", access, nil, "x-continuation-token", "nonsense"), codeBadContinuation)
	if r := c.do("GET", "/sessions/"+sess.ref+"/invoices?pageSize=5", access, nil); r.status != http.StatusBadRequest {
		t.Fatalf("pageSize=5: %v", r)
	}
	s.ResetSpecViolations() // pageSize=5 is below the OpenAPI minimum, on purpose
}
