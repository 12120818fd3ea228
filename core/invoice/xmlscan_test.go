package invoice

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// nopHandler ignores what the scanner reads.
type nopHandler struct{}

func (nopHandler) startElement(*elem, []attr) {}
func (nopHandler) endElement(*elem)           {}
func (nopHandler) charData([]byte, bool)      {}
func (nopHandler) cdata([]byte)               {}
func (nopHandler) procInst([]byte, int)       {}

// wellFormed are documents the scanner must accept.
var wellFormed = []string{
	`<a/>`,
	`<?xml version="1.0"?><a/>`,
	"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<a/>\n",
	`<!-- c --><a><!----></a><!-- after -->`,
	`<a b="1" c='2'/>`,
	`<a b = "1" />`,
	`<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x41;&#x10FFFF;</a>`,
	`<a><![CDATA[<>&]]]]><![CDATA[>]]></a>`,
	`<a xmlns="urn:a" xmlns:p="urn:p"><p:b p:c="1" c="2"/></a>`,
	`<a xmlns="urn:a"><b xmlns=""/></a>`,
	`<a xml:lang="pl" xmlns:xml="http://www.w3.org/XML/1998/namespace"/>`,
	`<ą:b xmlns:ą="urn:x" ż="1">ż</ą:b>`,
	"<a   >text  </a   >",
	`<a>]]</a>`,
	`<a>]></a>`,
	"<a>\r\n\r</a>",
	`<a b="&#60;&lt;>"/>`,
	`<a><?pi?><?pi with data?></a>`,
	`<a>-- </a>`,
	`<a xmlns:p="urn:1" xmlns:q="urn:2" p:x="1" q:x="2"/>`,
	`<a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></a>`,
	`<?xml-stylesheet href="x"?><a/>`,
	`<a b="x&#x9;y"/>`,
	`<_.-a·/>`,
}

// notWellFormed are documents the scanner must reject.
var notWellFormed = []string{
	``,
	`   `,
	`<a>`,
	`<a></b>`,
	`<a><b></a></b>`,
	`<a/><b/>`,
	`x<a/>`,
	`<a/>x`,
	`<a b="1" b="2"/>`,
	`<a xmlns:p="urn:1" xmlns:q="urn:1" p:x="1" q:x="2"/>`,
	`<p:a/>`,
	`<a p:b="1"/>`,
	`<a xmlns:p=""/>`,
	`<a xmlns:xmlns="urn:x"/>`,
	`<a xmlns:xml="urn:x"/>`,
	`<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>`,
	`<a xmlns="http://www.w3.org/2000/xmlns/"/>`,
	`<xmlns:a/>`,
	`<a:b:c xmlns:a="u"/>`,
	`<:a/>`,
	`<a:/>`,
	`<a>&unknown;</a>`,
	`<a>& </a>`,
	`<a>&#x;</a>`,
	`<a>&#xD800;</a>`,
	`<a>&#0;</a>`,
	`<a>&#X41;</a>`,
	`<a>&#1114112;</a>`,
	`<a>&amp</a>`,
	`<a b="<"/>`,
	`<a b=1/>`,
	`<a b="1"c="2"/>`,
	`<a b/>`,
	`<a>]]></a>`,
	`<!-- a -- b --><a/>`,
	`<!-- a ---><a/>`,
	`<a><!DOCTYPE x></a>`,
	`<?xml version="1.0"?><?xml version="1.0"?><a/>`,
	` <?xml version="1.0"?><a/>`,
	`<?xml encoding="UTF-8" version="1.0"?><a/>`,
	`<?xml version="1.0" standalone="maybe"?><a/>`,
	`<?xml version="2.0"?><a/>`,
	`<?xml?><a/>`,
	`<a><?xml x?></a>`,
	`<?p:q x?><a/>`,
	`<a><![CDATA[x</a>`,
	`<1a/>`,
	`<a></a`,
	`<a b="1"`,
	`<a><!-- x</a>`,
	`<a/ >`,
	`<a><![CDATA[x]]></a><![CDATA[y]]>`,
}

func TestScannerAcceptsWellFormed(t *testing.T) {
	for _, doc := range wellFormed {
		if _, err := scan([]byte(doc), 0, nopHandler{}); err != nil {
			t.Errorf("%q rejected: %s", doc, err.msg)
		}
	}
}

func TestScannerRejectsNotWellFormed(t *testing.T) {
	for _, doc := range notWellFormed {
		if _, err := scan([]byte(doc), 0, nopHandler{}); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
	if _, err := scan([]byte(`<!DOCTYPE a><a/>`), 0, nopHandler{}); err == nil || err.kind != errDoctype {
		t.Errorf("DOCTYPE: %v", err)
	}
}

// TestScannerAgreesWithEncodingXML: whatever the scanner accepts, the
// standard library's decoder must accept too.
func TestScannerAgreesWithEncodingXML(t *testing.T) {
	for _, doc := range append(wellFormed, string(fa3(t))) {
		if err := stdlibParse([]byte(doc)); err != nil {
			t.Errorf("%q: accepted here, encoding/xml says %v", doc, err)
		}
	}
}

func stdlibParse(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestScannerAgreesWithLibxml2 holds both tables to xmllint's verdict
// (libxml2 checks namespace well-formedness too). Skipped without xmllint.
func TestScannerAgreesWithLibxml2(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed (make deps installs libxml2-utils)")
	}
	check := func(doc string, want bool) {
		cmd := exec.Command("xmllint", "--noout", "--nonet", "-")
		cmd.Stdin = strings.NewReader(doc)
		out, err := cmd.CombinedOutput()
		// libxml2 reports namespace errors without failing the exit status.
		ok := err == nil && !bytes.Contains(out, []byte("error"))
		if ok != want {
			t.Errorf("%q: xmllint well-formed=%v, this table says %v: %s", doc, ok, want, out)
		}
	}
	for _, doc := range wellFormed {
		check(doc, true)
	}
	for _, doc := range notWellFormed {
		check(doc, false)
	}
}

func TestAppendText(t *testing.T) {
	cases := []struct {
		raw  string
		mode textMode
		want string
	}{
		{"a&lt;b&#x41;&#66;\r\nc\rd", modeText, "a<bAB\nc\nd"},
		{"a\tb\r\nc&#10;", modeAttr, "a b c\n"},
		{"&amp;\r\n", modeCDATA, "&amp;\n"},
	}
	for _, c := range cases {
		if got := string(appendText(nil, []byte(c.raw), c.mode)); got != c.want {
			t.Errorf("%q mode %d: %q, want %q", c.raw, c.mode, got, c.want)
		}
	}
}

// TestPlainASCII holds the word-at-a-time test to the byte-at-a-time one
// on every byte value in every position.
func TestPlainASCII(t *testing.T) {
	ok := func(c byte) bool { return c >= 0x20 && c < 0x7F || c == '\t' || c == '\n' || c == '\r' }
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			for _, fill := range []byte{'a', '\n', 0x1F, ' '} {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				want := true
				for _, b := range w {
					want = want && ok(b)
				}
				if got := plainASCII(binary.LittleEndian.Uint64(w[:])); got != want {
					t.Fatalf("%q: %v, want %v", w, got, want)
				}
			}
		}
	}
}
