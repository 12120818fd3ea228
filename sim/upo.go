package sim

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/xades"
)

// UPO (Urzędowe Poświadczenie Odbioru), the official receipt: per invoice
// and per session (paged), in the v4-3 schema, signed with an enveloped
// XAdES signature by the simulator's own "MF" seal, like MF signs them.
// Every UPO is validated against upo-v4-3.xsd before it is signed; a
// failure is a bug of the simulator and is recorded as a violation.

const upoNamespace = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"

// mfNIP is the Ministry of Finance's NIP (organizationIdentifier
// VATPL-5260250274 of its certificates).
const mfNIP = "5260250274"

// mfSeal is the simulator's stand-in for MF's signing certificate: a
// self-signed seal that says plainly it belongs to the simulator.
type mfSeal struct {
	cert   *x509.Certificate
	pem    []byte
	signer *xades.Signer
}

func newMFSeal(now time.Time) (*mfSeal, error) {
	tc, err := certs.GenerateTest(certs.TestOptions{
		Kind: "seal", NIP: mfNIP, Organization: "Ministerstwo Finansów (ksef-sim)", CommonName: "ksef-sim UPO",
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.AddDate(5, 0, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("sim: UPO certificate: %w", err)
	}
	signer, err := xades.NewSigner(tc.Credential.Signer, tc.Credential.Certificate)
	if err != nil {
		return nil, fmt.Errorf("sim: UPO signer: %w", err)
	}
	return &mfSeal{cert: tc.Credential.Certificate, pem: tc.CertificatePEM, signer: signer}, nil
}

// UPOCertificate is the certificate every UPO of this simulator is signed
// with, so that clients can pin it when they verify UPOs.
func (s *Server) UPOCertificate() *x509.Certificate { return s.seal.cert }

// UPOCertificatePEM is UPOCertificate as PEM.
func (s *Server) UPOCertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.seal.cert.Raw})
}

// upoEntry is one Dokument of a UPO.
type upoEntry struct {
	seller, ksefNumber, number, issueDate string
	sent, numbered                        time.Time
	hash, mode                            string
}

func entryOf(inv *sessionInvoice) upoEntry {
	m := inv.stored
	return upoEntry{m.Seller.NIP, m.KSeFNumber, m.InvoiceNumber, m.IssueDate, m.InvoicingDate, m.AcquisitionDate, m.InvoiceHash, m.InvoicingMode}
}

// upoPaging is OpisPotwierdzenia of one page of a collective UPO.
type upoPaging struct{ page, pages, from, to, total int }

// upoTime is how UPOs write instants: Warsaw time with milliseconds.
func upoTime(t time.Time) string { return t.In(warsaw).Format("2006-01-02T15:04:05.000-07:00") }

var upoContextElement = map[ids.ContextType]string{
	ids.ContextNip: "Nip", ids.ContextInternalID: "IdWewnetrzny", ids.ContextNipVatUe: "IdZlozonyVatUE", ids.ContextPeppolID: "IdDostawcyUslugPeppol",
}

func writeElem(b *strings.Builder, indent, name, value string) {
	b.WriteString(indent + "<" + name + ">")
	xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">\n")
}

