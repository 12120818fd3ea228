package invoice

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

func TestMetadataFA3(t *testing.T) {
	doc := fa3(t)
	m, err := Metadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := &Meta{
		InvoiceNumber: "FA/GRQMB-T-1/05/2025", IssueDate: "2026-11-30",
		Seller:    Seller{NIP: "5265877635", Name: "Elektrownia S.A."},
		Buyer:     Buyer{Identifier: Identifier{Type: "Nip", Value: "1111111111"}, Name: "F.H.U. Jan Kowalski"},
		NetAmount: 43.60, VatAmount: 10.03, GrossAmount: 53.63, Currency: "PLN",
		InvoiceType: "Vat", FormCode: FA3, InvoiceHash: Hash(doc),
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("\n got %+v\nwant %+v", m, want)
	}
	b, _ := json.Marshal(m)
	for _, k := range []string{`"netAmount":43.6`, `"vatAmount":10.03`, `"grossAmount":53.63`, `"formCode":{"systemCode":"FA (3)","schemaVersion":"1-0E","value":"FA"}`, `"isSelfInvoicing":false`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
}

func TestMetadataVariants(t *testing.T) {
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		check  func(*testing.T, *Meta)
	}{
		{"EU buyer", replace("<NIP>1111111111</NIP>", "<KodUE>DE</KodUE><NrVatUE>123456789</NrVatUE>"), func(t *testing.T, m *Meta) {
			if m.Buyer.Identifier != (Identifier{"VatUe", "DE123456789"}) {
				t.Fatal(m.Buyer)
			}
		}},
		{"other buyer id", replace("<NIP>1111111111</NIP>", "<KodKraju>US</KodKraju><NrID>98-7654321</NrID>"), func(t *testing.T, m *Meta) {
			if m.Buyer.Identifier != (Identifier{"Other", "98-7654321"}) {
				t.Fatal(m.Buyer)
			}
		}},
		{"no buyer id", replace("<NIP>1111111111</NIP>", "<BrakID>1</BrakID>"), func(t *testing.T, m *Meta) {
			if m.Buyer.Identifier != (Identifier{Type: "None"}) {
				t.Fatal(m.Buyer)
			}
		}},
		{"self-invoicing", replace("<P_17>2</P_17>", "<P_17>1</P_17>"), func(t *testing.T, m *Meta) {
			if !m.IsSelfInvoicing {
				t.Fatal("P_17=1 is self-invoicing")
			}
		}},
		{"correction", replace("<RodzajFaktury>VAT</RodzajFaktury>", "<RodzajFaktury>KOR_ZAL</RodzajFaktury>"), func(t *testing.T, m *Meta) {
			if m.InvoiceType != "KorZal" {
				t.Fatal(m.InvoiceType)
			}
		}},
		{"attachment", replace("</Faktura>", "<Zalacznik><BlokDanych/></Zalacznik></Faktura>"), func(t *testing.T, m *Meta) {
			if !m.HasAttachment {
				t.Fatal("Zalacznik is an attachment")
			}
		}},
		{"foreign currency with VAT in PLN", func(b []byte) []byte {
			b = replace("<KodWaluty>PLN</KodWaluty>", "<KodWaluty>EUR</KodWaluty>")(b)
			return replace("<P_14_1>10.03</P_14_1>", "<P_14_1>10.03</P_14_1><P_14_1W>42.70</P_14_1W><P_13_2>0.10</P_13_2><P_14_2>0.01</P_14_2>")(b)
		}, func(t *testing.T, m *Meta) {
			if m.Currency != "EUR" || m.VatAmount != 42.71 || m.NetAmount != 43.70 {
				t.Fatalf("%s net %v vat %v", m.Currency, m.NetAmount, m.VatAmount)
			}
		}},
		{"authorised subject", replace("<Fa>", "<PodmiotUpowazniony><DaneIdentyfikacyjne><NIP>5265877635</NIP><Nazwa>Komornik  Sądowy</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>x</AdresL1></Adres><RolaPU>2</RolaPU></PodmiotUpowazniony><Fa>"), func(t *testing.T, m *Meta) {
			if m.AuthorizedSubject == nil || *m.AuthorizedSubject != (AuthorizedSubject{"5265877635", "Komornik Sądowy", 2}) {
				t.Fatal(m.AuthorizedSubject)
			}
		}},
		{"third subject with another role", replace("<Fa>", "<Podmiot3><DaneIdentyfikacyjne><IDWew>5265877635-00001</IDWew><Nazwa>Oddział</Nazwa></DaneIdentyfikacyjne><RolaInna>1</RolaInna><OpisRoli>x</OpisRoli></Podmiot3><Fa>"), func(t *testing.T, m *Meta) {
			want := []ThirdSubject{{Identifier{"InternalId", "5265877635-00001"}, "Oddział", 0}}
			if !reflect.DeepEqual(m.ThirdSubjects, want) {
				t.Fatal(m.ThirdSubjects)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Metadata(c.mutate(fa3(t)))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, m)
		})
	}
}

