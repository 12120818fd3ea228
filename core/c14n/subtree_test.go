package c14n

import (
	"testing"

	"github.com/beevik/etree"
)

// subtreeCase canonicalizes the element tag of doc with each method and
// compares with the expected output per method ("" entries are skipped).
type subtreeCase struct {
	name, doc, tag    string
	opts              Options // Method is overwritten
	inc10, exc, inc11 string
}

func runSubtreeCases(t *testing.T, cases []subtreeCase) {
	t.Helper()
	for _, tc := range cases {
		doc := parse(t, tc.doc)
		el := doc.Root()
		if tc.tag != "" {
			el = find(t, doc, tc.tag)
		}
		for _, w := range []struct {
			m    Method
			want string
		}{{Inclusive10, tc.inc10}, {Exclusive10, tc.exc}, {Inclusive11, tc.inc11}} {
			if w.want == "" {
				continue
			}
			o := tc.opts
			o.Method = w.m
			if got := mustSubtree(t, el, o); got != w.want {
				t.Errorf("%s, %v:\n got %s\nwant %s", tc.name, w.m, got, w.want)
			}
		}
	}
}

// A subtree as it stands in its document: inclusive methods put every
// namespace in scope on the apex, the exclusive method only those the apex
// and its descendants visibly use, each where it is first used.
func TestNamespaceContextFromAncestors(t *testing.T) {
	// The document of C14N 1.0 §3.7 without its DTD; its node-set is not
	// a subtree, these are the subtrees of the same document.
	const spec37 = `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org">
   <e1>
      <e2 xmlns="">
         <e3 id="E3"/>
      </e2>
   </e1>
</doc>`
	const uses = `<r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><x><a:y b:z="1"/></x></r>`
	runSubtreeCases(t, []subtreeCase{
		{name: "3.7 e1", doc: spec37, tag: "e1",
			inc10: "<e1 xmlns=\"http://www.ietf.org\" xmlns:w3c=\"http://www.w3.org\">\n      <e2 xmlns=\"\">\n         <e3 id=\"E3\"></e3>\n      </e2>\n   </e1>",
			exc:   "<e1 xmlns=\"http://www.ietf.org\">\n      <e2 xmlns=\"\">\n         <e3 id=\"E3\"></e3>\n      </e2>\n   </e1>",
			inc11: "<e1 xmlns=\"http://www.ietf.org\" xmlns:w3c=\"http://www.w3.org\">\n      <e2 xmlns=\"\">\n         <e3 id=\"E3\"></e3>\n      </e2>\n   </e1>"},
		// The apex's default is empty: no xmlns="" on it, as no output
		// ancestor declared one.
		{name: "3.7 e2", doc: spec37, tag: "e2",
			inc10: "<e2 xmlns:w3c=\"http://www.w3.org\">\n         <e3 id=\"E3\"></e3>\n      </e2>",
			exc:   "<e2>\n         <e3 id=\"E3\"></e3>\n      </e2>"},
		{name: "3.7 e3", doc: spec37, tag: "e3",
			inc10: `<e3 xmlns:w3c="http://www.w3.org" id="E3"></e3>`,
			exc:   `<e3 id="E3"></e3>`,
			inc11: `<e3 xmlns:w3c="http://www.w3.org" id="E3"></e3>`},
		{name: "prefixes used below the apex", doc: uses, tag: "x",
			inc10: `<x xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c"><a:y b:z="1"></a:y></x>`,
			exc:   `<x><a:y xmlns:a="urn:a" xmlns:b="urn:b" b:z="1"></a:y></x>`},
		{name: "prefixes used on the apex", doc: uses, tag: "a:y",
			inc10: `<a:y xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" b:z="1"></a:y>`,
			exc:   `<a:y xmlns:a="urn:a" xmlns:b="urn:b" b:z="1"></a:y>`},
		{name: "apex redeclares an ancestor's prefix",
			doc: `<r xmlns:a="urn:1" xmlns="urn:d1"><a:x xmlns:a="urn:2" xmlns="urn:d2"><y/></a:x></r>`, tag: "a:x",
			inc10: `<a:x xmlns="urn:d2" xmlns:a="urn:2"><y></y></a:x>`,
			exc:   `<a:x xmlns:a="urn:2"><y xmlns="urn:d2"></y></a:x>`,
			inc11: `<a:x xmlns="urn:d2" xmlns:a="urn:2"><y></y></a:x>`},
		{name: "default from an ancestor", doc: `<r xmlns="urn:d"><m><x/></m></r>`, tag: "x",
			inc10: `<x xmlns="urn:d"></x>`, exc: `<x xmlns="urn:d"></x>`, inc11: `<x xmlns="urn:d"></x>`},
		// The root of a document has no context: Subtree and Document agree.
		{name: "root", doc: `<?pi x?><r xmlns:a="urn:a"><a:x/></r>`,
			inc10: `<r xmlns:a="urn:a"><a:x></a:x></r>`,
			exc:   `<r><a:x xmlns:a="urn:a"></a:x></r>`},
	})
}

