package c14n

import (
	"fmt"

	"github.com/beevik/etree"
)

// declOf tells whether a is a namespace declaration and for which prefix
// ("" is the default namespace).
func declOf(a *etree.Attr) (prefix string, ok bool) {
	switch {
	case a.Space == xmlnsPrefix:
		return a.Key, true
	case a.Space == "" && a.Key == xmlnsPrefix:
		return "", true
	}
	return "", false
}

// pushDecls brings el's namespace declarations into scope. mark is the
// scope height before el, to catch a prefix declared twice on el. The xml
// prefix is built in and never enters the stack; declaring it is allowed
// only with its fixed value (Namespaces in XML §3), and never rendered.
func (c *canon) pushDecls(el *etree.Element, mark int) error {
	for i := range el.Attr {
		prefix, ok := declOf(&el.Attr[i])
		if !ok {
			continue
		}
		uri := el.Attr[i].Value
		switch {
		case prefix == xmlPrefix:
			if uri != nsXML {
				return fmt.Errorf("c14n: the xml prefix bound to %q", uri)
			}
			continue
		case prefix == xmlnsPrefix || uri == nsXMLNS || uri == nsXML:
			return fmt.Errorf("c14n: reserved namespace declaration %s=%q", el.Attr[i].FullKey(), uri)
		case prefix != "" && !isNCName(prefix):
			return fmt.Errorf("c14n: invalid namespace prefix %q", prefix)
		case prefix != "" && uri == "":
			// Only XML 1.1 namespaces may unbind a prefix; XML 1.0 has no
			// way to express the result.
			return fmt.Errorf("c14n: namespace prefix %q bound to the empty name", prefix)
		}
		if j, ok := c.scope.index(prefix); ok && j >= mark {
			return fmt.Errorf("c14n: namespace prefix %q declared twice on one element", prefix)
		}
		c.scope.push(prefix, uri)
	}
	return nil
}

// namespaceAxis decides which namespace declarations el carries in the
// output and leaves them, sorted by prefix (the default first), in c.decls.
func (c *canon) namespaceAxis(el *etree.Element, apex bool, scopeMark int) error {
	c.decls = c.decls[:0]
	if c.method == Exclusive10 {
		if err := c.exclusiveAxis(el); err != nil {
			return err
		}
	} else {
		c.inclusiveAxis(apex, scopeMark)
	}
	if len(c.decls) > 1 {
		sortDecls(c.decls)
	}
	return nil
}

// inclusiveAxis: the apex shows every namespace in scope, since no output
// ancestor carries them; below it a declaration shows only where it changes
// the parent's binding (C14N §2.3: a namespace node is skipped when the
// nearest output ancestor has the same one). An undeclaration xmlns=""
// is a change exactly when the parent's default was non-empty, which is
// the xmlns="" rule.
func (c *canon) inclusiveAxis(apex bool, scopeMark int) {
	b := c.scope.b
	if apex {
		for i := range b {
			if b[i].uri != "" && c.scope.innermost(i) {
				c.decls = append(c.decls, b[i])
			}
		}
		return
	}
	for i := scopeMark; i < len(b); i++ {
		parent := ""
		if h := b[i].hides; h >= 0 {
			parent = b[h].uri
		}
		if b[i].uri != parent {
			c.decls = append(c.decls, b[i])
		}
	}
}

// exclusiveAxis: a namespace shows on el when el visibly utilizes it (its
// own prefix, or that of one of its attributes) or it is in the PrefixList,
// and the nearest output ancestor that rendered that prefix rendered a
// different value (Exclusive C14N §3). The default namespace counts as
// utilized by an unprefixed element; when that element's default is
// empty and an output ancestor rendered a non-empty one, the change shows as
// xmlns="". PrefixList entries not in scope are ignored.
func (c *canon) exclusiveAxis(el *etree.Element) error {
	if err := c.utilize(el.Space, true); err != nil {
		return err
	}
	for i := range c.attrs {
		if p := c.attrs[i].prefix; p != "" {
			if err := c.utilize(p, true); err != nil {
				return err
			}
		}
	}
	for _, p := range c.incl {
		if err := c.utilize(p, false); err != nil {
			return err
		}
	}
	return nil
}

// utilize renders prefix on the current element unless an output ancestor
// already rendered the same binding. Repeats are harmless: the second call
// finds the binding the first one recorded.
func (c *canon) utilize(prefix string, used bool) error {
	if prefix == xmlPrefix {
		return nil
	}
	uri, ok := c.scope.lookup(prefix)
	if !ok && prefix != "" {
		if used {
			return fmt.Errorf("c14n: undeclared namespace prefix %q", prefix)
		}
		return nil
	}
	if r, _ := c.rendered.lookup(prefix); r != uri {
		c.rendered.push(prefix, uri)
		c.decls = append(c.decls, binding{prefix: prefix, uri: uri})
	}
	return nil
}

func (c *canon) writeDecls() error {
	var err error
	for _, d := range c.decls {
		if d.prefix == "" {
			c.buf = append(c.buf, ` xmlns="`...)
		} else {
			c.buf = append(c.buf, " xmlns:"...)
			c.buf = append(c.buf, d.prefix...)
			c.buf = append(c.buf, `="`...)
		}
		if c.buf, err = appendAttrValue(c.buf, d.uri); err != nil {
			return err
		}
		c.buf = append(c.buf, '"')
	}
	return nil
}
