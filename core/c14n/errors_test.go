package c14n

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Trees no namespace-well-formed document yields are errors, for every
// method: output for them would be wrong or not XML.
func TestImpossibleInput(t *testing.T) {
	parsed := func(s string) func() *etree.Element {
		return func() *etree.Element { return parse(t, s).Root() }
	}
	built := func(f func(r *etree.Element)) func() *etree.Element {
		return func() *etree.Element {
			r := etree.NewElement("r")
			f(r)
			return r
		}
	}
	for name, mk := range map[string]func() *etree.Element{
		"undeclared element prefix":     parsed(`<r><p:x/></r>`),
		"undeclared attribute prefix":   parsed(`<r><x p:a="1"/></r>`),
		"same expanded attribute name":  parsed(`<r xmlns:a="urn:x" xmlns:b="urn:x"><e a:k="1" b:k="2"/></r>`),
		"prefix unbound (XML 1.1 only)": parsed(`<r xmlns:p="urn:p"><x xmlns:p=""/></r>`),
		"xml prefix rebound":            parsed(`<r xmlns:xml="urn:x"/>`),
		"xmlns prefix declared":         parsed(`<r xmlns:xmlns="urn:x"/>`),
		"other prefix for XML ns":       parsed(`<r xmlns:x="http://www.w3.org/XML/1998/namespace"/>`),
		"default bound to xmlns ns":     parsed(`<r xmlns="http://www.w3.org/2000/xmlns/"/>`),
		"duplicate attribute": built(func(r *etree.Element) {
			r.Attr = append(r.Attr, etree.Attr{Key: "a", Value: "1"}, etree.Attr{Key: "a", Value: "2"})
		}),
		"duplicate declaration": built(func(r *etree.Element) {
			r.Attr = append(r.Attr, etree.Attr{Space: "xmlns", Key: "p", Value: "urn:1"}, etree.Attr{Space: "xmlns", Key: "p", Value: "urn:2"})
		}),
		"empty name":          built(func(r *etree.Element) { r.Tag = "" }),
		"name with a space":   built(func(r *etree.Element) { r.Tag = "a b" }),
		"attribute name":      built(func(r *etree.Element) { r.CreateAttr("a=b", "1") }),
		"xmlns element":       built(func(r *etree.Element) { r.Space = "xmlns" }),
		"control character":   built(func(r *etree.Element) { r.SetText("a\x01b") }),
		"invalid UTF-8":       built(func(r *etree.Element) { r.CreateAttr("a", "\xff") }),
		"non-character":       built(func(r *etree.Element) { r.SetText("\uFFFE") }),
		"comment with --":     built(func(r *etree.Element) { r.CreateComment("a--b") }),
		"comment ending in -": built(func(r *etree.Element) { r.CreateComment("a-") }),
		"PI named xml":        built(func(r *etree.Element) { r.CreateProcInst("xml", "version='1.0'") }),
		"PI with ?>":          built(func(r *etree.Element) { r.CreateProcInst("p", "a?>b") }),
		"directive":           built(func(r *etree.Element) { r.CreateDirective("ENTITY x 'y'") }),
		"nil token":           built(func(r *etree.Element) { r.Child = append(r.Child, nil) }),
		"nil element":         built(func(r *etree.Element) { r.Child = append(r.Child, (*etree.Element)(nil)) }),
		"nil text":            built(func(r *etree.Element) { r.Child = append(r.Child, (*etree.CharData)(nil)) }),
		"cycle": built(func(r *etree.Element) {
			a := r.CreateElement("a")
			a.Child = append(a.Child, r)
		}),
		"parent cycle": built(func(r *etree.Element) {
			a := r.CreateElement("a")
			a.AddChild(r) // r's parent is now a, a's parent r
		}),
	} {
		for _, m := range allMethods {
			for _, comments := range []bool{false, true} {
				el := mk()
				if strings.HasPrefix(name, "comment") && !comments {
					continue // comments are not output, so not checked
				}
				if _, err := Subtree(el, Options{Method: m, WithComments: comments}); err == nil {
					t.Errorf("%s (%v): no error", name, m)
				}
			}
		}
	}
	if _, err := Subtree(nil, Options{}); err == nil {
		t.Error("nil element")
	}
	if _, err := Document(nil, Options{}); err == nil {
		t.Error("nil document")
	}
	if _, err := Subtree(etree.NewElement("r"), Options{Method: 7}); err == nil {
		t.Error("unknown method")
	}
}

func TestImpossibleDocuments(t *testing.T) {
	for name, mk := range map[string]func() *etree.Document{
		"no root": etree.NewDocument,
		"two roots": func() *etree.Document {
			d := etree.NewDocument()
			d.CreateElement("a")
			d.CreateElement("b")
			return d
		},
		"text outside": func() *etree.Document {
			d := etree.NewDocument()
			d.CreateText("x")
			d.CreateElement("a")
			return d
		},
		"internal subset": func() *etree.Document {
			return parse(t, `<!DOCTYPE r [<!ATTLIST r a CDATA "d">]><r/>`)
		},
	} {
		if _, err := Document(mk(), Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A document's own pseudo-element is not an element.
func TestDocumentNodeIsNotAnElement(t *testing.T) {
	d := parse(t, `<r/>`)
	if _, err := Subtree(&d.Element, Options{}); err == nil {
		t.Error("no error")
	}
}
