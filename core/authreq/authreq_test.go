package authreq

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/ids"
	"github.com/ksefkit/ksefkit/core/ippolicy"
)

const challenge = "20250604-CR-461EA5B000-537A6BA15D-D7"

func TestSamples(t *testing.T) {
	files, err := filepath.Glob("../../../shared/spec/auth/samples/*.xml")
	if err != nil || len(files) != 5 {
		// The shared spec lives next to the repository.
		files, _ = filepath.Glob("/work/shared/spec/auth/samples/*.xml")
	}
	if len(files) != 5 {
		t.Fatalf("found %d samples, want 5", len(files))
	}
	want := map[string]Request{
		"context-identifier-internal-id.xml":                  {challenge, ids.ContextIdentifier{Type: ids.ContextInternalID, Value: "5265877635-12345"}, SubjectCertificate, nil, Namespace20},
		"context-identifier-nip-vat-ue.xml":                   {challenge, ids.ContextIdentifier{Type: ids.ContextNipVatUe, Value: "5265877635-ATU12345678"}, SubjectCertificate, nil, Namespace20},
		"context-identifier-nip.xml":                          {challenge, ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"}, SubjectCertificate, nil, Namespace20},
		"subject-identifier-type-certificate-fingerprint.xml": {challenge, ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"}, SubjectFingerprint, nil, Namespace20},
		"subject-identifier-type-certificate-subject.xml":     {challenge, ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"}, SubjectCertificate, nil, Namespace20},
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if w := want[filepath.Base(f)]; !reflect.DeepEqual(*r, w) {
			t.Errorf("%s: got %+v want %+v", f, *r, w)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		out, err := r.XML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Errorf("%s: our XML %s parses back as %+v, %v", f, out, back, err)
		}
	}
}

func TestXMLExact(t *testing.T) {
	r := Request{
		Challenge:   challenge,
		Context:     ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"},
		SubjectType: SubjectFingerprint,
		Policy: &ippolicy.Policy{AllowedIPs: &ippolicy.AllowedIPs{
			Addresses: []string{"192.168.0.10", "10.0.0.1"},
			Ranges:    []string{"10.0.0.1-10.0.0.254"},
			Masks:     []string{"172.16.0.0/16"},
		}},
		Namespace: Namespace21,
	}
	out, err := r.XML()
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="utf-8"?><AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1">` +
		`<Challenge>20250604-CR-461EA5B000-537A6BA15D-D7</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>` +
		`<SubjectIdentifierType>certificateFingerprint</SubjectIdentifierType><AuthorizationPolicy><AllowedIps>` +
		`<Ip4Address>192.168.0.10</Ip4Address><Ip4Address>10.0.0.1</Ip4Address><Ip4Range>10.0.0.1-10.0.0.254</Ip4Range>` +
		`<Ip4Mask>172.16.0.0/16</Ip4Mask></AllowedIps></AuthorizationPolicy></AuthTokenRequest>`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	back, err := Parse(out)
	if err != nil || !reflect.DeepEqual(*back, r) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	// The default namespace is 2.0.
	r.Namespace, r.Policy = "", nil
	out, _ = r.XML()
	if !strings.Contains(string(out), `xmlns="`+Namespace20+`"`) {
		t.Errorf("default namespace: %s", out)
	}
}

func TestValidate(t *testing.T) {
	ok := Request{Challenge: challenge, Context: ids.ContextIdentifier{Type: ids.ContextNip, Value: "5265877635"}, SubjectType: SubjectCertificate}
	for _, tc := range []struct {
		mut   func(*Request)
		field string
	}{
		{func(r *Request) { r.Challenge = "20250604-CR-461ea5b000-537A6BA15D-D7" }, "challenge"},
		{func(r *Request) { r.Challenge = "" }, "challenge"},
		{func(r *Request) { r.Context.Value = "5265877636" }, "contextIdentifier"},
		{func(r *Request) { r.Context.Type = "Regon" }, "contextIdentifier"},
		{func(r *Request) { r.SubjectType = "certificate" }, "subjectIdentifierType"},
		{func(r *Request) { r.Namespace = "urn:x" }, "namespace"},
		{func(r *Request) {
			r.Policy = &ippolicy.Policy{AllowedIPs: &ippolicy.AllowedIPs{Addresses: []string{"300.1.1.1"}}}
		}, "authorizationPolicy.allowedIps.ip4Addresses[0]"},
	} {
		r := ok
		tc.mut(&r)
		err := r.Validate()
		e := errs.As(err)
		if e == nil || e.Code != errs.InputInvalid || e.Field != tc.field {
			t.Errorf("Validate(%+v) = %v, want field %s", r, err, tc.field)
		}
		if _, err := r.XML(); err == nil {
			t.Errorf("XML of invalid %+v succeeded", r)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseSignedAndErrors(t *testing.T) {
	base := `<?xml version="1.0" encoding="utf-8"?><AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0"><Challenge>` + challenge +
		`</Challenge><ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType>`
	signed := base + `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="S"><ds:SignedInfo/></ds:Signature></AuthTokenRequest>`
	r, err := Parse([]byte(signed))
	if err != nil || r.Context.Value != "5265877635" {
		t.Fatalf("signed: %+v %v", r, err)
	}
	for _, bad := range []string{
		"",
		"not xml",
		`<Other xmlns="http://ksef.mf.gov.pl/auth/token/2.0"/>`,
		`<AuthTokenRequest xmlns="urn:wrong"><Challenge>x</Challenge></AuthTokenRequest>`,
		base,                                 // truncated
		base + `<Extra/></AuthTokenRequest>`, // unknown element
		base + `</AuthTokenRequest><More/>`,
		`<!DOCTYPE x [<!ENTITY a "b">]>` + base + `</AuthTokenRequest>`,
		`<?xml version="1.0" encoding="iso-8859-2"?>` + base[38:] + `</AuthTokenRequest>`,
		strings.Replace(base, "<Nip>", "<Regon>", 1),
		strings.Replace(base, "<Nip>5265877635</Nip>", "<Nip><b/></Nip>", 1),
		strings.Replace(base, "<Challenge>", "text<Challenge>", 1),
		base + `<AuthorizationPolicy><AllowedIps><Ip4Mask>1.1.1.0/24</Ip4Mask><Ip4Address>1.1.1.1</Ip4Address></AllowedIps></AuthorizationPolicy></AuthTokenRequest>`,
	} {
		if _, err := Parse([]byte(bad)); errs.CodeOf(err) != errs.InputInvalid {
			t.Errorf("Parse(%q) = %v, want input.invalid", bad, err)
		}
	}
}
