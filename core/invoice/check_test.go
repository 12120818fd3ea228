package invoice

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ksefkit/ksefkit/core/errs"
)

// now is the clock of the rule tests: 1 December 2026, 10:00 UTC (11:00 in Poland).
var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func fa3(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/fa3.xml") // the official C# FA(3) template, filled
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if !bytes.Contains(b, []byte(old)) {
			panic("test mutation: " + old + " not in the document")
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

func prepend(s string) func([]byte) []byte {
	return func(b []byte) []byte { return append([]byte(s), b...) }
}

// fields lists the field of every finding of err.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *errs.Error: %v", err)
	}
	if e.Code != errs.InputInvalid {
		t.Fatalf("code %s, want input.invalid", e.Code)
	}
	var out []string
	for _, f := range e.Findings {
		field, _, ok := strings.Cut(f, ": ")
		if !ok {
			t.Fatalf("finding without a field: %q", f)
		}
		out = append(out, field)
	}
	if len(out) == 0 || out[0] != e.Field {
		t.Fatalf("Field %q is not the first finding's field %v", e.Field, out)
	}
	return out
}

func TestCheckValidSample(t *testing.T) {
	doc := fa3(t)
	f, err := Check(doc, CheckOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := Facts{
		FormCode: FA3, Namespace: NamespaceFA3, SellerNIP: "5265877635", IssueDate: "2026-11-30",
		InvoiceNumber: "FA/GRQMB-T-1/05/2025", InvoiceType: "VAT", Size: len(doc),
	}
	if *f != want {
		t.Fatalf("facts\n got %+v\nwant %+v", *f, want)
	}
}

func TestCheckRules(t *testing.T) {
	big := func(n int, attachment bool) func([]byte) []byte {
		return func(b []byte) []byte {
			pad := "<!--" + strings.Repeat("x", n) + "-->"
			b = bytes.Replace(b, []byte("<Naglowek>"), []byte(pad+"<Naglowek>"), 1)
			if attachment {
				b = bytes.Replace(b, []byte("</Faktura>"), []byte("<Zalacznik><BlokDanych/></Zalacznik></Faktura>"), 1)
			}
			return b
		}
	}
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		opts   CheckOptions
		want   []string // fields of the findings, in order; nil: valid
	}{
		{"valid", nil, CheckOptions{}, nil},
		{"empty", func([]byte) []byte { return nil }, CheckOptions{}, []string{"invoice"}},
		{"over the attachment limit, not parsed", func(b []byte) []byte { return append(b, make([]byte, MaxSizeWithAttachment)...) }, CheckOptions{}, []string{"invoice.size"}},
		{"over 1 MB without attachment", big(MaxSize, false), CheckOptions{}, []string{"invoice.size"}},
		{"over 1 MB with an attachment", big(MaxSize, true), CheckOptions{}, nil},
		{"over the caller's limit", nil, CheckOptions{MaxSize: 1000}, []string{"invoice.size"}},
		{"UTF-8 BOM", prepend("\xEF\xBB\xBF"), CheckOptions{}, []string{"invoice.bom"}},
		{"UTF-16 BOM", prepend("\xFF\xFE"), CheckOptions{}, []string{"invoice.encoding"}},
		{"invalid UTF-8", replace("Elektrownia", "Elektrowni\xC3a"), CheckOptions{}, []string{"invoice.encoding"}},
		{"Latin-2 declared", replace(`encoding="UTF-8"`, `encoding="ISO-8859-2"`), CheckOptions{}, []string{"invoice.encoding"}},
		{"lower-case utf-8 declared", replace(`encoding="UTF-8"`, `encoding="utf-8"`), CheckOptions{}, nil},
		{"no XML declaration", replace(`<?xml version="1.0" encoding="UTF-8"?>`, ``), CheckOptions{}, nil},
		{"XML 1.1", replace(`version="1.0"`, `version="1.1"`), CheckOptions{}, []string{"invoice.xml"}},
		{"stylesheet PI in the prolog", replace(`?>`, `?><?xml-stylesheet href="a.xsl"?>`), CheckOptions{}, []string{"invoice.processingInstruction"}},
		{"PI in content", replace(`<Podmiot1>`, `<Podmiot1><?app x?>`), CheckOptions{}, []string{"invoice.processingInstruction"}},
		{"discouraged U+0080", replace("Elektrownia", "Elektrownia\u0080"), CheckOptions{}, []string{"invoice.characters"}},
		{"discouraged U+FDD0", replace("Elektrownia", "\uFDD0"), CheckOptions{}, []string{"invoice.characters"}},
		{"discouraged U+1FFFE", replace("Elektrownia", "\U0001FFFE"), CheckOptions{}, []string{"invoice.characters"}},
		{"discouraged U+007F", replace("Elektrownia", "\x7F"), CheckOptions{}, []string{"invoice.characters"}},
		{"discouraged character reference", replace("Elektrownia", "&#x85;&#x9F;"), CheckOptions{}, []string{"invoice.characters"}},
		{"U+0085 is allowed", replace("Elektrownia", "\u0085"), CheckOptions{}, nil},
		{"control character", replace("Elektrownia", "\x01"), CheckOptions{}, []string{"invoice.characters"}},
		{"U+FFFE", replace("Elektrownia", "\uFFFE"), CheckOptions{}, []string{"invoice.characters"}},
		{"reference to a control character", replace("Elektrownia", "&#1;"), CheckOptions{}, []string{"invoice.xml"}},
		{"unclosed element", replace("</Faktura>", ""), CheckOptions{}, []string{"invoice.xml"}},
		{"mismatched end tag", replace("</Podmiot1>", "</Podmiot2>"), CheckOptions{}, []string{"invoice.xml"}},
		{"undeclared entity", replace("Elektrownia", "&nbsp;"), CheckOptions{}, []string{"invoice.xml"}},
		{"bare ampersand", replace("Elektrownia", "A & B"), CheckOptions{}, []string{"invoice.xml"}},
		{"duplicate attribute", replace(`wersjaSchemy="1-0E"`, `wersjaSchemy="1-0E" wersjaSchemy="1-0E"`), CheckOptions{}, []string{"invoice.xml"}},
		{"undeclared prefix", replace("<Podmiot1>", "<p:Podmiot1>"), CheckOptions{}, []string{"invoice.xml"}},
		{"]]> in text", replace("Elektrownia", "]]>"), CheckOptions{}, []string{"invoice.xml"}},
		{"text after the root", func(b []byte) []byte { return append(b, "x"...) }, CheckOptions{}, []string{"invoice.xml"}},
		{"second root", func(b []byte) []byte { return append(b, "<Faktura/>"...) }, CheckOptions{}, []string{"invoice.xml"}},
		{"DOCTYPE", replace("?>", `?><!DOCTYPE Faktura [<!ENTITY x "y">]>`), CheckOptions{}, []string{"invoice.doctype"}},
		{"FA (3) document in an FA (2) session", nil, CheckOptions{FormCode: FA2}, []string{"invoice.formCode"}},
		{"FA (2) namespace, FA (3) header", replace(NamespaceFA3, NamespaceFA2), CheckOptions{}, []string{"invoice.formCode", "invoice.formCode"}},
		{"unknown namespace", replace(NamespaceFA3, "urn:x"), CheckOptions{}, []string{"invoice.formCode"}},
		{"kodSystemowy without the space", replace(`kodSystemowy="FA (3)"`, `kodSystemowy="FA(3)"`), CheckOptions{}, []string{"invoice.formCode"}},
		{"wrong wersjaSchemy", replace(`wersjaSchemy="1-0E"`, `wersjaSchemy="1-1E"`), CheckOptions{}, []string{"invoice.formCode"}},
		{"wrong KodFormularza value", replace(`>FA</KodFormularza>`, `>FA_RR</KodFormularza>`), CheckOptions{}, []string{"invoice.formCode"}},
		{"no KodFormularza", replace(`<KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>`, ""), CheckOptions{}, []string{"invoice.formCode"}},
		{"P_1 tomorrow", replace("<P_1>2026-11-30</P_1>", "<P_1>2026-12-02</P_1>"), CheckOptions{}, []string{"invoice.P_1"}},
		{"P_1 today", replace("<P_1>2026-11-30</P_1>", "<P_1>2026-12-01</P_1>"), CheckOptions{}, nil},
		{"P_1 with collapsible whitespace", replace("<P_1>2026-11-30</P_1>", "<P_1>\n 2026-11-30 </P_1>"), CheckOptions{}, nil},
		{"P_1 not a date", replace("<P_1>2026-11-30</P_1>", "<P_1>2026-13-01</P_1>"), CheckOptions{}, []string{"invoice.P_1"}},
		{"P_1 missing", replace("<P_1>2026-11-30</P_1>", ""), CheckOptions{}, []string{"invoice.P_1"}},
		{"seller NIP checksum", replace("<NIP>5265877635</NIP>", "<NIP>5265877636</NIP>"), CheckOptions{}, []string{"invoice.Podmiot1.NIP"}},
		{"seller NIP missing", replace("<NIP>5265877635</NIP>", ""), CheckOptions{}, []string{"invoice.Podmiot1.NIP"}},
		{"buyer NIP checksum", replace("<NIP>1111111111</NIP>", "<NIP>1111111112</NIP>"), CheckOptions{}, []string{"invoice.Podmiot2.NIP"}},
		{"P_2 empty", replace("<P_2>FA/GRQMB-T-1/05/2025</P_2>", "<P_2> </P_2>"), CheckOptions{}, []string{"invoice.P_2"}},
		{"every problem, not the first", func(b []byte) []byte {
			b = prepend("\xEF\xBB\xBF")(b)
			b = replace("<NIP>5265877635</NIP>", "<NIP>5265877636</NIP>")(b)
			b = replace("Elektrownia", "\u0080")(b)
			return replace("<P_1>2026-11-30</P_1>", "<P_1>2027-01-01</P_1>")(b)
		}, CheckOptions{}, []string{"invoice.bom", "invoice.characters", "invoice.Podmiot1.NIP", "invoice.P_1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := fa3(t)
			if c.mutate != nil {
				doc = c.mutate(doc)
			}
			if c.opts.Now.IsZero() {
				c.opts.Now = now
			}
			f, err := Check(doc, c.opts)
			if c.want == nil {
				if err != nil {
					t.Fatalf("valid document rejected: %v", err)
				}
				if f == nil || f.SellerNIP != "5265877635" {
					t.Fatalf("facts %+v", f)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want %v", c.want)
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("findings %v, want fields %v\n%v", got, c.want, errs.As(err).Findings)
			}
		})
	}
}

// TestCheckDateInPoland: P_1 is compared with the calendar date in
// Poland, which is a day ahead of UTC for an hour or two around midnight.
func TestCheckDateInPoland(t *testing.T) {
	cases := []struct {
		now  time.Time
		p1   string
		want bool
	}{
		{time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), "2026-12-02", true}, // 00:30 CET
		{time.Date(2026, 12, 1, 22, 30, 0, 0, time.UTC), "2026-12-02", false},
		{time.Date(2026, 6, 30, 22, 30, 0, 0, time.UTC), "2026-07-01", true}, // 00:30 CEST
		{time.Date(2026, 6, 30, 21, 30, 0, 0, time.UTC), "2026-07-01", false},
	}
	for _, c := range cases {
		doc := replace("<P_1>2026-11-30</P_1>", "<P_1>"+c.p1+"</P_1>")(fa3(t))
		_, err := Check(doc, CheckOptions{Now: c.now})
		if (err == nil) != c.want {
			t.Errorf("P_1 %s at %s: err %v, want accepted=%v", c.p1, c.now, err, c.want)
		}
	}
}