func TestSuperfluousDeclarationsDropped(t *testing.T) {
	runSubtreeCases(t, []subtreeCase{
		{name: "same prefix, same value",
			doc:   `<r xmlns:a="urn:a" xmlns="urn:d"><a:x xmlns:a="urn:a" xmlns="urn:d"><a:y xmlns:a="urn:a"/></a:x></r>`,
			inc10: `<r xmlns="urn:d" xmlns:a="urn:a"><a:x><a:y></a:y></a:x></r>`,
			exc:   `<r xmlns="urn:d"><a:x xmlns:a="urn:a"><a:y></a:y></a:x></r>`},
		{name: "xmlns:xml is never output",
			doc:   `<r xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="en"><x xmlns:xml="http://www.w3.org/XML/1998/namespace"/></r>`,
			inc10: `<r xml:lang="en"><x></x></r>`, exc: `<r xml:lang="en"><x></x></r>`, inc11: `<r xml:lang="en"><x></x></r>`},
	})
}

// xmlns="" appears only where it undoes a non-empty default of the output
// context: for the inclusive methods the parent's default; for the
// exclusive one the default rendered by the nearest output ancestor, and
// only on elements that use the default namespace.
func TestEmptyDefaultNamespace(t *testing.T) {
	runSubtreeCases(t, []subtreeCase{
		{name: "undeclared under a default",
			doc:   `<r xmlns="urn:d"><x xmlns=""><y/></x></r>`,
			inc10: `<r xmlns="urn:d"><x xmlns=""><y></y></x></r>`,
			exc:   `<r xmlns="urn:d"><x xmlns=""><y></y></x></r>`,
			inc11: `<r xmlns="urn:d"><x xmlns=""><y></y></x></r>`},
		{name: "superfluous undeclaration",
			doc:   `<r xmlns=""><x xmlns=""/></r>`,
			inc10: `<r><x></x></r>`, exc: `<r><x></x></r>`, inc11: `<r><x></x></r>`},
		{name: "apex under an undeclaration",
			doc: `<r xmlns="urn:d"><x xmlns=""><y/></x></r>`, tag: "y",
			inc10: `<y></y>`, exc: `<y></y>`, inc11: `<y></y>`},
		{name: "prefixed element does not use the default",
			doc:   `<r xmlns="urn:d"><p:x xmlns:p="urn:p" xmlns=""><y/></p:x></r>`,
			inc10: `<r xmlns="urn:d"><p:x xmlns="" xmlns:p="urn:p"><y></y></p:x></r>`,
			exc:   `<r xmlns="urn:d"><p:x xmlns:p="urn:p"><y xmlns=""></y></p:x></r>`},
		{name: "default declared but never rendered",
			doc:   `<p:r xmlns:p="urn:p" xmlns="urn:d"><x xmlns=""/></p:r>`,
			inc10: `<p:r xmlns="urn:d" xmlns:p="urn:p"><x xmlns=""></x></p:r>`,
			exc:   `<p:r xmlns:p="urn:p"><x></x></p:r>`},
		{name: "#default renders the default as inclusive C14N would",
			doc: `<p:r xmlns:p="urn:p" xmlns="urn:d"><x xmlns=""/></p:r>`, opts: Options{InclusivePrefixes: []string{"#default"}},
			exc: `<p:r xmlns="urn:d" xmlns:p="urn:p"><x xmlns=""></x></p:r>`},
		{name: "#default with an empty default in scope",
			doc: `<r><p:x xmlns:p="urn:p"/></r>`, tag: "p:x", opts: Options{InclusivePrefixes: []string{"#default"}},
			exc: `<p:x xmlns:p="urn:p"></p:x>`},
	})
}

