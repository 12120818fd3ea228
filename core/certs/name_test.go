package certs

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func mustName(t *testing.T, rdn pkix.RDNSequence) []byte {
	t.Helper()
	der, err := asn1.Marshal(rdn)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func atv(oid asn1.ObjectIdentifier, v any) pkix.RelativeDistinguishedNameSET {
	return pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}}
}

func TestFormatDN(t *testing.T) {
	personal := mustName(t, pkix.RDNSequence{
		atv(oidCountry, "PL"),
		atv(oidGivenName, "Łukasz"),
		atv(oidSurname, "Kowalski"),
		atv(oidSerialNumber, "TINPL-5265877635"),
		atv(oidCommonName, "Łukasz Kowalski, Jr. <x>"),
	})
	got, err := FormatDN(personal, DNReadable)
	if err != nil {
		t.Fatal(err)
	}
	want := `CN=Łukasz Kowalski\, Jr. \<x\>,serialNumber=TINPL-5265877635,SN=Kowalski,givenName=Łukasz,C=PL`
	if got != want {
		t.Errorf("readable:\n got %s\nwant %s", got, want)
	}
	strict, _ := FormatDN(personal, DNStrict)
	// Strict output matches what Go's own (RFC 4514 conformant) printer
	// gives for the attributes both know, and #hex for the rest.
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(personal, &seq); err != nil {
		t.Fatal(err)
	}
	wantStrict := `CN=Łukasz Kowalski\, Jr. \<x\>,2.5.4.5=#131054494E504C2D35323635383737363335,2.5.4.4=#13084B6F77616C736B69,2.5.4.42=#0C07C581756B61737A,C=PL`
	if strict != wantStrict {
		t.Errorf("strict:\n got %s\nwant %s", strict, wantStrict)
	}
	seal := mustName(t, pkix.RDNSequence{
		atv(oidCountry, "PL"),
		atv(oidOrganization, " #Firma+Spółka; \"A\" "),
		pkix.RelativeDistinguishedNameSET{{Type: oidOrganizationIdentifier, Value: "VATPL-5265877635"}, {Type: oidCommonName, Value: "Pieczęć"}},
	})
	got, _ = FormatDN(seal, DNReadable)
	// DER sorts the SET, so CN (shorter encoding) comes first; only a
	// leading '#' is escaped.
	want = `CN=Pieczęć+organizationIdentifier=VATPL-5265877635,O=\ #Firma\+Spółka\; \"A\"\ ,C=PL`
	if got != want {
		t.Errorf("seal:\n got %s\nwant %s", got, want)
	}
	if _, err := FormatDN([]byte{0x30, 0x05}, DNStrict); err == nil {
		t.Error("truncated DER accepted")
	}
}

func TestMatchDN(t *testing.T) {
	der := mustName(t, pkix.RDNSequence{
		atv(oidCountry, "PL"),
		atv(oidOrganization, "Test CA"),
		atv(oidOrganizationIdentifier, "VATPL-5265877635"),
		atv(oidCommonName, "Test  CA Root"),
	})
	strict, _ := FormatDN(der, DNStrict)
	readable, _ := FormatDN(der, DNReadable)
	for _, s := range []string{
		strict,
		readable,
		"CN=Test CA Root, OID.2.5.4.97=VATPL-5265877635, O=Test CA, C=PL", // .NET
		`cn="test ca root";2.5.4.97=VATPL-5265877635;o=Test\20CA;c=pl`,
		"C=PL,O=Test CA,2.5.4.97=VATPL-5265877635,CN=Test CA Root", // the certificate's own (DER) order
		"C=PL, O=Test CA, organizationIdentifier=VATPL-5265877635, CN=Test CA Root",
	} {
		if ok, err := MatchDN(s, der); err != nil || !ok {
			t.Errorf("MatchDN(%q) = %v, %v", s, ok, err)
		}
	}
	for _, s := range []string{
		"CN=Test CA Root,O=Test CA,C=PL",                                                               // attribute missing
		"CN=Other,2.5.4.97=VATPL-5265877635,O=Test CA,C=PL",                                            // another value
		"C=PL,O=Test CA,2.5.4.97=VATPL-5265877635,CN=Other",                                            // another value, DER order
		"CN=Test CA Root,O=Test CA,2.5.4.97=VATPL-5265877635,C=PL",                                     // RDNs in a third order
		"O=Test CA,C=PL,2.5.4.97=VATPL-5265877635,CN=Test CA Root",                                     // …and another
		"CN=Test CA Root+2.5.4.97=VATPL-5265877635,O=Test CA,C=PL",                                     // two RDNs merged into one
		"CN=Test CA Root,organizationIdentifier=#131056415450 4C2D35323635383737363335,O=Test CA,C=PL", // #hex that is not DER
	} {
		if ok, _ := MatchDN(s, der); ok {
			t.Errorf("MatchDN(%q) matched", s)
		}
	}
	for _, s := range []string{"CN", "CN=a,", "XX=1", `CN="open`, `CN=a\`} {
		if _, err := MatchDN(s, der); err == nil {
			t.Errorf("MatchDN(%q) gave no error", s)
		}
	}
}

// A personal certificate's issuer as the client wrote it — in
// DER order, "GN=…, SN=…" — with a multi-valued RDN, whose attributes form
// a set: their order is free, but not which value belongs to which type,
// nor which RDN an attribute belongs to.
func TestMatchDNMultiValued(t *testing.T) {
	der := mustName(t, pkix.RDNSequence{
		atv(oidCountry, "PL"),
		pkix.RelativeDistinguishedNameSET{{Type: oidGivenName, Value: "Jan"}, {Type: oidSurname, Value: "Kowalski"}},
		atv(oidCommonName, "Jan Kowalski"),
	})
	for _, c := range []struct {
		dn    string
		match bool
	}{
		{"CN=Jan Kowalski,givenName=Jan+SN=Kowalski,C=PL", true},         // RFC 4514
		{"CN=Jan Kowalski, SN=Kowalski+GN=Jan, C=PL", true},              // the SET in another order
		{"C=PL, GN=Jan+SN=Kowalski, CN=Jan Kowalski", true},              // DER order
		{"C=PL, SN=Kowalski + G=Jan, CN=Jan Kowalski", true},             // DER order, the SET in another order
		{"C=PL, GN=Kowalski+SN=Jan, CN=Jan Kowalski", false},             // values swapped between types
		{"C=PL, GN=Jan, SN=Kowalski, CN=Jan Kowalski", false},            // the RDN split in two
		{"CN=Jan Kowalski, GN=Jan+SN=Kowalski+C=PL", false},              // C moved into the RDN
		{"GN=Jan+SN=Kowalski, C=PL, CN=Jan Kowalski", false},             // a third order
		{"C=PL, GN=Jan+SN=Kowalski+SN=Kowalski, CN=Jan Kowalski", false}, // a value twice
		{"C=PL, GN=Jan+GN=Jan, CN=Jan Kowalski", false},                  // same size, another multiset
	} {
		if ok, err := MatchDN(c.dn, der); err != nil || ok != c.match {
			t.Errorf("MatchDN(%q) = %v, %v; want %v", c.dn, ok, err, c.match)
		}
	}
}
