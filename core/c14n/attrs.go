package c14n

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// attribute is one attribute node to output, with the namespace URI it
// sorts by.
type attribute struct {
	uri, prefix, local, value string
}

// collectAttrs resolves el's attributes (namespace declarations aside) into
// c.attrs. Prefixes are resolved in el's own scope, which includes its
// declarations.
func (c *canon) collectAttrs(el *etree.Element) error {
	c.attrs = c.attrs[:0]
	for i := range el.Attr {
		a := &el.Attr[i]
		if _, ok := declOf(a); ok {
			continue
		}
		if !isNCName(a.Key) {
			return fmt.Errorf("c14n: invalid attribute name %q", a.FullKey())
		}
		var uri string
		switch a.Space {
		case "":
		case xmlPrefix:
			uri = nsXML
		default:
			var ok bool
			if uri, ok = c.scope.lookup(a.Space); !ok || !isNCName(a.Space) {
				return fmt.Errorf("c14n: attribute %s uses an undeclared namespace prefix", a.FullKey())
			}
		}
		c.attrs = append(c.attrs, attribute{uri: uri, prefix: a.Space, local: a.Key, value: a.Value})
	}
	return nil
}

// writeAttrs writes c.attrs in C14N order: by namespace URI, then local
// name, so unqualified attributes (empty URI) come first. Two attributes
// with the same expanded name are an error, whatever their prefixes.
func (c *canon) writeAttrs() error {
	as := c.attrs
	if len(as) > 1 {
		sortAttrs(as)
		for i := 1; i < len(as); i++ {
			if compareAttrs(as[i-1], as[i]) == 0 {
				return fmt.Errorf("c14n: duplicate attribute {%s}%s", as[i].uri, as[i].local)
			}
		}
	}
	var err error
	for i := range as {
		c.buf = append(c.buf, ' ')
		c.buf = appendQName(c.buf, as[i].prefix, as[i].local)
		c.buf = append(c.buf, `="`...)
		if c.buf, err = appendAttrValue(c.buf, as[i].value); err != nil {
			return err
		}
		c.buf = append(c.buf, '"')
	}
	return nil
}

// sortAttrs and sortDecls avoid slices.SortFunc: each generic instantiation
// over a struct costs ~25 KB of the wasm module, which sits right at its
// size budget. Lists are a handful of items, where insertion sort is the
// fastest anyway; hostile input with many attributes gets sort.Slice's
// O(n log n), whose code is shared by every caller.
func sortAttrs(as []attribute) {
	if len(as) > smallSort {
		sort.Slice(as, func(i, j int) bool { return compareAttrs(as[i], as[j]) < 0 })
		return
	}
	for i := 1; i < len(as); i++ {
		for j := i; j > 0 && compareAttrs(as[j-1], as[j]) > 0; j-- {
			as[j-1], as[j] = as[j], as[j-1]
		}
	}
}

func sortDecls(ds []binding) {
	if len(ds) > smallSort {
		sort.Slice(ds, func(i, j int) bool { return ds[i].prefix < ds[j].prefix })
		return
	}
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j-1].prefix > ds[j].prefix; j-- {
			ds[j-1], ds[j] = ds[j], ds[j-1]
		}
	}
}

const smallSort = 16

func compareAttrs(a, b attribute) int {
	if n := strings.Compare(a.uri, b.uri); n != 0 {
		return n
	}
	return strings.Compare(a.local, b.local)
}

// inheritXMLAttrs adds to the apex the xml:* attributes its omitted
// ancestors would have passed on, which the inclusive methods keep so that
// the subtree means the same out of context (C14N 1.0 §2.4, C14N 1.1 §2.4).
// The nearest occurrence of each counts, and the apex's own wins.
//
// Canonical XML 1.0 copies every xml:* attribute that way. Canonical XML
// 1.1 copies only xml:lang and xml:space; it leaves xml:id (which would
// duplicate the ID) and other xml:* names alone, and joins xml:base values
// instead of copying them, since a relative base copied out of context
// resolves differently.
func (c *canon) inheritXMLAttrs() error {
	own := len(c.attrs)
	for _, anc := range c.path {
		for i := range anc.Attr {
			a := &anc.Attr[i]
			if a.Space != xmlPrefix || c.hasXMLAttr(a.Key) {
				continue
			}
			if c.method == Inclusive11 && a.Key != "lang" && a.Key != "space" {
				continue
			}
			if !isNCName(a.Key) {
				return fmt.Errorf("c14n: invalid attribute name %q", a.FullKey())
			}
			c.attrs = append(c.attrs, attribute{uri: nsXML, prefix: xmlPrefix, local: a.Key, value: a.Value})
		}
	}
	if c.method == Inclusive11 {
		c.fixupBase(own)
	}
	return nil
}

func (c *canon) hasXMLAttr(local string) bool {
	for i := range c.attrs {
		if c.attrs[i].uri == nsXML && c.attrs[i].local == local {
			return true
		}
	}
	return false
}

// fixupBase sets the apex's xml:base to its own value (or, lacking one, the
// nearest ancestor's) joined, from the inside out, with the xml:base of
// every further omitted ancestor. Without ancestor values the apex keeps
// its own as is; an empty result is not rendered, as it would mean "the
// base of the context", which the output no longer has. own is the number
// of attributes that are the apex's own.
func (c *canon) fixupBase(own int) {
	mine := -1
	for i := range own {
		if c.attrs[i].uri == nsXML && c.attrs[i].local == "base" {
			mine = i
		}
	}
	var value string
	have := mine >= 0
	if have {
		value = c.attrs[mine].value
	}
	joined := false
	for _, anc := range c.path {
		for i := range anc.Attr {
			if a := &anc.Attr[i]; a.Space == xmlPrefix && a.Key == "base" {
				if have {
					value, joined = joinBase(a.Value, value), true
				} else {
					value, have = a.Value, true
				}
				break
			}
		}
	}
	switch {
	case !have || mine >= 0 && !joined:
		// nothing inherited: the apex's own value (if any) stands
	case value == "":
		if mine >= 0 {
			c.attrs = slices.Delete(c.attrs, mine, mine+1)
		}
	case mine >= 0:
		c.attrs[mine].value = value
	default:
		c.attrs = append(c.attrs, attribute{uri: nsXML, prefix: xmlPrefix, local: "base", value: value})
	}
}