func TestInclusivePrefixList(t *testing.T) {
	const doc = `<r xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" xmlns="urn:d"><p:x xmlns:p="urn:p" b:attr="1"><y/><p:z xmlns:a="urn:a"/><p:w xmlns:a="urn:other"/></p:x></r>`
	runSubtreeCases(t, []subtreeCase{
		{name: "none", doc: doc, tag: "p:x",
			exc: `<p:x xmlns:b="urn:b" xmlns:p="urn:p" b:attr="1"><y xmlns="urn:d"></y><p:z></p:z><p:w></p:w></p:x>`},
		// a is rendered on the apex because it is in scope there, and on
		// p:w because its binding changes; not on p:z, which repeats it.
		{name: "a", doc: doc, tag: "p:x", opts: Options{InclusivePrefixes: []string{"a"}},
			exc: `<p:x xmlns:a="urn:a" xmlns:b="urn:b" xmlns:p="urn:p" b:attr="1"><y xmlns="urn:d"></y><p:z></p:z><p:w xmlns:a="urn:other"></p:w></p:x>`},
		{name: "#default and unknown prefixes", doc: doc, tag: "p:x", opts: Options{InclusivePrefixes: []string{"#default", "zz", "xml", "b"}},
			exc: `<p:x xmlns="urn:d" xmlns:b="urn:b" xmlns:p="urn:p" b:attr="1"><y></y><p:z></p:z><p:w></p:w></p:x>`},
		// The inclusive methods render everything in scope anyway.
		{name: "inclusive ignores the list", doc: doc, tag: "p:x", opts: Options{InclusivePrefixes: []string{"a"}},
			inc10: `<p:x xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" xmlns:p="urn:p" b:attr="1"><y></y><p:z></p:z><p:w xmlns:a="urn:other"></p:w></p:x>`},
	})
}

func TestSplitPrefixList(t *testing.T) {
	got := SplitPrefixList(" a\t#default\r\nb  ")
	if len(got) != 3 || got[0] != "a" || got[1] != "#default" || got[2] != "b" {
		t.Errorf("%q", got)
	}
	if got := SplitPrefixList(" \n"); len(got) != 0 {
		t.Errorf("%q", got)
	}
}

// Attributes sort by namespace URI, then local name; the prefix plays no
// part, and unqualified attributes come first. (The XML namespace,
// http://..., sorts before urn:.)
func TestAttributeOrder(t *testing.T) {
	runSubtreeCases(t, []subtreeCase{
		{name: "by URI, not prefix",
			doc: `<r xmlns:b="urn:a" xmlns:a="urn:z"><e a:x="1" b:y="2" c="3" b:x="4" xml:lang="en"/></r>`, tag: "e",
			inc10: `<e xmlns:a="urn:z" xmlns:b="urn:a" c="3" xml:lang="en" b:x="4" b:y="2" a:x="1"></e>`,
			exc:   `<e xmlns:a="urn:z" xmlns:b="urn:a" c="3" xml:lang="en" b:x="4" b:y="2" a:x="1"></e>`},
	})
}

func TestExclude(t *testing.T) {
	const src = `<r xmlns:ds="urn:ds"><a/><ds:Signature><ds:x/></ds:Signature><ds:b/><!--c--></r>`
	doc := parse(t, src)
	isSig := func(e *etree.Element) bool { return e.Tag == "Signature" }
	calls := 0
	counting := func(e *etree.Element) bool { calls++; return isSig(e) }
	if got := mustSubtree(t, doc.Root(), Options{Exclude: counting}); got != `<r xmlns:ds="urn:ds"><a></a><ds:b></ds:b></r>` {
		t.Errorf("inclusive: %s", got)
	}
	if calls != 4 { // r, a, Signature, b: never below an excluded element
		t.Errorf("Exclude asked %d times, want 4", calls)
	}
	// The excluded element would have rendered ds first; now ds:b does.
	if got := mustSubtree(t, doc.Root(), Options{Method: Exclusive10, Exclude: isSig}); got != `<r><a></a><ds:b xmlns:ds="urn:ds"></ds:b></r>` {
		t.Errorf("exclusive: %s", got)
	}
	if got := mustSubtree(t, doc.Root(), Options{Method: Exclusive10, WithComments: true, Exclude: isSig}); got != `<r><a></a><ds:b xmlns:ds="urn:ds"></ds:b><!--c--></r>` {
		t.Errorf("exclusive with comments: %s", got)
	}
	// Excluding the apex leaves nothing.
	if got := mustSubtree(t, find(t, doc, "ds:Signature"), Options{Exclude: isSig}); got != "" {
		t.Errorf("excluded apex: %q", got)
	}
	// Nothing was copied or changed.
	if s, _ := doc.WriteToString(); s != src {
		t.Errorf("the tree changed:\n%s", s)
	}
	// Document with the root excluded keeps what is around it.
	d := parse(t, `<?p?><!--x--><r/><?q?>`)
	if got := mustDocument(t, d, Options{WithComments: true, Exclude: func(*etree.Element) bool { return true }}); got != "<?p?>\n<!--x-->\n\n<?q?>" {
		t.Errorf("document, root excluded: %q", got)
	}
}