// buildUPO writes, validates and signs a UPO for entries of sess.
func (s *Server) buildUPO(sess *onlineSession, entries []upoEntry, paging *upoPaging, signedAt time.Time) ([]byte, error) {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Potwierdzenie xmlns=\"" + upoNamespace + "\">\n")
	writeElem(&b, "\t", "NazwaPodmiotuPrzyjmujacego", "Ministerstwo Finansów")
	writeElem(&b, "\t", "NumerReferencyjnySesji", sess.ref)
	b.WriteString("\t<Uwierzytelnienie>\n\t\t<IdKontekstu>\n")
	writeElem(&b, "\t\t\t", upoContextElement[sess.context.Type], sess.context.Value)
	b.WriteString("\t\t</IdKontekstu>\n")
	if ref := sess.opener.tokenRef; ref != "" {
		writeElem(&b, "\t\t", "NumerReferencyjnyTokenaKSeF", ref)
	} else {
		writeElem(&b, "\t\t", "SkrotDokumentuUwierzytelniajacego", base64.StdEncoding.EncodeToString(sess.opener.docHash[:]))
	}
	b.WriteString("\t</Uwierzytelnienie>\n")
	if paging != nil {
		b.WriteString("\t<OpisPotwierdzenia>\n")
		for _, f := range []struct {
			name string
			v    int
		}{{"Strona", paging.page}, {"LiczbaStron", paging.pages}, {"ZakresDokumentowOd", paging.from}, {"ZakresDokumentowDo", paging.to}, {"CalkowitaLiczbaDokumentow", paging.total}} {
			writeElem(&b, "\t\t", f.name, strconv.Itoa(f.v))
		}
		b.WriteString("\t</OpisPotwierdzenia>\n")
	}
	writeElem(&b, "\t", "NazwaStrukturyLogicznej", sess.form.upoName)
	writeElem(&b, "\t", "KodFormularza", sess.form.code.SystemCode)
	for _, e := range entries {
		b.WriteString("\t<Dokument>\n")
		writeElem(&b, "\t\t", "NipSprzedawcy", e.seller)
		writeElem(&b, "\t\t", "NumerKSeFDokumentu", e.ksefNumber)
		writeElem(&b, "\t\t", "NumerFaktury", e.number)
		writeElem(&b, "\t\t", "DataWystawieniaFaktury", e.issueDate)
		writeElem(&b, "\t\t", "DataPrzeslaniaDokumentu", upoTime(e.sent))
		writeElem(&b, "\t\t", "DataNadaniaNumeruKSeF", upoTime(e.numbered))
		writeElem(&b, "\t\t", "SkrotDokumentu", e.hash)
		writeElem(&b, "\t\t", "TrybWysylki", e.mode)
		b.WriteString("\t</Dokument>\n")
	}
	b.WriteString("</Potwierdzenie>")
	doc := []byte(b.String())
	findings, err := validateXSD(schemaUPO, doc)
	if err != nil {
		return nil, err
	}
	if findings != nil {
		s.recordViolation("upo", "GET", "UPO of session "+sess.ref, findings)
		return nil, fmt.Errorf("the simulator's UPO does not validate against upo-v4-3.xsd: %s", strings.Join(findings, "; "))
	}
	return s.seal.signer.Sign(doc, xades.Options{SigningTime: signedAt})
}

// invoiceUPO returns the invoice's UPO, made once (after its status became
// 200) and served byte for byte the same ever after.
func (s *Server) invoiceUPO(sess *onlineSession, inv *sessionInvoice) ([]byte, error) {
	var err error
	inv.upoOnce.Do(func() {
		inv.upo, err = s.buildUPO(sess, []upoEntry{entryOf(inv)}, nil, inv.done)
	})
	if err == nil && inv.upo == nil {
		err = fmt.Errorf("the UPO of %s could not be made", inv.ref)
	}
	return inv.upo, err
}

// upoPage is one page of a session's collective UPO.
type upoPage struct {
	ref string
	xml []byte
}

// sessionUPO makes the collective UPO of a processed session once: its
// successful invoices in ordinal order, Options.UPOPageSize per page.
// invoices is a snapshot taken under s.mu; they are all final by now.
func (s *Server) sessionUPO(sess *onlineSession, invoices []*sessionInvoice) ([]*upoPage, error) {
	var err error
	sess.upoOnce.Do(func() {
		var entries []upoEntry
		for _, inv := range invoices {
			if inv.final.Code == 200 {
				entries = append(entries, entryOf(inv))
			}
		}
		size := s.opts.UPOPageSize
		pages := (len(entries) + size - 1) / size
		finished := sess.finished()
		var out []*upoPage
		for p := 0; p < pages; p++ {
			from, to := p*size, min((p+1)*size, len(entries))
			var doc []byte
			// ZakresDokumentowDo is the last document of the page, as MF's
			// samples show it (the XSD's annotation says "exclusive").
			doc, err = s.buildUPO(sess, entries[from:to], &upoPaging{p + 1, pages, from + 1, to, len(entries)}, finished)
			if err != nil {
				return
			}
			out = append(out, &upoPage{ref: newRef(finished, infixUPOPage), xml: doc})
		}
		sess.upoPages = out
	})
	if err == nil && sess.upoPages == nil {
		err = fmt.Errorf("the UPO of session %s could not be made", sess.ref)
	}
	return sess.upoPages, err
}

