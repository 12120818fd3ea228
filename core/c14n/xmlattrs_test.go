package c14n

import "testing"

// The inclusive methods carry xml:* attributes of omitted ancestors onto the
// apex; Canonical XML 1.0 all of them, 1.1 only xml:lang and xml:space
// (plus the xml:base join); exclusive none.
func TestXMLAttributeInheritance(t *testing.T) {
	const doc = `<r xml:lang="en" xml:space="preserve" xml:id="r1" xml:base="http://e.org/a/" xml:foo="f"><m xml:lang="pl"><x/></m></r>`
	runSubtreeCases(t, []subtreeCase{
		{name: "leaf", doc: doc, tag: "x",
			inc10: `<x xml:base="http://e.org/a/" xml:foo="f" xml:id="r1" xml:lang="pl" xml:space="preserve"></x>`,
			exc:   `<x></x>`,
			inc11: `<x xml:base="http://e.org/a/" xml:lang="pl" xml:space="preserve"></x>`},
		// The apex's own value wins; nothing is added below the apex.
		{name: "own value", doc: doc, tag: "m",
			inc10: `<m xml:base="http://e.org/a/" xml:foo="f" xml:id="r1" xml:lang="pl" xml:space="preserve"><x></x></m>`,
			exc:   `<m xml:lang="pl"><x></x></m>`,
			inc11: `<m xml:base="http://e.org/a/" xml:lang="pl" xml:space="preserve"><x></x></m>`},
		{name: "whole document", doc: doc,
			inc10: `<r xml:base="http://e.org/a/" xml:foo="f" xml:id="r1" xml:lang="en" xml:space="preserve"><m xml:lang="pl"><x></x></m></r>`,
			inc11: `<r xml:base="http://e.org/a/" xml:foo="f" xml:id="r1" xml:lang="en" xml:space="preserve"><m xml:lang="pl"><x></x></m></r>`},
	})
}

// C14N 1.1 §3.8 (as corrected by erratum E11-01) without its DTD: its
// node-set keeps e1 and e3 and omits e2, so e3's xml:base is e2's "bar/"
// joined with e3's "foo". These are the subtrees of the same document,
// where every ancestor of the apex is omitted.
func TestXMLBaseFixup(t *testing.T) {
	const spec38 = `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:base="something/else">
   <e1>
      <e2 xmlns="" xml:id="abc" xml:base="bar/">
         <e3 id="E3" xml:base="foo"/>
      </e2>
   </e1>
</doc>`
	runSubtreeCases(t, []subtreeCase{
		{name: "3.8 e3", doc: spec38, tag: "e3",
			inc10: `<e3 xmlns:w3c="http://www.w3.org" id="E3" xml:base="foo" xml:id="abc"></e3>`,
			inc11: `<e3 xmlns:w3c="http://www.w3.org" id="E3" xml:base="something/bar/foo"></e3>`},
		{name: "3.8 e2", doc: spec38, tag: "e2",
			inc11: "<e2 xmlns:w3c=\"http://www.w3.org\" xml:base=\"something/bar/\" xml:id=\"abc\">\n         <e3 id=\"E3\" xml:base=\"foo\"></e3>\n      </e2>"},
		// No own xml:base: the nearest ancestor's, as is.
		{name: "3.8 e1", doc: spec38, tag: "e1",
			inc11: "<e1 xmlns=\"http://www.ietf.org\" xmlns:w3c=\"http://www.w3.org\" xml:base=\"something/else\">\n      <e2 xmlns=\"\" xml:base=\"bar/\" xml:id=\"abc\">\n         <e3 id=\"E3\" xml:base=\"foo\"></e3>\n      </e2>\n   </e1>"},
		// §2.4's worked values: "..", ".." and "x" below "foo/bar".
		{name: "dot segments", doc: `<a xml:base="foo/bar"><b xml:base=".."><c xml:base=".."><d xml:base="x"/></c></b></a>`, tag: "d",
			inc11: `<d xml:base="../x"></d>`},
		{name: "empty result is not rendered", doc: `<a xml:base="abc/"><b xml:base="../"/></a>`, tag: "b",
			inc10: `<b xml:base="../"></b>`, inc11: `<b></b>`},
		{name: "absolute reference wins", doc: `<a xml:base="x/"><b xml:base="http://h.example/p"/></a>`, tag: "b",
			inc11: `<b xml:base="http://h.example/p"></b>`},
		{name: "absolute base", doc: `<a xml:base="http://e.org/a/b?q#f"><m><c xml:base="../d#g"/></m></a>`, tag: "c",
			inc11: `<c xml:base="http://e.org/d"></c>`},
		{name: "no ancestor base leaves the own one", doc: `<a><b xml:base="./x/../y"/></a>`, tag: "b",
			inc11: `<b xml:base="./x/../y"></b>`},
	})
}