func TestComments(t *testing.T) {
	doc := parse(t, "<r><!-- a --><x><!--b--></x><?pi data?></r>")
	for _, m := range allMethods {
		if got := mustSubtree(t, doc.Root(), Options{Method: m}); got != "<r><x></x><?pi data?></r>" {
			t.Errorf("%v: %s", m, got)
		}
		if got := mustSubtree(t, doc.Root(), Options{Method: m, WithComments: true}); got != "<r><!-- a --><x><!--b--></x><?pi data?></r>" {
			t.Errorf("%v with comments: %s", m, got)
		}
	}
}

// encoding/xml normalizes line ends in text and attribute values, where a
// remaining #xD can only come from a character reference and is escaped.
// It leaves comments and PIs alone, so C14N's reader-side normalization
// (XML 1.0 §2.11) happens here.
func TestLineEnds(t *testing.T) {
	doc := parse(t, "<r a=\"1\r\n2&#13;3\">x\r\ny\rz&#13;\r\n<!--c\r\nd\re--><?p q\r\nr?></r>")
	want := "<r a=\"1&#xA;2&#xD;3\">x\ny\nz&#xD;\n<!--c\nd\ne--><?p q\nr?></r>"
	if got := mustSubtree(t, doc.Root(), Options{WithComments: true}); got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

func TestAppend(t *testing.T) {
	doc := parse(t, `<r><a/></r>`)
	got, err := AppendSubtree([]byte("prefix:"), doc.Root(), Options{})
	if err != nil || string(got) != "prefix:<r><a></a></r>" {
		t.Errorf("AppendSubtree: %q %v", got, err)
	}
	got, err = AppendDocument(nil, doc, Options{Method: Exclusive10})
	if err != nil || string(got) != "<r><a></a></r>" {
		t.Errorf("AppendDocument: %q %v", got, err)
	}
	bad := etree.NewElement("p:x")
	dst := []byte("keep")
	got, err = AppendSubtree(dst, bad, Options{})
	if err == nil || string(got) != "keep" {
		t.Errorf("AppendSubtree on error: %q %v", got, err)
	}
}

func TestAlgorithms(t *testing.T) {
	for _, m := range allMethods {
		for _, wc := range []bool{false, true} {
			uri := m.URI(wc)
			gm, gwc, ok := ByAlgorithm(uri)
			if !ok || gm != m || gwc != wc {
				t.Errorf("%v/%v: %s → %v %v %v", m, wc, uri, gm, gwc, ok)
			}
		}
	}
	if _, _, ok := ByAlgorithm("http://www.w3.org/2000/09/xmldsig#enveloped-signature"); ok {
		t.Error("enveloped-signature is not a canonicalization method")
	}
	if Method(9).URI(false) != "" || Method(9).String() != "unknown" {
		t.Error("unknown method")
	}
}

// The document node: nodes before the root are followed by a line feed,
// nodes after it preceded by one; the XML declaration and whitespace
// outside the root are not nodes.
func TestDocumentAroundRoot(t *testing.T) {
	doc := parse(t, "<?xml version=\"1.0\"?>\n<!--a-->\n<?p1 x?>\n<r/>\n<!--b\r\nc-->\n<?p2?>\n")
	for _, m := range allMethods {
		if got := mustDocument(t, doc, Options{Method: m}); got != "<?p1 x?>\n<r></r>\n<?p2?>" {
			t.Errorf("%v: %q", m, got)
		}
		if got := mustDocument(t, doc, Options{Method: m, WithComments: true}); got != "<!--a-->\n<?p1 x?>\n<r></r>\n<!--b\nc-->\n<?p2?>" {
			t.Errorf("%v with comments: %q", m, got)
		}
	}
}

// The pooled state carries nothing from one call to the next, errors
// included, and calls may run concurrently (run with -race).
func TestPooledStateIsClean(t *testing.T) {
	doc := parse(t, `<r xmlns:a="urn:a"><x/></r>`)
	x := find(t, doc, "x")
	bad := parse(t, `<r xmlns:a="urn:a"><x><p:y/></x></r>`)
	want := `<x></x>`
	done := make(chan bool)
	for g := range 4 {
		go func() {
			defer func() { done <- true }()
			for i := range 200 {
				if _, err := Subtree(bad.Root(), Options{Method: Method(i % 3), InclusivePrefixes: []string{"a"}}); err == nil {
					t.Error("no error")
				}
				if _, err := Subtree(x, Options{Method: Exclusive10, InclusivePrefixes: []string{"a"}}); err != nil {
					t.Error(err)
				}
				if got, err := Subtree(x, Options{Method: Exclusive10}); err != nil || string(got) != want {
					t.Errorf("goroutine %d: %s %v", g, got, err)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
