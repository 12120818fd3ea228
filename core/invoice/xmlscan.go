package invoice

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// This file is a strict, non-validating XML 1.0 (fifth edition) +
// Namespaces in XML 1.0 well-formedness checker that walks a byte slice and
// reports elements and text to a handler. It exists because the pre-flight
// check runs on every invoice a client sends: encoding/xml's token stream
// costs ~10 ns per byte (132 µs for the 13 KB official sample, 1 300
// allocations) — the whole client budget of 100 µs per 10 KB invoice —
// where this scanner, allocation-free per token, runs at several hundred
// MB/s. encoding/xml stays its differential oracle in the tests: whatever
// this scanner accepts, encoding/xml must accept too.
//
// It never expands anything but the five predefined entities and character
// references: a DOCTYPE (the only place entities can be declared) ends the
// scan with errDoctype, so there is no entity expansion to bound, and no
// external resource is ever read.

// xmlns and xml are the two reserved namespace names.
const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
)

type scanErrKind uint8

const (
	errSyntax  scanErrKind = iota + 1 // not well-formed
	errDoctype                        // a document type declaration
)

// scanError is the first well-formedness error, at a byte offset.
type scanError struct {
	kind scanErrKind
	off  int
	msg  string
}

// attr is one attribute of a start tag; the slices point into the document
// (or, for a namespace name written with references, into a decoded copy).
type attr struct {
	qname, prefix, local []byte
	value                []byte // raw, between the quotes
	refs                 bool   // value contains references
	uri                  []byte // namespace of a prefixed attribute
}

// elem is an open element.
type elem struct {
	qname, prefix, local []byte
	uri                  []byte // nil: no namespace
	nsMark               int    // len(scanner.ns) before its declarations
	// outerDefault is the default namespace outside the element, when the
	// element declares one (setsDefault).
	outerDefault []byte
	setsDefault  bool
}

type binding struct{ prefix, uri []byte }

// handler receives what the scanner reads, in document order. The slices
// are only valid during the call.
type handler interface {
	startElement(e *elem, attrs []attr)
	endElement(e *elem)
	charData(raw []byte, refs bool) // refs: raw contains (valid) references
	cdata(text []byte)
	procInst(target []byte, off int)
}

// xmlDecl is the XML declaration, if the document has one.
type xmlDecl struct {
	present  bool
	version  []byte
	encoding []byte // nil when absent
}

type scanner struct {
	src   []byte
	pos   int
	h     handler
	decl  xmlDecl
	stack []elem
	ns    []binding
	// defaultNS is the default namespace in scope (nil: none), kept apart
	// from ns because nearly every element asks for it.
	defaultNS []byte
	attrs     []attr
	// refChars are character references to discouraged code points (the
	// byte scan sees only "&#x7F;", not the character).
	refChars      []charProblem
	refCharsTotal int
}

// scan checks src (after any byte order mark, which starts at start) and
// feeds h. It returns the first well-formedness error, or nil.
func scan(src []byte, start int, h handler) (*scanner, *scanError) {
	s := &scanner{src: src, pos: start, h: h}
	return s, s.document()
}