// Every row of C14N 1.1 Appendix A, the results of its modified
// remove_dot_segments.
func TestRemoveDotsAppendixA(t *testing.T) {
	rows := [][2]string{
		{"no/.././/pseudo-netpath/seg/file.ext", "pseudo-netpath/seg/file.ext"},
		{"no/..//.///pseudo-netpath/seg/file.ext", "pseudo-netpath/seg/file.ext"},
		{"yes/no//..//.///pseudo-netpath/seg/file.ext", "yes/pseudo-netpath/seg/file.ext"},
		{"no/../yes", "yes"},
		{"no/../yes/", "yes/"},
		{"no/../yes/no/..", "yes/"},
		{"../../no/../..", "../../../"},
		{"no/../..", "../"},
		{"no/..", ""},
		{"no/../", ""},
		{"/a/b/c/./../../g", "/a/g"},
		{"mid/content=5/../6", "mid/6"},
		{"../../..", "../../../"},
		{"no/../../", "../"},
		{"..yes/..no/..no/..no/../../../..yes", "..yes/..yes"},
		{"..yes/..no/..no/..no/../../../..yes/", "..yes/..yes/"},
		{"../..", "../../"},
		{"../../../", "../../../"},
		{".", ""},
		{"./", ""},
		{"./.", ""},
		{"//no/..", "/"},
		{"../../no/..", "../../"},
		{"../../no/../", "../../"},
		{"yes/no/../", "yes/"},
		{"yes/no/no/../..", "yes/"},
		{"yes/no/no/no/../../..", "yes/"},
		{"yes/no/../yes/no/no/../..", "yes/yes/"},
		{"yes/no/no/no/../../../yes", "yes/yes"},
		{"yes/no/no/no/../../../yes/", "yes/yes/"},
		{"/no/../", "/"},
		{"/yes/no/../", "/yes/"},
		{"/yes/no/no/../..", "/yes/"},
		{"/yes/no/no/no/../../..", "/yes/"},
		{"../../..no/..", "../../"},
		{"../../..no/../", "../../"},
		{"..yes/..no/../", "..yes/"},
		{"..yes/..no/..no/../..", "..yes/"},
		{"..yes/...no/..no/..no/../../..", "..yes/"},
		{"..yes/..no/../..yes/..no/..no/../..", "..yes/..yes/"},
		{"/..no/../", "/"},
		{"/..yes/..no/../", "/..yes/"},
		{"/..yes/..no/..no/../..", "/..yes/"},
		{"/..yes/..no/..no/..no/../../..", "/..yes/"},
		{"/", "/"},
		{"/.", "/"},
		{"/./", "/"},
		{"/./.", "/"},
		{"/././", "/"},
		{"/..", "/"},
		{"/../..", "/"},
		{"/../../..", "/"},
		{"//..", "/"},
		{"//..//..", "/"},
		{"//..//..//..", "/"},
		{"/./..", "/"},
		{"/./.././..", "/"},
		{"/./.././.././..", "/"},
		{"..", "../"},
		{"../", "../"},
	}
	for _, r := range rows {
		if got := removeDots(r[0]); got != r[1] {
			t.Errorf("removeDots(%q) = %q, want %q", r[0], got, r[1])
		}
	}
}

// C14N 1.1 §2.4's join examples, and RFC 3986 §5.2 behaviour the join keeps.
func TestJoinBase(t *testing.T) {
	for _, c := range [][3]string{
		{"abc/", "../", ""},
		{"../", "../", "../../"},
		{"..", "..", "../../"},
		{"..", "x", "../x"},
		{"..", "../x", "../../x"},
		{"bar/", "foo", "bar/foo"},
		{"something/else", "bar/", "something/bar/"},
		{"a/", "b#fragment", "a/b"},
		{"a/", "#fragment", "a/"},
		{"a/b?q", "", "a/b?q"},
		{"a/b?q", "?r", "a/b?r"},
		{"something/else", "urn:x", "urn:x"},
		{"http://h/a/b", "//g/x/../y", "http://g/y"},
		{"http://h", "x", "http://h/x"},
		{"http://h/a/b", "/c/./d", "http://h/c/d"},
		// A base ending in ".." reads as ending in "../", and the merged
		// path is fully dot-normalized. (libxml2 2.9.14 leaves "x/../b".)
		{"x/y/..", "../b", "b"},
	} {
		if got := joinBase(c[0], c[1]); got != c[2] {
			t.Errorf("join(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
