package c14n

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// subtree canonicalizes el as the apex of a node-set holding it and its
// descendants: the declarations of its ancestors are in scope but none of
// them is output.
func (c *canon) subtree(el *etree.Element) error {
	if el == nil {
		return errors.New("c14n: nil element")
	}
	if c.excluded(el) {
		return nil
	}
	c.path = c.path[:0]
	for p := el.Parent(); p != nil && !isDocumentNode(p); p = p.Parent() {
		if len(c.path) == maxDepth {
			return errTooDeep
		}
		c.path = append(c.path, p)
	}
	for i := len(c.path) - 1; i >= 0; i-- { // outermost first, so inner ones shadow
		if err := c.pushDecls(c.path[i], c.scope.mark()); err != nil {
			return err
		}
	}
	return c.element(el, true)
}

// isDocumentNode tells etree's Document (an Element with no name and no
// parent, embedded in the Document) from a real element, which always has
// a name.
func isDocumentNode(el *etree.Element) bool {
	return el.Parent() == nil && el.Tag == "" && el.Space == ""
}

// element writes el and its content. For the apex of a subtree, c.path
// holds its omitted ancestors, whose namespaces are already in scope.
func (c *canon) element(el *etree.Element, apex bool) error {
	if c.depth++; c.depth > maxDepth {
		return errTooDeep
	}
	if !isNCName(el.Tag) || el.Space != "" && (!isNCName(el.Space) || el.Space == xmlnsPrefix) {
		return fmt.Errorf("c14n: invalid element name %q", el.FullTag())
	}
	scopeMark, renderedMark := c.scope.mark(), c.rendered.mark()
	if err := c.pushDecls(el, scopeMark); err != nil {
		return err
	}
	if el.Space != "" && el.Space != xmlPrefix {
		if _, ok := c.scope.lookup(el.Space); !ok {
			return fmt.Errorf("c14n: element %s uses an undeclared namespace prefix", el.FullTag())
		}
	}
	if err := c.collectAttrs(el); err != nil {
		return err
	}
	if apex && c.method != Exclusive10 && len(c.path) > 0 {
		if err := c.inheritXMLAttrs(); err != nil {
			return err
		}
	}
	if err := c.namespaceAxis(el, apex, scopeMark); err != nil {
		return err
	}

	c.buf = append(c.buf, '<')
	c.buf = appendQName(c.buf, el.Space, el.Tag)
	if err := c.writeDecls(); err != nil {
		return err
	}
	if err := c.writeAttrs(); err != nil {
		return err
	}
	c.buf = append(c.buf, '>')
	if err := c.content(el); err != nil {
		return err
	}
	c.buf = append(c.buf, "</"...)
	c.buf = appendQName(c.buf, el.Space, el.Tag)
	c.buf = append(c.buf, '>')

	c.scope.popTo(scopeMark)
	c.rendered.popTo(renderedMark)
	c.depth--
	return nil
}

// content writes the children of an output element in document order.
func (c *canon) content(el *etree.Element) error {
	for _, t := range el.Child {
		var err error
		switch t := t.(type) {
		case *etree.Element:
			if t == nil {
				return errNilToken
			}
			if !c.excluded(t) {
				err = c.element(t, false)
			}
		case *etree.CharData:
			if t == nil {
				return errNilToken
			}
			c.buf, err = appendText(c.buf, t.Data)
		case *etree.Comment:
			if t == nil {
				return errNilToken
			}
			if c.comments {
				err = c.comment(t)
			}
		case *etree.ProcInst:
			if t == nil {
				return errNilToken
			}
			err = c.procInst(t)
		case *etree.Directive:
			return errors.New("c14n: markup declarations inside an element")
		default:
			return errNilToken
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var errNilToken = errors.New("c14n: the tree holds a nil or unknown token")

func (c *canon) comment(t *etree.Comment) error {
	if strings.Contains(t.Data, "--") || strings.HasSuffix(t.Data, "-") {
		return errors.New(`c14n: a comment contains "--" or ends with "-"`)
	}
	c.buf = append(c.buf, "<!--"...)
	var err error
	c.buf, err = appendRaw(c.buf, t.Data)
	c.buf = append(c.buf, "-->"...)
	return err
}

// procInst writes a processing instruction: a space separates target and
// data only when there is data (C14N §2.3).
func (c *canon) procInst(t *etree.ProcInst) error {
	if !checkPITarget(t.Target) || strings.Contains(t.Inst, "?>") {
		return fmt.Errorf("c14n: invalid processing instruction %q", t.Target)
	}
	c.buf = append(c.buf, "<?"...)
	c.buf = append(c.buf, t.Target...)
	var err error
	if t.Inst != "" {
		c.buf = append(c.buf, ' ')
		c.buf, err = appendRaw(c.buf, t.Inst)
	}
	c.buf = append(c.buf, "?>"...)
	return err
}

func appendQName(b []byte, prefix, local string) []byte {
	if prefix != "" {
		b = append(b, prefix...)
		b = append(b, ':')
	}
	return append(b, local...)
}
