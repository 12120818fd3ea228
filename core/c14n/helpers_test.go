package c14n

import (
	"testing"

	"github.com/beevik/etree"
)

func parse(t testing.TB, s string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("parse: %v\n%s", err, s)
	}
	return doc
}

// find returns the first element (document order) whose prefixed name is
// tag, or fails the test.
func find(t testing.TB, doc *etree.Document, tag string) *etree.Element {
	t.Helper()
	var walk func(*etree.Element) *etree.Element
	walk = func(el *etree.Element) *etree.Element {
		if el.FullTag() == tag {
			return el
		}
		for _, c := range el.ChildElements() {
			if f := walk(c); f != nil {
				return f
			}
		}
		return nil
	}
	if el := walk(doc.Root()); el != nil {
		return el
	}
	t.Fatalf("no element %s", tag)
	return nil
}

func mustDocument(t testing.TB, doc *etree.Document, o Options) string {
	t.Helper()
	b, err := Document(doc, o)
	if err != nil {
		t.Fatalf("Document(%v): %v", o.Method, err)
	}
	return string(b)
}

func mustSubtree(t testing.TB, el *etree.Element, o Options) string {
	t.Helper()
	b, err := Subtree(el, o)
	if err != nil {
		t.Fatalf("Subtree(%s, %v): %v", el.FullTag(), o.Method, err)
	}
	return string(b)
}

var allMethods = []Method{Inclusive10, Exclusive10, Inclusive11}