// serveUPO answers a UPO download with x-ms-meta-hash (wrong on purpose
// under an upo-hash fault).
func (s *Server) serveUPO(w http.ResponseWriter, r *http.Request, doc []byte) {
	hash := hashB64(doc)
	if reqInfoOf(r.Context()).badUPOHash {
		hash = hashB64(append([]byte("upo-hash fault: "), doc...))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-meta-hash", hash)
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}

// succeededByKSeFNumber finds the invoice that got KSeF number n, once its
// success shows. Caller holds s.mu.
func (sess *onlineSession) succeededByKSeFNumber(n string, now time.Time) *sessionInvoice {
	for _, inv := range sess.invoices {
		if inv.succeeded(now) && inv.stored.KSeFNumber == n {
			return inv
		}
	}
	return nil
}

func upoNotFound(what string) apiError {
	return exc(codeUPONotFound, what)
}

// GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo and
// GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo
func (s *Server) handleInvoiceUPO(byKSeFNumber bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, sess, ok := s.lockSession(w, r)
		if !ok {
			return
		}
		now := s.now()
		var inv *sessionInvoice
		var what string
		if byKSeFNumber {
			n := r.PathValue("ksefNumber")
			what = "UPO o numerze KSeF " + n + " i numerze referencyjnym sesji " + sess.ref + " nie zostało znalezione."
			inv = sess.succeededByKSeFNumber(n, now)
		} else {
			n := r.PathValue("invoiceReferenceNumber")
			what = "UPO faktury o numerze referencyjnym " + n + " w sesji " + sess.ref + " nie zostało znalezione."
			if i := sess.byRef[n]; i != nil && i.succeeded(now) {
				inv = i
			}
		}
		s.mu.Unlock()
		if inv == nil {
			s.badRequest(w, r, upoNotFound(what))
			return
		}
		doc, err := s.invoiceUPO(sess, inv)
		if err != nil {
			s.unexpected(w, r, "ksef-sim: "+err.Error())
			return
		}
		s.serveUPO(w, r, doc)
	}
}

// GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}
func (s *Server) handleSessionUPO(w http.ResponseWriter, r *http.Request) {
	op, ok := s.access(w, r)
	if !ok {
		return
	}
	ref, upoRef := r.PathValue("referenceNumber"), r.PathValue("upoReferenceNumber")
	page, found, err := s.findUPOPage(ref, &op.context, upoRef)
	switch {
	case err != nil:
		s.unexpected(w, r, "ksef-sim: "+err.Error())
	case !found:
		s.badRequest(w, r, sessionNotFound(ref))
	case page == nil:
		s.badRequest(w, r, upoNotFound("UPO o numerze referencyjnym "+upoRef+" w sesji "+ref+" nie zostało znalezione."))
	default:
		s.serveUPO(w, r, page.xml)
	}
}

// findUPOPage looks up a page of a session's UPO; ctx nil means any
// context (pre-signed downloads carry no identity). found is false for an
// unknown session.
func (s *Server) findUPOPage(ref string, ctx *ids.ContextIdentifier, upoRef string) (page *upoPage, found bool, err error) {
	now := s.now()
	s.mu.Lock()
	sess := s.sessions[ref]
	if sess == nil || ctx != nil && sess.context != *ctx {
		s.mu.Unlock()
		return nil, false, nil
	}
	processed := s.sessionState(sess, now).Code == 200
	snapshot := append([]*sessionInvoice(nil), sess.invoices...)
	s.mu.Unlock()
	if !processed {
		return nil, true, nil
	}
	pages, err := s.sessionUPO(sess, snapshot)
	if err != nil {
		return nil, true, err
	}
	for _, p := range pages {
		if p.ref == upoRef {
			return p, true, nil
		}
	}
	return nil, true, nil
}
