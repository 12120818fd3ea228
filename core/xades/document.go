package xades

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
	"github.com/ksefkit/ksefkit/core/c14n"
)

// parseDocument reads XML the way a KSeF-side validator would: UTF-8 only,
// no DOCTYPE (no entity tricks), exactly one root element.
func parseDocument(b []byte) (*etree.Document, error) {
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		// etree's default would silently read any encoding as UTF-8.
		return nil, fmt.Errorf("encoding %q is not UTF-8", charset)
	}
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, invalidDoc("not well-formed XML: %v", err)
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, invalidDoc("DOCTYPE declarations are not allowed")
		}
	}
	if doc.Root() == nil {
		return nil, invalidDoc("no root element")
	}
	return doc, nil
}

// isElement reports whether el is {ns}local.
func isElement(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// findAll returns every {ns}local element at or below el, in document order.
func findAll(el *etree.Element, ns, local string, out []*etree.Element) []*etree.Element {
	if isElement(el, ns, local) {
		out = append(out, el)
	}
	for _, c := range el.Child {
		if ce, ok := c.(*etree.Element); ok {
			out = findAll(ce, ns, local, out)
		}
	}
	return out
}

// canonicalSubtree is el's canonical form as it stands in its document
// (a same-document URI="#id" reference); exclude, when set, leaves out the
// subtrees it selects (the enveloped-signature transform). The tree is
// neither copied nor modified.
func canonicalSubtree(el *etree.Element, o c14n.Options, exclude func(*etree.Element) bool) ([]byte, error) {
	o.Exclude = exclude
	return c14n.Subtree(el, o)
}

// canonicalDocument is the canonical form of the whole document node (a
// same-document URI="" reference): the root plus the processing
// instructions around it, with the line feeds C14N puts between them;
// comments only when o asks for them, which for URI="" callers never do.
func canonicalDocument(doc *etree.Document, o c14n.Options, exclude func(*etree.Element) bool) ([]byte, error) {
	o.Exclude = exclude
	return c14n.Document(doc, o)
}

// rootEndOffset returns the offset of the "</" that closes the root element
// of a well-formed document, so the signature can be inserted into the
// original bytes without re-serializing them. It skips comments, PIs,
// CDATA sections and quoted attribute values, which may contain anything.
func rootEndOffset(b []byte) (int, error) {
	depth := 0
	for i := 0; i < len(b); {
		if b[i] != '<' {
			i++
			continue
		}
		rest := b[i:]
		var skip int
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			skip = indexAfter(rest, "-->")
		case bytes.HasPrefix(rest, []byte("<?")):
			skip = indexAfter(rest, "?>")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			skip = indexAfter(rest, "]]>")
		case bytes.HasPrefix(rest, []byte("<!")):
			return 0, invalidDoc("DOCTYPE declarations are not allowed")
		case bytes.HasPrefix(rest, []byte("</")):
			depth--
			if depth == 0 {
				return i, nil
			}
			skip = indexAfter(rest, ">")
		default: // start tag
			var quote byte
			j := 1
			for ; j < len(rest); j++ {
				c := rest[j]
				if quote != 0 {
					if c == quote {
						quote = 0
					}
					continue
				}
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					break
				}
			}
			if j == len(rest) {
				return 0, invalidDoc("unterminated start tag")
			}
			if rest[j-1] == '/' {
				if depth == 0 {
					return 0, invalidDoc("the root element is empty")
				}
			} else {
				depth++
			}
			skip = j + 1
		}
		if skip < 0 {
			return 0, invalidDoc("unterminated markup")
		}
		i += skip
	}
	return 0, invalidDoc("no closing tag for the root element")
}

func indexAfter(b []byte, sep string) int {
	i := bytes.Index(b, []byte(sep))
	if i < 0 {
		return -1
	}
	return i + len(sep)
}
