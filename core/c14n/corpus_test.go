package c14n

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// corpus is the set of whole documents the reference checks run over (the
// differential against goxmldsig on every subtree of each, xmllint on each
// whole document). It stays within what libxml2 and encoding/xml agree on
// as input: no DTD; no literal tab, CR or LF inside attribute values
// (encoding/xml does not do XML 1.0 §3.3.3 attribute-value normalization,
// libxml2 does; references like &#9; are fine); no relative namespace URIs
// (libxml2 refuses them, and takes a non-ASCII one for relative); no
// xml:base="" (libxml2's C14N 1.1 drops it even where nothing is omitted).
func corpus(t testing.TB) map[string]string {
	t.Helper()
	docs := map[string]string{
		"spec31": `<?xml version="1.0"?>

<?xml-stylesheet   href="doc.xsl"
   type="text/xsl"   ?>

<doc>Hello, world!<!-- Comment 1 --></doc>

<?pi-without-data     ?>

<!-- Comment 2 -->

<!-- Comment 3 -->`,
		"spec32": `<doc>
   <clean>   </clean>
   <dirty>   A   B   </dirty>
   <mixed>
      A
      <clean>   </clean>
      B
      <dirty>   A   B   </dirty>
      C
   </mixed>
</doc>`,
		"spec33": spec33,
		"spec34": spec34,
		"spec36": `<doc>&#169;</doc>`,
		"spec37": `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org">
   <e1>
      <e2 xmlns="">
         <e3 id="E3"/>
      </e2>
   </e1>
</doc>`,
		"spec38": `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:base="something/else">
   <e1>
      <e2 xmlns="" xml:id="abc" xml:base="bar/">
         <e3 id="E3" xml:base="foo"/>
      </e2>
   </e1>
</doc>`,
		"exc1": `<n0:local xmlns:n0="http://foo.example/bar" xmlns:n3="ftp://example.org">
  <n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
     <n3:stuff xmlns:n3="ftp://example.org"/>
  </n1:elem2>
</n0:local>`,
		"exc2": `<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:foo="bar">
  <n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
     <n3:stuff xmlns:n3="ftp://example.org"/>
  </n1:elem2>
</n2:pdu>`,
		"defaults":         `<r xmlns="urn:d"><x xmlns=""><y/><p:z xmlns:p="urn:p" xmlns="urn:d2"><w/><v xmlns="urn:d"/></p:z></x><u/></r>`,
		"undeclare":        `<p:r xmlns:p="urn:p" xmlns="urn:d"><x xmlns=""><p:y/></x><z/></p:r>`,
		"prefixes":         `<r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><x a:k="1"><b:y xmlns:b="urn:b2" b:k="2"><c:z/></b:y><b:y/></x><a:q xmlns:a="urn:a"/></r>`,
		"attr order":       `<r xmlns:b="urn:a" xmlns:a="urn:z"><e a:x="1" b:y="2" c="3" b:x="4" xml:lang="en" xml:space="preserve" d="5"/><f xmlns:z="http://a.example/" z:q="1" q="0" b:q="2"/></r>`,
		"xml attrs":        `<r xml:lang="en" xml:space="preserve" xml:id="r1" xml:base="http://e.org/a/" xml:foo="f"><m xml:lang="pl"><x xml:base="b/c"><y/></x></m></r>`,
		"comments and PIs": "<?first x y ?><!-- before --><r><!--in\r\nside--><?pi a\r\nb?><x><!---->text<?p?></x></r><!-- after\r --><?last?>",
		"escapes":          `<r a="&lt;&amp;&gt;&quot;&apos;&#9;&#10;&#13;" b='"single"'>&lt;tag&gt; &amp; "q" 'a' &#13;&#10;<![CDATA[<cdata> & ]]]]><![CDATA[> ]]>&#x9;tab</r>`,
		"unicode":          `<zażółć xmlns:ł="http://example.org/l" ł:gęś="jaźń 😀">Ünïcödé ✓ 𝄞<ł:x ł:a="ß"/></zażółć>`,
		"deep":             `<a xmlns="urn:1"><b xmlns="urn:2" xmlns:p="urn:p"><c xmlns=""><d xmlns="urn:1"><p:e xmlns:p="urn:q"><f/><p:g xmlns:p="urn:p"/></p:e></d></c></b></a>`,
		"auth request": `<?xml version="1.0" encoding="utf-8"?>
<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Challenge>20250101-CR-ABCDEF0123-0123456789-AB</Challenge>
  <ContextIdentifier>
    <Nip>5265877635</Nip>
  </ContextIdentifier>
  <SubjectIdentifierType>certificateSubject</SubjectIdentifierType>
</AuthTokenRequest>`,
		"siblings": `<r><p:a xmlns:p="urn:1"/><p:a xmlns:p="urn:2"/><a xmlns="urn:3"/><a/></r>`,
		"empty":    `<r/>`,
	}
	// Real signed documents: the xades golden vectors.
	files, _ := filepath.Glob(filepath.Join("..", "xades", "testdata", "golden", "*.xml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(p)] = string(b)
	}
	return docs
}

// elements lists el and its descendants in document order.
func elements(el *etree.Element) []*etree.Element {
	out := []*etree.Element{el}
	for _, c := range el.ChildElements() {
		out = append(out, elements(c)...)
	}
	return out
}

// The canonical form of a whole document, read back and canonicalized
// again, is itself (C14N output is canonical).
func TestCorpusIdempotent(t *testing.T) {
	for name, src := range corpus(t) {
		for _, m := range allMethods {
			for _, wc := range []bool{false, true} {
				checkIdempotent(t, name, parse(t, src), Options{Method: m, WithComments: wc})
			}
		}
	}
}

func checkIdempotent(t testing.TB, name string, doc *etree.Document, o Options) {
	t.Helper()
	once, err := Document(doc, o)
	if err != nil {
		return
	}
	again := etree.NewDocument()
	if err := again.ReadFromBytes(once); err != nil {
		t.Fatalf("%s %v: output is not XML: %v\n%s", name, o.Method, err, once)
	}
	twice, err := Document(again, o)
	if err != nil || string(twice) != string(once) {
		t.Errorf("%s %v comments=%v: not idempotent (%v)\n once %q\ntwice %q", name, o.Method, o.WithComments, err, once, twice)
	}
}
