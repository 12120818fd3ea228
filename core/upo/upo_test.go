package upo

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/certs"
	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/xades"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseEverySample reads the official UPO examples (MF's v4-3
// examples and the PDF generator's sample).
func TestParseEverySample(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	if len(files) != 7 {
		t.Fatalf("%d samples", len(files))
	}
	contexts := map[ids.ContextType]bool{}
	for _, f := range files {
		u, err := Parse(sample(t, filepath.Base(f)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if u.FormCode != "FA (3)" || len(u.Documents) == 0 || u.Documents[0].SellerNIP != "5265877635" {
			t.Errorf("%s: %+v", f, u)
		}
		contexts[u.Context.Type] = true
	}
	if len(contexts) != 3 {
		t.Errorf("contexts %v", contexts)
	}
}

func TestParseSessionUPO(t *testing.T) {
	u, err := Parse(sample(t, "upo-sesja-kontekst-id-nip.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cest := time.FixedZone("", 2*3600)
	want := &UPO{
		ReceivingEntity:        "Ministerstwo Finansów - środowisko testowe (TE)",
		Environment:            "TE",
		SessionReferenceNumber: "36950822-93-9D5A28BFDA-47C899773E-5C",
		Context:                ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"},
		Authentication:         Authentication{DocumentHash: "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno="},
		Page:                   &Page{Number: 1, Count: 1, FirstDocument: 1, LastDocument: 2, TotalDocuments: 2},
		LogicalStructure:       "Schemat_FA(3)_v1-0E.xsd",
		FormCode:               "FA (3)",
		Documents: []Document{
			{"5265877635", "5265877635-20250916-010040741B3E-46", "FA/SIGTF-3388125147/11/2025", "2025-09-16",
				time.Date(2025, 9, 16, 11, 2, 41, 584e6, cest), time.Date(2025, 9, 16, 11, 2, 42, 84e6, cest),
				"jli86Kp2Kw7jppX59P8VmjWRcwLTvsPK3DcPEB87mNk=", "Online"},
			{"5265877635", "5265877635-20250916-0200A0D6723E-C2", "FA/XVQUD-9997622510/04/2027", "2025-09-16",
				time.Date(2025, 9, 16, 11, 5, 40, 841e6, cest), time.Date(2025, 9, 16, 11, 5, 41, 45e6, cest),
				"GZMGNVzs3krF6URKgvaw77OOeG3nJ+WGziT5xguliQ8=", "Online"},
		},
	}
	for i := range u.Documents { // compare instants, not zone pointers
		for _, p := range []*time.Time{&u.Documents[i].SentAt, &u.Documents[i].NumberedAt, &want.Documents[i].SentAt, &want.Documents[i].NumberedAt} {
			*p = p.UTC()
		}
	}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("\n got %+v\nwant %+v", u, want)
	}
}

func TestParseContextsAndAuthentication(t *testing.T) {
	u, err := Parse(sample(t, "upo-faktura-internal-id.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Context != (ids.ContextIdentifier{Type: ids.ContextInternalID, Value: "5265877635-12345"}) ||
		u.Authentication != (Authentication{KSeFTokenReference: "20250819-EC-1ECDD12000-5EE71AE5E3-B7"}) || u.Page != nil {
		t.Fatalf("%+v", u)
	}
	// The PDF generator's sample: production name, whitespace inside the
	// hash, an Offline document.
	u, err = Parse(sample(t, "upo-pdf-generator.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Environment != "" || u.Context.Type != ids.ContextNipVatUe || u.Documents[0].Mode != "Offline" ||
		u.Authentication.DocumentHash != "kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=" {
		t.Fatalf("%+v", u)
	}
	peppol := strings.Replace(string(sample(t, "upo-faktura-kontekst-id-nip.xml")), "<Nip>5265877635</Nip>", "<IdDostawcyUslugPeppol>PPL123456</IdDostawcyUslugPeppol>", 1)
	if u, err := Parse([]byte(peppol)); err != nil || u.Context != (ids.ContextIdentifier{Type: ids.ContextPeppolID, Value: "PPL123456"}) {
		t.Fatalf("%+v %v", u, err)
	}
}

func TestParseRejects(t *testing.T) {
	base := string(sample(t, "upo-sesja-kontekst-id-nip.xml"))
	cases := []struct {
		name, old, new, field string
	}{
		{"not XML", "</Potwierdzenie>", "", "upo"},
		{"other namespace", "KSeF/v4-3", "KSeF/v4-2", "upo"},
		{"no session", "<NumerReferencyjnySesji>36950822-93-9D5A28BFDA-47C899773E-5C</NumerReferencyjnySesji>", "", "upo.NumerReferencyjnySesji"},
		{"bad session", "36950822-93-9D5A28BFDA-47C899773E-5C", "36950822-93-9D5A28BFDA-47C899773E", "upo.NumerReferencyjnySesji"},
		{"bad context NIP", "<Nip>5265877635</Nip>", "<Nip>5265877636</Nip>", "upo.Uwierzytelnienie.IdKontekstu.Nip"},
		{"no context", "<Nip>5265877635</Nip>", "", "upo.Uwierzytelnienie.IdKontekstu"},
		{"no authentication", "<SkrotDokumentuUwierzytelniajacego>kyqH+QUgP8ATWd/95IY632mP4uqibwG66Oqclq9+qno=</SkrotDokumentuUwierzytelniajacego>", "", "upo.Uwierzytelnienie"},
		{"bad KSeF number", "010040741B3E-46", "010040741B3E-47", "upo.Dokument[1].NumerKSeFDokumentu"},
		{"bad hash", "jli86Kp2Kw7jppX59P8VmjWRcwLTvsPK3DcPEB87mNk=", "jli86Kp2", "upo.Dokument[1].SkrotDokumentu"},
		{"bad date", "<DataWystawieniaFaktury>2025-09-16</DataWystawieniaFaktury>", "<DataWystawieniaFaktury>16.09.2025</DataWystawieniaFaktury>", "upo.Dokument[1].DataWystawieniaFaktury"},
		{"date-time without offset", "2025-09-16T11:02:41.584+02:00", "2025-09-16T11:02:41.584", "upo.Dokument[1].DataPrzeslaniaDokumentu"},
		{"bad mode", "<TrybWysylki>Online</TrybWysylki>", "<TrybWysylki>Batch</TrybWysylki>", "upo.Dokument[1].TrybWysylki"},
		{"bad page", "<Strona>1</Strona>", "<Strona>0</Strona>", "upo.OpisPotwierdzenia.Strona"},
		{"DOCTYPE", `<?xml version="1.0" encoding="utf-8"?>`, `<?xml version="1.0" encoding="utf-8"?><!DOCTYPE Potwierdzenie>`, "upo"},
		{"Latin-2", `encoding="utf-8"`, `encoding="iso-8859-2"`, "upo"},
	}
	for _, c := range cases {
		doc := strings.Replace(base, c.old, c.new, 1)
		if doc == base {
			t.Fatalf("%s: mutation did nothing", c.name)
		}
		_, err := Parse([]byte(doc))
		if e := errs.As(err); e == nil || e.Code != errs.InputInvalid || e.Field != c.field {
			t.Errorf("%s: %v, want field %s", c.name, err, c.field)
		}
	}
	if _, err := Parse(make([]byte, MaxSize+1)); errs.As(err).Field != "upo" {
		t.Error("oversized UPO read")
	}
	noDocs := base[:strings.Index(base, "<Dokument>")] + "</Potwierdzenie>"
	if _, err := Parse([]byte(noDocs)); errs.As(err).Field != "upo.Dokument" {
		t.Errorf("no documents: %v", err)
	}
	// Unknown additions are tolerated.
	extra := strings.Replace(base, "<KodFormularza>", "<NowyElement a=\"1\">x</NowyElement><KodFormularza>", 1)
	if _, err := Parse([]byte(extra)); err != nil {
		t.Errorf("an unknown element: %v", err)
	}
}

// mf is a stand-in for the Ministry of Finance's UPO signing certificate:
// a CA and a seal it issued.
type mf struct {
	ca, seal *x509.Certificate
	key      *ecdsa.PrivateKey
}

func newMF(t *testing.T, notBefore, notAfter time.Time) *mf {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA", Country: []string{"PL"}},
		NotBefore: notBefore, NotAfter: notAfter.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Ministerstwo Finansów (test)", Organization: []string{"Ministerstwo Finansów"}, Country: []string{"PL"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	seal, _ := x509.ParseCertificate(der)
	return &mf{ca: ca, seal: seal, key: key}
}

func (m *mf) sign(t *testing.T, doc []byte, at time.Time) []byte {
	t.Helper()
	s, err := xades.NewSigner(m.key, m.seal)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Sign(doc, xades.Options{SigningTime: at})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerify(t *testing.T) {
	now := time.Now()
	m := newMF(t, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	signed := m.sign(t, sample(t, "upo-sesja-kontekst-id-nip.xml"), now.Add(-time.Hour))
	v, err := Verify(signed, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.UPO.SessionReferenceNumber != "36950822-93-9D5A28BFDA-47C899773E-5C" || len(v.UPO.Documents) != 2 ||
		!v.Certificate.Equal(m.seal) || v.Signer.FingerprintSHA256 != certs.Fingerprint(m.seal) || v.Chained ||
		v.SignatureMethod != xades.AlgECDSASHA256 || !v.SigningTime.Equal(now.Add(-time.Hour).UTC().Truncate(time.Second)) {
		t.Fatalf("%+v", v)
	}

	roots := x509.NewCertPool()
	roots.AddCert(m.ca)
	if v, err := Verify(signed, VerifyOptions{Roots: roots}); err != nil || !v.Chained {
		t.Fatalf("chain to the CA: %+v %v", v, err)
	}
	other := x509.NewCertPool()
	other.AddCert(newMF(t, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0)).ca)
	requireSignatureError(t, signed, VerifyOptions{Roots: other}, FindingUntrustedSigner)
}

func TestVerifyTampered(t *testing.T) {
	now := time.Now()
	m := newMF(t, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
	signed := string(m.sign(t, sample(t, "upo-faktura-kontekst-id-nip.xml"), now.Add(-time.Hour)))
	// Offline for Online: the receipt still parses, only the signature can
	// tell.
	tampered := strings.Replace(signed, "<TrybWysylki>Online</TrybWysylki>", "<TrybWysylki>Offline</TrybWysylki>", 1)
	requireSignatureError(t, []byte(tampered), VerifyOptions{}, xades.FindingDocumentDigestMismatch)
	requireSignatureError(t, sample(t, "upo-faktura-kontekst-id-nip.xml"), VerifyOptions{}, xades.FindingNoSignature)
}

// TestVerifyAfterTheCertificateExpired: a receipt stays valid after MF's
// certificate expires, as long as it was signed inside its validity.
func TestVerifyAfterTheCertificateExpired(t *testing.T) {
	then := time.Now().AddDate(-2, 0, 0)
	m := newMF(t, then.AddDate(0, -1, 0), then.AddDate(0, 1, 0))
	signed := m.sign(t, sample(t, "upo-faktura-internal-id.xml"), then)
	roots := x509.NewCertPool()
	roots.AddCert(m.ca)
	if _, err := Verify(signed, VerifyOptions{Roots: roots}); err != nil {
		t.Fatal(err)
	}
}

func requireSignatureError(t *testing.T, doc []byte, o VerifyOptions, finding string) {
	t.Helper()
	_, err := Verify(doc, o)
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Signature {
		t.Fatalf("want a signature.invalid error, got %v", err)
	}
	for _, f := range e.Findings {
		if f == finding {
			return
		}
	}
	t.Fatalf("findings %v lack %s", e.Findings, finding)
}
