package sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/invoice"
	"github.com/ksefkit/ksefkit/core/upo"
	"github.com/ksefkit/ksefkit/sim/samples"
)

// A minimal online-session client written with the standard library only:
// the tests of the simulator must not depend on the client they serve.

var fa3 = invoice.FA3

// sample fills the official sample invoice name (sim/samples) — every
// test invoice comes from there, so the simulator is tested on the
// documents KSeF's own clients send.
func sample(t testing.TB, name string, f samples.Fill) []byte {
	t.Helper()
	doc, err := samples.Invoice(name, f)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// invoiceFA3 is the "fa3" sample of seller nip, numbered number, issued on
// day (in Poland).
func invoiceFA3(t testing.TB, nip, number string, day time.Time) []byte {
	return sample(t, "fa3", samples.Fill{SellerNIP: nip, Number: number, IssueDate: invoice.DateInPoland(day)})
}

// pefInvoice is a UBL 2.1 invoice (PEF (3)) or credit note (PEF_KOR (3))
// laid out as core/invoice reads PEF documents: the seller's NIP in
// AccountingSupplierParty/Party/PartyLegalEntity/CompanyID with the PL
// prefix (and as a 9945 EndpointID), the number in cbc:ID, the issue date
// in cbc:IssueDate, the buyer's EU VAT number in PartyTaxScheme.
func pefInvoice(nip, number, issueDate string, creditNote bool) []byte {
	root, ns, typ := "Invoice", invoice.NamespaceUBLInvoice, "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
	if creditNote {
		root, ns, typ = "CreditNote", invoice.NamespaceUBLCredit, "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<` + root + ` xmlns="` + ns + `" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
	<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
	<cbc:ID>` + number + `</cbc:ID>
	<cbc:IssueDate>` + issueDate + `</cbc:IssueDate>
	` + typ + `
	<cbc:DocumentCurrencyCode>PLN</cbc:DocumentCurrencyCode>
	<cac:AccountingSupplierParty><cac:Party>
		<cbc:EndpointID schemeID="9945">` + nip + `</cbc:EndpointID>
		<cac:PartyLegalEntity><cbc:RegistrationName>Sprzedawca Sp. z o.o.</cbc:RegistrationName><cbc:CompanyID>PL` + nip + `</cbc:CompanyID></cac:PartyLegalEntity>
	</cac:Party></cac:AccountingSupplierParty>
	<cac:AccountingCustomerParty><cac:Party>
		<cac:PartyTaxScheme><cbc:CompanyID>SE4598375937</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
		<cac:PartyLegalEntity><cbc:RegistrationName>Nabywca AB</cbc:RegistrationName></cac:PartyLegalEntity>
	</cac:Party></cac:AccountingCustomerParty>
	<cac:TaxTotal><cbc:TaxAmount currencyID="PLN">230.00</cbc:TaxAmount></cac:TaxTotal>
	<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="PLN">1000.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="PLN">1230.00</cbc:TaxInclusiveAmount></cac:LegalMonetaryTotal>
</` + root + `>`)
}

// publicKey fetches the key of one usage.
func (c *client) publicKey(usage string) keyInfo {
	c.t.Helper()
	r := c.do("GET", "/security/public-key-certificates", "", nil)
	var list []publicKeyCertificate
	r.json(c.t, &list)
	for _, pc := range list {
		if pc.Usage[0] == usage {
			der, _ := base64.StdEncoding.DecodeString(pc.Certificate)
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				c.t.Fatal(err)
			}
			return keyInfo{pc.PublicKeyID, cert.PublicKey.(*rsa.PublicKey)}
		}
	}
	c.t.Fatalf("no %s key", usage)
	return keyInfo{}
}

// accessFor authenticates as the owner of a fresh NIP and returns it with
// an access token.
func accessFor(t *testing.T, s *Server, c *client) (nip, access string) {
	t.Helper()
	nip, tok := issue(t, s)
	_, toks := c.fullLogin(tok.Token, nipContext(nip))
	return nip, toks.AccessToken.Token
}

// onlineSess is the client side of one online session.
type onlineSess struct {
	c       *client
	access  string
	ref     string
	key, iv []byte
}

type openOpts struct {
	form      invoice.FormCode
	keyID     *string // nil: the current key's id
	wrapped   []byte  // instead of the real wrapped key
	ivLen     int
	wantError int // expected exception code instead of 201
}

func (c *client) open(access string, o openOpts) *onlineSess {
	c.t.Helper()
	if o.form.IsZero() {
		o.form = fa3
	}
	sess := &onlineSess{c: c, access: access, key: randBytes(32), iv: randBytes(16)}
	if o.ivLen > 0 {
		sess.iv = randBytes(o.ivLen)
	}
	k := c.publicKey(usageSymmetric)
	wrapped := o.wrapped
	if wrapped == nil {
		var err error
		if wrapped, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, k.pub, sess.key, nil); err != nil {
			c.t.Fatal(err)
		}
	}
	id := k.id
	if o.keyID != nil {
		id = *o.keyID
	}
	r := c.do("POST", "/sessions/online", access, map[string]any{
		"formCode": o.form,
		"encryption": map[string]any{
			"encryptedSymmetricKey": base64.StdEncoding.EncodeToString(wrapped),
			"initializationVector":  base64.StdEncoding.EncodeToString(sess.iv),
			"publicKeyId":           id,
		},
	})
	if o.wantError != 0 {
		wantException(c.t, r, o.wantError)
		return nil
	}
	if r.status != http.StatusCreated {
		c.t.Fatalf("open: %v", r)
	}
	var out openOnlineResponse
	r.json(c.t, &out)
	sess.ref = out.ReferenceNumber
	return sess
}

// sendBody is the JSON of a send; edit changes it before it goes.
func (o *onlineSess) sendBody(doc []byte, edit func(map[string]any)) map[string]any {
	ct := encryptCBC(o.key, o.iv, doc)
	body := map[string]any{
		"invoiceHash": hashB64(doc), "invoiceSize": len(doc),
		"encryptedInvoiceHash": hashB64(ct), "encryptedInvoiceSize": len(ct),
		"encryptedInvoiceContent": base64.StdEncoding.EncodeToString(ct),
	}
	if edit != nil {
		edit(body)
	}
	return body
}

func (o *onlineSess) trySend(doc []byte, edit func(map[string]any)) reply {
	o.c.t.Helper()
	return o.c.do("POST", "/sessions/online/"+o.ref+"/invoices", o.access, o.sendBody(doc, edit))
}

// send sends an invoice that must be accepted (202) and returns its reference.
func (o *onlineSess) send(doc []byte) string {
	o.c.t.Helper()
	r := o.trySend(doc, nil)
	if r.status != http.StatusAccepted {
		o.c.t.Fatalf("send: %v", r)
	}
	var out sendInvoiceResponse
	r.json(o.c.t, &out)
	return out.ReferenceNumber
}

func (o *onlineSess) close() {
	o.c.t.Helper()
	if r := o.c.do("POST", "/sessions/online/"+o.ref+"/close", o.access, nil); r.status != http.StatusNoContent {
		o.c.t.Fatalf("close: %v", r)
	}
}

func (o *onlineSess) status() sessionStatusResponse {
	o.c.t.Helper()
	r := o.c.do("GET", "/sessions/"+o.ref, o.access, nil)
	if r.status != 200 {
		o.c.t.Fatalf("session status: %v", r)
	}
	var st sessionStatusResponse
	r.json(o.c.t, &st)
	return st
}

func (o *onlineSess) invoice(ref string) sessionInvoiceStatus {
	o.c.t.Helper()
	r := o.c.do("GET", "/sessions/"+o.ref+"/invoices/"+ref, o.access, nil)
	if r.status != 200 {
		o.c.t.Fatalf("invoice status: %v", r)
	}
	var st sessionInvoiceStatus
	r.json(o.c.t, &st)
	return st
}

// get downloads a URL with the simulator's HTTP client, without a bearer.
func (c *client) get(u string, hdr ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// checkUPO verifies a downloaded UPO the way a client must: x-ms-meta-hash,
// the XAdES signature by the simulator's UPO certificate, and the UPO
// schema once the signature is removed (xmllint, independently of the
// simulator's own libxml2 binding).
func checkUPO(t *testing.T, s *Server, r reply) string {
	t.Helper()
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("UPO download: %v", r)
	}
	if got := r.header.Get("x-ms-meta-hash"); got != hashB64(r.body) {
		t.Fatalf("x-ms-meta-hash %q does not match the body (%s)", got, hashB64(r.body))
	}
	// Signed by the simulator's "MF" seal: core/upo's verifier, pinned to it.
	roots := x509.NewCertPool()
	roots.AddCert(s.UPOCertificate())
	v, err := upo.Verify(r.body, upo.VerifyOptions{Now: s.now(), Roots: roots})
	if err != nil || !v.Chained || !v.Certificate.Equal(s.UPOCertificate()) || len(v.Warnings) != 0 {
		t.Fatalf("UPO signature: %v %+v", err, v)
	}
	unsigned := regexp.MustCompile(`(?s)<ds:Signature .*</ds:Signature>`).ReplaceAll(r.body, nil)
	f := filepath.Join(t.TempDir(), "upo.xml")
	if err := os.WriteFile(f, unsigned, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", "xsd/upo/upo-v4-3.xsd", f).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, unsigned)
	}
	return string(unsigned)
}

func mustKSeFNumber(t *testing.T, n, nip string) {
	t.Helper()
	if err := ids.ValidateKSeFNumber(n); err != nil || !strings.HasPrefix(n, nip+"-") {
		t.Fatalf("KSeF number %q: %v", n, err)
	}
}
