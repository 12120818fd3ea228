package xades

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
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

// canonicalSubtree canonicalizes el as it stands in its document: the
// in-scope namespace declarations of its ancestors are attached to a copy
// first (NSBuildParentContext + NSDetatch), because goxmldsig's exclusive
// canonicalizer fails and its C14N 1.1 one silently omits them otherwise.
// prune, when set, edits the detached copy before canonicalization (the
// enveloped-signature transform). The live tree is never modified.
func canonicalSubtree(el *etree.Element, c dsig.Canonicalizer, prune func(copy *etree.Element)) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	if prune != nil {
		prune(detached)
	}
	return c.Canonicalize(detached)
}

// canonicalDocument is the canonical form of the whole document node (a
// same-document URI="" reference): comments outside the root are dropped as
// URI="" requires, processing instructions are kept with the line feeds
// C14N puts between them and the root.
func canonicalDocument(doc *etree.Document, c dsig.Canonicalizer, prune func(*etree.Element)) ([]byte, error) {
	root := doc.Root()
	body, err := canonicalSubtree(root, c, prune)
	if err != nil {
		return nil, err
	}
	var before, after bytes.Buffer
	seenRoot := false
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			seenRoot = true
		case *etree.ProcInst:
			if t.Target == "xml" {
				continue // the XML declaration is not a PI in the data model
			}
			pi := "<?" + t.Target
			if t.Inst != "" {
				pi += " " + t.Inst
			}
			pi += "?>"
			if seenRoot {
				after.WriteString("\n" + pi)
			} else {
				before.WriteString(pi + "\n")
			}
		}
	}
	if before.Len() == 0 && after.Len() == 0 {
		return body, nil
	}
	return append(append(before.Bytes(), body...), after.Bytes()...), nil
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
