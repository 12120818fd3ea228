package c14n

import (
	"errors"
	"strings"

	"github.com/beevik/etree"
)

// document canonicalizes the document node: the root element and the
// processing instructions (and, with comments, the comments) around it.
// C14N separates those from the root with one line feed each: after a node
// before the root, before a node after it. The XML declaration is not a
// node; whitespace outside the root is not either.
func (c *canon) document(doc *etree.Document) error {
	if doc == nil {
		return errors.New("c14n: nil document")
	}
	roots := 0
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Element); ok {
			roots++
		}
	}
	if roots != 1 {
		return errors.New("c14n: a document needs exactly one root element")
	}
	afterRoot := false
	for _, t := range doc.Child {
		var err error
		switch t := t.(type) {
		case *etree.Element:
			if t == nil {
				return errNilToken
			}
			err = c.subtree(t)
			afterRoot = true
		case *etree.ProcInst:
			if t == nil {
				return errNilToken
			}
			if t.Target == "xml" {
				continue
			}
			err = c.outside(afterRoot, func() error { return c.procInst(t) })
		case *etree.Comment:
			if t == nil {
				return errNilToken
			}
			if !c.comments {
				continue
			}
			err = c.outside(afterRoot, func() error { return c.comment(t) })
		case *etree.CharData:
			if t == nil {
				return errNilToken
			}
			if strings.TrimLeft(t.Data, " \t\r\n") != "" {
				return errors.New("c14n: text outside the root element")
			}
		case *etree.Directive:
			if t == nil {
				return errNilToken
			}
			err = checkDoctype(t.Data)
		default:
			return errNilToken
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *canon) outside(afterRoot bool, write func() error) error {
	if afterRoot {
		c.buf = append(c.buf, '\n')
	}
	if err := write(); err != nil {
		return err
	}
	if !afterRoot {
		c.buf = append(c.buf, '\n')
	}
	return nil
}

// checkDoctype lets through a document type declaration that only names an
// external DTD, which a non-validating processor need not read and C14N
// drops. An internal subset can declare attribute defaults and entities
// that the output would have to reflect; this package does no DTD
// processing, so it refuses rather than answer wrongly.
func checkDoctype(d string) error {
	if strings.HasPrefix(d, "DOCTYPE") && !strings.Contains(d, "[") {
		return nil
	}
	return errors.New("c14n: DTD internal subsets and other markup declarations are not supported")
}