func TestCheckUnknownSessionFormCode(t *testing.T) {
	_, err := Check(fa3(t), CheckOptions{FormCode: FormCode{SystemCode: "FA (9)"}})
	if errs.As(err).Field != "formCode" {
		t.Fatalf("err %v", err)
	}
}

func TestCheckFindingsAreCapped(t *testing.T) {
	doc := replace("Elektrownia", strings.Repeat("\u0080", 100))(fa3(t))
	_, err := Check(doc, CheckOptions{Now: now})
	got := fields(t, err)
	if len(got) != maxCharProblems+1 {
		t.Fatalf("%d findings: %v", len(got), errs.As(err).Findings)
	}
	if last := errs.As(err).Findings[maxCharProblems]; !strings.Contains(last, "95 more") {
		t.Fatalf("last finding %q", last)
	}
}

func TestReadFactsAppliesNoRules(t *testing.T) {
	doc := replace("<P_1>2026-11-30</P_1>", "<P_1>2099-01-01</P_1>")(prepend("\xEF\xBB\xBF")(fa3(t)))
	f, err := ReadFacts(doc)
	if err != nil || f.SellerNIP != "5265877635" || f.IssueDate != "2099-01-01" || f.FormCode != FA3 {
		t.Fatalf("%+v %v", f, err)
	}
	for doc, field := range map[string]string{
		"<a":                       "invoice.xml",
		`<Faktura xmlns="urn:x"/>`: "invoice.formCode",
		strings.Replace(farr, "<P_4B>2026-11-23</P_4B>", "", 1): "invoice.P_4B",
	} {
		if _, err := ReadFacts([]byte(doc)); errs.As(err).Field != field {
			t.Errorf("%.30q: %v", doc, err)
		}
	}
}