func (s *scanner) errf(off int, format string, args ...any) *scanError {
	return &scanError{kind: errSyntax, off: off, msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) eof() bool { return s.pos >= len(s.src) }

func (s *scanner) hasPrefix(p string) bool {
	return len(s.src)-s.pos >= len(p) && string(s.src[s.pos:s.pos+len(p)]) == p
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// skipSpace skips S and reports whether there was any.
func (s *scanner) skipSpace() bool {
	p := s.pos
	for s.pos < len(s.src) && isSpace(s.src[s.pos]) {
		s.pos++
	}
	return s.pos > p
}

// document ::= prolog element Misc*
func (s *scanner) document() *scanError {
	if s.hasPrefix("<?xml") && len(s.src) > s.pos+5 && (isSpace(s.src[s.pos+5]) || s.src[s.pos+5] == '?') {
		if err := s.xmlDeclaration(); err != nil {
			return err
		}
	}
	// Misc* (doctypedecl Misc*)?
	for {
		s.skipSpace()
		switch {
		case s.eof():
			return s.errf(s.pos, "the document has no root element")
		case s.hasPrefix("<!--"):
			if err := s.comment(); err != nil {
				return err
			}
		case s.hasPrefix("<!DOCTYPE"):
			return &scanError{kind: errDoctype, off: s.pos, msg: "a document type declaration (DOCTYPE) is not allowed in an invoice"}
		case s.hasPrefix("<?"):
			if err := s.procInst(); err != nil {
				return err
			}
		case s.src[s.pos] == '<':
			if err := s.elements(); err != nil {
				return err
			}
			return s.epilog()
		default:
			return s.errf(s.pos, "text before the root element")
		}
	}
}

// epilog is the Misc* after the root element.
func (s *scanner) epilog() *scanError {
	for {
		s.skipSpace()
		switch {
		case s.eof():
			return nil
		case s.hasPrefix("<!--"):
			if err := s.comment(); err != nil {
				return err
			}
		case s.hasPrefix("<?"):
			if err := s.procInst(); err != nil {
				return err
			}
		case s.src[s.pos] == '<':
			return s.errf(s.pos, "a second root element (only one is allowed)")
		default:
			return s.errf(s.pos, "text after the root element")
		}
	}
}

// xmlDeclaration ::= '<?xml' VersionInfo EncodingDecl? SDDecl? S? '?>'
func (s *scanner) xmlDeclaration() *scanError {
	start := s.pos
	s.pos += len("<?xml")
	s.decl.present = true
	names := [...]string{"version", "encoding", "standalone"}
	next := 0
	for {
		sp := s.skipSpace()
		if s.hasPrefix("?>") {
			s.pos += 2
			break
		}
		if !sp {
			return s.errf(s.pos, "malformed XML declaration")
		}
		nameStart := s.pos
		for s.pos < len(s.src) && s.src[s.pos] >= 'a' && s.src[s.pos] <= 'z' {
			s.pos++
		}
		name := string(s.src[nameStart:s.pos])
		i := next
		for i < len(names) && names[i] != name {
			i++
		}
		if i == len(names) || (next == 0 && i != 0) {
			return s.errf(nameStart, "malformed XML declaration: unexpected %q (version, encoding, standalone in this order)", name)
		}
		next = i + 1
		s.skipSpace()
		if s.eof() || s.src[s.pos] != '=' {
			return s.errf(s.pos, "malformed XML declaration: '=' expected after %s", name)
		}
		s.pos++
		s.skipSpace()
		v, err := s.quoted()
		if err != nil {
			return err
		}
		switch name {
		case "version":
			if len(v) < 3 || v[0] != '1' || v[1] != '.' || !allASCIIDigits(v[2:]) {
				return s.errf(nameStart, "malformed XML declaration: version %q", v)
			}
			s.decl.version = v
		case "encoding":
			if !validEncName(v) {
				return s.errf(nameStart, "malformed XML declaration: encoding name %q", v)
			}
			s.decl.encoding = v
		case "standalone":
			if string(v) != "yes" && string(v) != "no" {
				return s.errf(nameStart, "malformed XML declaration: standalone must be yes or no")
			}
		}
	}
	if s.decl.version == nil {
		return s.errf(start, "the XML declaration lacks the version")
	}
	return nil
}

// quoted reads a '…' or "…" literal (no references allowed: used in the
// XML declaration only).
func (s *scanner) quoted() ([]byte, *scanError) {
	if s.eof() || (s.src[s.pos] != '"' && s.src[s.pos] != '\'') {
		return nil, s.errf(s.pos, "a quoted value expected")
	}
	q := s.src[s.pos]
	j := bytes.IndexByte(s.src[s.pos+1:], q)
	if j < 0 {
		return nil, s.errf(s.pos, "unterminated quoted value")
	}
	v := s.src[s.pos+1 : s.pos+1+j]
	s.pos += j + 2
	return v, nil
}

func allASCIIDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// validEncName is EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')*
func validEncName(b []byte) bool {
	if len(b) == 0 || !isASCIILetter(b[0]) {
		return false
	}
	for _, c := range b[1:] {
		if !isASCIILetter(c) && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// comment ::= '<!--' ((Char - '-') | ('-' (Char - '-')))* '-->'
func (s *scanner) comment() *scanError {
	start := s.pos
	body := s.src[s.pos+4:]
	j := bytes.Index(body, []byte("-->"))
	if j < 0 {
		return s.errf(start, "unterminated comment")
	}
	if bytes.Contains(body[:j], []byte("--")) || (j > 0 && body[j-1] == '-') {
		return s.errf(start, "'--' inside a comment")
	}
	s.pos += 4 + j + 3
	return nil
}

// procInst ::= '<?' PITarget (S (Char* - (Char* '?>' Char*)))? '?>'
func (s *scanner) procInst() *scanError {
	start := s.pos
	s.pos += 2
	target, err := s.name()
	if err != nil {
		return err
	}
	if len(target) == 3 && (target[0]|0x20) == 'x' && (target[1]|0x20) == 'm' && (target[2]|0x20) == 'l' {
		return s.errf(start, "the XML declaration is allowed only at the very start of the document")
	}
	if bytes.IndexByte(target, ':') >= 0 {
		return s.errf(start, "a processing instruction target must not contain ':'")
	}
	if !s.hasPrefix("?>") {
		if !s.skipSpace() {
			return s.errf(s.pos, "malformed processing instruction")
		}
		j := bytes.Index(s.src[s.pos:], []byte("?>"))
		if j < 0 {
			return s.errf(start, "unterminated processing instruction")
		}
		s.pos += j
	}
	s.pos += 2
	s.h.procInst(target, start)
	return nil
}

// cdSect ::= '<![CDATA[' (Char* - (Char* ']]>' Char*)) ']]>'
func (s *scanner) cdSect() *scanError {
	start := s.pos
	body := s.src[s.pos+9:]
	j := bytes.Index(body, []byte("]]>"))
	if j < 0 {
		return s.errf(start, "unterminated CDATA section")
	}
	s.h.cdata(body[:j])
	s.pos += 9 + j + 3
	return nil
}

// elements reads the root element and everything inside it, without
// recursion: a deeply nested document costs a slice, not the stack.
func (s *scanner) elements() *scanError {
	if err := s.startTag(); err != nil {
		return err
	}
	for len(s.stack) > 0 {
		j := bytes.IndexByte(s.src[s.pos:], '<')
		if j < 0 {
			top := &s.stack[len(s.stack)-1]
			return s.errf(len(s.src), "the document ends inside <%s>", top.qname)
		}
		if j > 0 {
			if err := s.text(s.pos, s.src[s.pos:s.pos+j]); err != nil {
				return err
			}
			s.pos += j
		}
		var next byte
		if s.pos+1 < len(s.src) {
			next = s.src[s.pos+1]
		}
		var err *scanError
		switch next {
		case '/':
			err = s.endTag()
		case '?':
			err = s.procInst()
		case '!':
			switch {
			case s.hasPrefix("<!--"):
				err = s.comment()
			case s.hasPrefix("<![CDATA["):
				err = s.cdSect()
			default:
				err = s.errf(s.pos, "markup declarations are not allowed in content")
			}
		default:
			err = s.startTag()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// text checks character data: no "]]>", every '&' a valid reference.
func (s *scanner) text(off int, seg []byte) *scanError {
	if bytes.IndexByte(seg, ']') >= 0 {
		if k := bytes.Index(seg, []byte("]]>")); k >= 0 {
			return s.errf(off+k, "']]>' in text (it must be escaped as ]]&gt;)")
		}
	}
	refs := false
	if bytes.IndexByte(seg, '&') >= 0 {
		refs = true
		if err := s.checkRefs(off, seg); err != nil {
			return err
		}
	}
	s.h.charData(seg, refs)
	return nil
}

// checkRefs validates every reference in seg: the five predefined entities
// (no DTD can declare others) and character references to XML characters.
func (s *scanner) checkRefs(off int, seg []byte) *scanError {
	for i := 0; i < len(seg); {
		k := bytes.IndexByte(seg[i:], '&')
		if k < 0 {
			return nil
		}
		i += k
		semi := bytes.IndexByte(seg[i:], ';')
		if semi < 0 {
			return s.errf(off+i, "'&' that does not start a reference (escape it as &amp;)")
		}
		ref := seg[i+1 : i+semi]
		if len(ref) > 0 && ref[0] == '#' {
			r, ok := parseCharRef(ref[1:])
			if !ok {
				return s.errf(off+i, "malformed character reference &%s;", ref)
			}
			if !isXMLChar(r) {
				return s.errf(off+i, "character reference &%s; to U+%04X, which XML 1.0 does not allow", ref, r)
			}
			if isDiscouraged(r) {
				s.refCharsTotal++
				if len(s.refChars) < maxCharProblems {
					s.refChars = append(s.refChars, charProblem{off + i, r, charDiscouraged})
				}
			}
		} else if _, ok := predefinedEntity(ref); !ok {
			if len(ref) == 0 || !isName(ref) {
				return s.errf(off+i, "'&' that does not start a reference (escape it as &amp;)")
			}
			return s.errf(off+i, "undeclared entity &%s; (only &lt; &gt; &amp; &apos; &quot; exist without a DTD)", ref)
		}
		i += semi + 1
	}
	return nil
}

// parseCharRef reads the digits of "&#…;" (after '#'): decimal, or 'x' and
// hexadecimal.
func parseCharRef(b []byte) (rune, bool) {
	base := rune(10)
	if len(b) > 0 && b[0] == 'x' {
		base, b = 16, b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var r rune
	for _, c := range b {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r*base + d
		if r > 0x10FFFF {
			return r, true // not a Char; the caller says so
		}
	}
	return r, true
}

func predefinedEntity(name []byte) (byte, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	return 0, false
}

// name reads an XML Name.
func (s *scanner) name() ([]byte, *scanError) {
	start := s.pos
	if s.eof() {
		return nil, s.errf(s.pos, "a name expected, found the end of the document")
	}
	n := nameLen(s.src[s.pos:])
	if n == 0 {
		return nil, s.errf(s.pos, "a name expected")
	}
	s.pos += n
	return s.src[start:s.pos], nil
}

// qname reads a Name and splits it as a namespace QName: at most one ':',
// neither first nor last.
func (s *scanner) qname() (qname, prefix, local []byte, err *scanError) {
	start := s.pos
	if qname, err = s.name(); err != nil {
		return
	}
	c := bytes.IndexByte(qname, ':')
	if c < 0 {
		return qname, nil, qname, nil
	}
	if c == 0 || c == len(qname)-1 || bytes.IndexByte(qname[c+1:], ':') >= 0 {
		return nil, nil, nil, s.errf(start, "%q is not a namespace-qualified name", qname)
	}
	return qname, qname[:c], qname[c+1:], nil
}

// startTag reads '<' Name (S Attribute)* S? ('>' | '/>') and resolves the
// namespaces of the element and its attributes.
func (s *scanner) startTag() *scanError {
	start := s.pos
	s.pos++ // '<'
	qn, prefix, local, err := s.qname()
	if err != nil {
		return err
	}
	s.attrs = s.attrs[:0]
	empty := false
	for {
		sp := s.skipSpace()
		if s.eof() {
			return s.errf(start, "unterminated start tag <%s", qn)
		}
		if c := s.src[s.pos]; c == '>' {
			s.pos++
			break
		} else if c == '/' {
			if !s.hasPrefix("/>") {
				return s.errf(s.pos, "'/' inside a start tag")
			}
			s.pos += 2
			empty = true
			break
		}
		if !sp {
			return s.errf(s.pos, "whitespace expected between attributes of <%s>", qn)
		}
		a, err := s.attribute()
		if err != nil {
			return err
		}
		s.attrs = append(s.attrs, a)
	}
	// The element lives on the stack from here (a pointer to a local would
	// make every element a heap allocation, handed to an interface).
	s.stack = append(s.stack, elem{qname: qn, prefix: prefix, local: local, nsMark: len(s.ns)})
	e := &s.stack[len(s.stack)-1]
	if err := s.resolve(start, e); err != nil {
		return err
	}
	s.h.startElement(e, s.attrs)
	if empty {
		s.h.endElement(e)
		s.leave(e)
		s.stack = s.stack[:len(s.stack)-1]
	}
	return nil
}

// attribute ::= Name Eq AttValue; AttValue ::= '"' ([^<&"] | Reference)* '"' | …
func (s *scanner) attribute() (attr, *scanError) {
	start := s.pos
	qn, prefix, local, err := s.qname()
	if err != nil {
		return attr{}, err
	}
	s.skipSpace()
	if s.eof() || s.src[s.pos] != '=' {
		return attr{}, s.errf(s.pos, "'=' expected after attribute %s", qn)
	}
	s.pos++
	s.skipSpace()
	if s.eof() || (s.src[s.pos] != '"' && s.src[s.pos] != '\'') {
		return attr{}, s.errf(s.pos, "quoted value expected for attribute %s", qn)
	}
	q := s.src[s.pos]
	j := bytes.IndexByte(s.src[s.pos+1:], q)
	if j < 0 {
		return attr{}, s.errf(start, "unterminated value of attribute %s", qn)
	}
	voff := s.pos + 1
	v := s.src[voff : voff+j]
	s.pos = voff + j + 1
	if k := bytes.IndexByte(v, '<'); k >= 0 {
		return attr{}, s.errf(voff+k, "'<' in the value of attribute %s", qn)
	}
	a := attr{qname: qn, prefix: prefix, local: local, value: v}
	if bytes.IndexByte(v, '&') >= 0 {
		a.refs = true
		if err := s.checkRefs(voff, v); err != nil {
			return attr{}, err
		}
	}
	return a, nil
}

// resolve applies the namespace declarations among s.attrs, then binds the
// element and attribute prefixes, and checks that attributes are unique by
// name and by expanded name (Namespaces in XML 1.0 §3–§6).
func (s *scanner) resolve(off int, e *elem) *scanError {
	for i := range s.attrs {
		a := &s.attrs[i]
		switch {
		case a.prefix == nil && string(a.local) == "xmlns":
			uri := s.attrValue(a)
			if string(uri) == nsXML || string(uri) == nsXMLNS {
				return s.errf(off, "the default namespace must not be %s", uri)
			}
			if len(uri) == 0 {
				uri = nil
			}
			e.outerDefault, e.setsDefault = s.defaultNS, true
			s.defaultNS = uri
		case string(a.prefix) == "xmlns":
			uri := s.attrValue(a)
			switch {
			case string(a.local) == "xmlns":
				return s.errf(off, "the prefix xmlns must not be declared")
			case string(a.local) == "xml":
				if string(uri) != nsXML {
					return s.errf(off, "the prefix xml may be bound only to %s", nsXML)
				}
			case len(uri) == 0:
				return s.errf(off, "xmlns:%s=\"\": a prefix cannot be undeclared in XML 1.0", a.local)
			case string(uri) == nsXML || string(uri) == nsXMLNS:
				return s.errf(off, "xmlns:%s must not be bound to %s", a.local, uri)
			}
			s.ns = append(s.ns, binding{a.local, uri})
		}
	}
	switch string(e.prefix) {
	case "":
		e.uri = s.defaultNS
	case "xmlns":
		return s.errf(off, "element <%s> uses the reserved prefix xmlns", e.qname)
	default:
		uri := s.lookup(e.prefix)
		if uri == nil {
			return s.errf(off, "element <%s> uses the undeclared prefix %s", e.qname, e.prefix)
		}
		e.uri = uri
	}
	for i := range s.attrs {
		a := &s.attrs[i]
		if a.prefix == nil || string(a.prefix) == "xmlns" {
			continue
		}
		if a.uri = s.lookup(a.prefix); a.uri == nil {
			return s.errf(off, "attribute %s of <%s> uses the undeclared prefix %s", a.qname, e.qname, a.prefix)
		}
	}
	return s.uniqueAttrs(off, e)
}

// uniqueAttrs: pairwise for the handful of attributes real elements have; a
// crafted tag with thousands is rejected rather than costing n² compares.
func (s *scanner) uniqueAttrs(off int, e *elem) *scanError {
	const maxAttrs = 256
	if len(s.attrs) > maxAttrs {
		return s.errf(off, "<%s> has %d attributes; more than %d are not accepted", e.qname, len(s.attrs), maxAttrs)
	}
	for i := 1; i < len(s.attrs); i++ {
		a := &s.attrs[i]
		for j := 0; j < i; j++ {
			b := &s.attrs[j]
			if bytes.Equal(a.qname, b.qname) {
				return s.errf(off, "attribute %s appears twice in <%s>", a.qname, e.qname)
			}
			if a.uri != nil && b.uri != nil && bytes.Equal(a.local, b.local) && bytes.Equal(a.uri, b.uri) {
				return s.errf(off, "attributes %s and %s of <%s> have the same namespace and name", b.qname, a.qname, e.qname)
			}
		}
	}
	return nil
}

// lookup finds the namespace bound to a prefix, innermost first; xml is
// always bound.
func (s *scanner) lookup(prefix []byte) []byte {
	if string(prefix) == "xml" {
		return []byte(nsXML)
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if bytes.Equal(s.ns[i].prefix, prefix) {
			return s.ns[i].uri
		}
	}
	return nil
}

// leave restores the namespaces in scope outside e.
func (s *scanner) leave(e *elem) {
	s.ns = s.ns[:e.nsMark]
	if e.setsDefault {
		s.defaultNS = e.outerDefault
	}
}

// attrValue is the normalised value of a namespace declaration; decoding
// (and its allocation) happens only when the value has references.
func (s *scanner) attrValue(a *attr) []byte {
	if !a.refs && !bytes.ContainsAny(a.value, "\t\n\r") {
		return a.value
	}
	return appendText(nil, a.value, modeAttr)
}

// endTag ::= '</' Name S? '>'
func (s *scanner) endTag() *scanError {
	start := s.pos
	s.pos += 2
	n, err := s.name()
	if err != nil {
		return err
	}
	s.skipSpace()
	if s.eof() || s.src[s.pos] != '>' {
		return s.errf(s.pos, "'>' expected to end </%s", n)
	}
	s.pos++
	top := &s.stack[len(s.stack)-1]
	if !bytes.Equal(n, top.qname) {
		return s.errf(start, "</%s> does not close <%s>", n, top.qname)
	}
	s.h.endElement(top)
	s.leave(top)
	s.stack = s.stack[:len(s.stack)-1]
	return nil
}

// How appendText reads its input.
type textMode uint8

const (
	modeText  textMode = iota // character data: end-of-line handling, references
	modeAttr                  // attribute value: also whitespace to spaces
	modeCDATA                 // CDATA section: end-of-line handling only
)

// appendText appends the value of raw text after XML's end-of-line
// handling and, except in CDATA, reference replacement (and attribute-value
// normalisation); references must have been checked by checkRefs.
func appendText(dst, raw []byte, mode textMode) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			if mode == modeAttr {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, '\n')
			}
		case mode == modeAttr && (c == '\n' || c == '\t'):
			dst = append(dst, ' ')
		case c == '&' && mode != modeCDATA:
			semi := bytes.IndexByte(raw[i:], ';')
			ref := raw[i+1 : i+semi]
			if ref[0] == '#' {
				r, _ := parseCharRef(ref[1:])
				dst = utf8.AppendRune(dst, r)
			} else {
				b, _ := predefinedEntity(ref)
				dst = append(dst, b)
			}
			i += semi
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