// TestMetadataThirdSubjects reads the C# SDK's template with two Podmiot3
// (it puts NIP and IDWew into one DaneIdentyfikacyjne, which the XSD does
// not allow; NIP wins, as it comes first).
func TestMetadataThirdSubjects(t *testing.T) {
	b, err := os.ReadFile("testdata/invoice-template-fa-3-with-multiple-Subject3.xml")
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("#nip_podmiot1#", "5265877635", "#nip_podmiot2#", "1111111111",
		"#nip1_podmiot3#", "6666666666", "#idwew1_podmiot3#", "6666666666-00001",
		"#nip2_podmiot3#", "7352765225", "#idwew2_podmiot3#", "7352765225-00002")
	m, err := Metadata([]byte(r.Replace(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	want := []ThirdSubject{
		{Identifier{"Nip", "6666666666"}, "Szkoła Podstawowa w Bzdziszewie", 8},
		{Identifier{"Nip", "7352765225"}, "Szkoła Podstawowa w Przykładowie", 8},
	}
	if !reflect.DeepEqual(m.ThirdSubjects, want) {
		t.Fatalf("%+v", m.ThirdSubjects)
	}
	// The checksums of the Podmiot3 NIPs and internal identifiers count.
	bad := r.Replace(strings.Replace(string(b), "#idwew2_podmiot3#", "7352765226-00002", 1))
	_, err = Check([]byte(bad), CheckOptions{Now: now})
	if got := fields(t, err); strings.Join(got, ",") != "invoice.Podmiot3.IDWew" {
		t.Fatalf("%v", errs.As(err).Findings)
	}
}

const farr = `<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2026/03/06/14189/">
	<Naglowek><KodFormularza kodSystemowy="FA_RR (1)" wersjaSchemy="1-1E">FA_RR</KodFormularza><WariantFormularza>1</WariantFormularza></Naglowek>
	<Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP><Nazwa>Rolnik</Nazwa></DaneIdentyfikacyjne></Podmiot1>
	<Podmiot2><DaneIdentyfikacyjne><NIP>1111111111</NIP><Nazwa>Skup</Nazwa></DaneIdentyfikacyjne></Podmiot2>
	<FakturaRR><KodWaluty>PLN</KodWaluty><P_4A>2026-11-20</P_4A><P_4B>2026-11-23</P_4B><P_4C>RR/1</P_4C>
	<P_11_1>2000.00</P_11_1><P_11_2>140.00</P_11_2><P_12_1>2140.00</P_12_1><P_12_2>dwa tysiące</P_12_2>
	<RodzajFaktury>VAT_RR</RodzajFaktury></FakturaRR>
</Faktura>`

func TestFARR(t *testing.T) {
	f, err := Check([]byte(farr), CheckOptions{FormCode: FARR1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if f.SellerNIP != "5265877635" || f.IssueDate != "2026-11-23" || f.InvoiceNumber != "RR/1" || f.InvoiceType != "VAT_RR" || f.FormCode != FARR1 {
		t.Fatalf("%+v", f)
	}
	m, err := Metadata([]byte(farr))
	if err != nil {
		t.Fatal(err)
	}
	if m.InvoiceType != "VatRr" || m.NetAmount != 2000 || m.VatAmount != 140 || m.GrossAmount != 2140 || m.Buyer.Identifier.Value != "1111111111" {
		t.Fatalf("%+v", m)
	}
	_, err = Check([]byte(strings.Replace(farr, "2026-11-23", "2026-12-24", 1)), CheckOptions{FormCode: FARR1, Now: now})
	if got := fields(t, err); strings.Join(got, ",") != "invoice.P_4B" {
		t.Fatal(got)
	}
}

// pef is a UBL 2.1 invoice laid out as the official SDKs' PEF templates
// (seller NIP in PartyLegalEntity/CompanyID with the PL prefix).
const pef = `<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
	<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
	<cbc:ID>PEF/7</cbc:ID>
	<cbc:IssueDate>2026-11-30</cbc:IssueDate>
	<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
	<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
	<cbc:TaxCurrencyCode>PLN</cbc:TaxCurrencyCode>
	<cac:AccountingSupplierParty><cac:Party>
		<cbc:EndpointID schemeID="9945">5265877635</cbc:EndpointID>
		<cac:PartyName><cbc:Name>Sprzedawca</cbc:Name></cac:PartyName>
		<cac:PartyLegalEntity><cbc:RegistrationName>Sprzedawca Sp. z o.o.</cbc:RegistrationName><cbc:CompanyID>PL5265877635</cbc:CompanyID></cac:PartyLegalEntity>
	</cac:Party></cac:AccountingSupplierParty>
	<cac:AccountingCustomerParty><cac:Party>
		<cac:PartyTaxScheme><cbc:CompanyID>SE4598375937</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
		<cac:PartyLegalEntity><cbc:RegistrationName>Nabywca S.A.</cbc:RegistrationName></cac:PartyLegalEntity>
	</cac:Party></cac:AccountingCustomerParty>
	<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">1225.00</cbc:TaxAmount></cac:TaxTotal>
	<cac:TaxTotal><cbc:TaxAmount currencyID="PLN">5320.125</cbc:TaxAmount></cac:TaxTotal>
	<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="EUR">5900.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">7125.00</cbc:TaxInclusiveAmount></cac:LegalMonetaryTotal>
</Invoice>`

func TestPEF(t *testing.T) {
	f, err := Check([]byte(pef), CheckOptions{FormCode: PEF3, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if f.SellerNIP != "5265877635" || f.IssueDate != "2026-11-30" || f.InvoiceNumber != "PEF/7" || f.InvoiceType != "380" || f.Namespace != NamespaceUBLInvoice {
		t.Fatalf("%+v", f)
	}
	m, err := Metadata([]byte(pef))
	if err != nil {
		t.Fatal(err)
	}
	want := Buyer{Identifier: Identifier{"VatUe", "SE4598375937"}, Name: "Nabywca S.A."}
	if m.InvoiceType != "VatPef" || m.VatAmount != 5320.13 || m.NetAmount != 5900 || m.GrossAmount != 7125 || m.Buyer != want || m.Seller.Name != "Sprzedawca Sp. z o.o." {
		t.Fatalf("%+v", m)
	}
	// A credit note is PEF_KOR; in a PEF session it is the wrong form.
	kor := strings.NewReplacer("<Invoice", "<CreditNote", "</Invoice>", "</CreditNote>", "Invoice-2", "CreditNote-2", "InvoiceTypeCode>380</cbc:InvoiceTypeCode", "CreditNoteTypeCode>381</cbc:CreditNoteTypeCode").Replace(pef)
	if m, err := Metadata([]byte(kor)); err != nil || m.InvoiceType != "KorPef" || m.FormCode != PEFKOR3 {
		t.Fatalf("%+v %v", m, err)
	}
	_, err = Check([]byte(kor), CheckOptions{FormCode: PEF3, Now: now})
	if got := fields(t, err); strings.Join(got, ",") != "invoice.formCode" {
		t.Fatal(got)
	}
	// Without a Polish NIP for the supplier the invoice cannot be numbered.
	_, err = Check([]byte(strings.NewReplacer("PL5265877635", "GB123", `schemeID="9945"`, `schemeID="0088"`).Replace(pef)), CheckOptions{FormCode: PEF3, Now: now})
	if got := fields(t, err); strings.Join(got, ",") != "invoice.AccountingSupplierParty.CompanyID" {
		t.Fatal(got)
	}
}

func TestMetadataRejects(t *testing.T) {
	for _, c := range []struct {
		doc   string
		field string
	}{
		{"<a", "invoice.xml"},
		{`<Faktura xmlns="urn:x"/>`, "invoice.formCode"},
		{strings.Replace(farr, "<RodzajFaktury>VAT_RR</RodzajFaktury>", "<RodzajFaktury>X</RodzajFaktury>", 1), "invoice.RodzajFaktury"},
		{strings.Replace(farr, "<P_11_1>2000.00</P_11_1>", "<P_11_1>2,000</P_11_1>", 1), "invoice.net"},
		{strings.Replace(farr, "<NIP>5265877635</NIP>", "", 1), "invoice.Podmiot1.NIP"},
	} {
		_, err := Metadata([]byte(c.doc))
		if e := errs.As(err); e == nil || e.Field != c.field {
			t.Errorf("%.40q: %v, want field %s", c.doc, err, c.field)
		}
	}
}

func TestParseCents(t *testing.T) {
	for s, want := range map[string]cents{"0": 0, "1": 100, "-1.5": -150, " 12.34 ": 1234, ".5": 50, "1.005": 101, "+2.": 200, "9999999999999999.99": 999999999999999999} {
		if got, err := parseCents(s); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", ".", "1,5", "1e3", "12345678901234567", "0x1"} {
		if _, err := parseCents(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
