package c14n

import (
	"errors"
	"fmt"
	"sync"

	"github.com/beevik/etree"
)

// Subtree returns the canonical form of el and its descendants as they stand
// in their document (see the package comment).
func Subtree(el *etree.Element, o Options) ([]byte, error) {
	return run(o, func(c *canon) error { return c.subtree(el) })
}

// AppendSubtree is Subtree writing onto dst, for callers that keep a buffer.
// On error dst is returned as it was given.
func AppendSubtree(dst []byte, el *etree.Element, o Options) ([]byte, error) {
	return runAppend(dst, o, func(c *canon) error { return c.subtree(el) })
}

// Document returns the canonical form of the whole document node.
func Document(doc *etree.Document, o Options) ([]byte, error) {
	return run(o, func(c *canon) error { return c.document(doc) })
}

// AppendDocument is Document writing onto dst. On error dst is returned as
// it was given.
func AppendDocument(dst []byte, doc *etree.Document, o Options) ([]byte, error) {
	return runAppend(dst, o, func(c *canon) error { return c.document(doc) })
}

// maxDepth bounds the element nesting followed up and down. It lies far
// above any parser's limit (etree's default is 1024) and exists so that a
// tree made cyclic in code ends in an error instead of running forever.
const maxDepth = 1 << 16

var errTooDeep = errors.New("c14n: elements nested too deeply (or the tree is cyclic)")

// canon is the state of one canonicalization; pooled, since signing is a
// hot path and the scratch slices and maps are worth keeping.
type canon struct {
	buf      []byte
	method   Method
	comments bool
	exclude  func(*etree.Element) bool
	incl     []string // exclusive PrefixList, "" for #default
	scope    nsStack  // namespaces in scope
	rendered nsStack  // exclusive: namespaces rendered by output ancestors
	decls    []binding
	attrs    []attribute
	path     []*etree.Element // the apex's ancestors, nearest first
	depth    int
}

var pool = sync.Pool{New: func() any { return new(canon) }}

// Pooled buffers larger than this are dropped rather than kept, so one big
// document does not pin memory for the life of the process.
const keepBuf = 64 << 10

func start(o Options) (*canon, error) {
	if o.Method > Inclusive11 {
		return nil, fmt.Errorf("c14n: unknown method %d", o.Method)
	}
	c := pool.Get().(*canon)
	c.method, c.comments, c.exclude = o.Method, o.WithComments, o.Exclude
	if o.Method == Exclusive10 {
		for _, p := range o.InclusivePrefixes {
			if p == "#default" {
				p = ""
			}
			if !contains(c.incl, p) {
				c.incl = append(c.incl, p)
			}
		}
	}
	return c, nil
}

// finish returns c to the pool holding no references into the caller's
// tree, and without scratch space a single huge input made it grow.
func (c *canon) finish() {
	c.scope.reset()
	c.rendered.reset()
	c.incl = scrub(c.incl)
	c.decls = scrub(c.decls)
	c.attrs = scrub(c.attrs)
	c.path = scrub(c.path)
	c.exclude = nil
	c.depth = 0
	if cap(c.buf) > keepBuf {
		c.buf = nil
	}
	c.buf = c.buf[:0]
	pool.Put(c)
}

func scrub[T any](s []T) []T {
	if cap(s) > keepItems {
		return nil
	}
	clear(s[:cap(s)])
	return s[:0]
}

const keepItems = 256

func run(o Options, f func(*canon) error) ([]byte, error) {
	c, err := start(o)
	if err != nil {
		return nil, err
	}
	defer c.finish()
	if err := f(c); err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(c.buf)), c.buf...), nil
}

func runAppend(dst []byte, o Options, f func(*canon) error) ([]byte, error) {
	c, err := start(o)
	if err != nil {
		return dst, err
	}
	own := c.buf
	c.buf = dst
	err = f(c)
	out := c.buf
	c.buf = own // never pool the caller's memory
	c.finish()
	if err != nil {
		return dst, err
	}
	return out, nil
}

func (c *canon) excluded(el *etree.Element) bool {
	return c.exclude != nil && c.exclude(el)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
