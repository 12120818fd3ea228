package c14n

// nsStack is a stack of prefix bindings ("" is the default namespace) with
// marks per element: push an element's bindings, popTo the mark on leaving.
// It serves both as the in-scope namespace context and as the exclusive
// method's record of what output ancestors rendered.
//
// Lookups scan the stack while it is short, which is the common case and
// beats hashing; past linearMax an index map keeps them O(1), so a hostile
// document with thousands of declarations cannot make canonicalization
// quadratic.
type nsStack struct {
	b   []binding
	top map[string]int32 // prefix → index of its innermost binding in b
}

type binding struct {
	prefix, uri string
	// hides is the index of the binding of the same prefix that this one
	// shadows, or -1. For inclusive rendering it is the parent's value.
	hides int32
}

const linearMax = 16

func (s *nsStack) mark() int { return len(s.b) }

func (s *nsStack) push(prefix, uri string) {
	if s.top == nil {
		s.top = make(map[string]int32)
	}
	hides, ok := s.top[prefix]
	if !ok {
		hides = -1
	}
	s.top[prefix] = int32(len(s.b))
	s.b = append(s.b, binding{prefix: prefix, uri: uri, hides: hides})
}

func (s *nsStack) popTo(m int) {
	for i := len(s.b) - 1; i >= m; i-- {
		if h := s.b[i].hides; h >= 0 {
			s.top[s.b[i].prefix] = h
		} else {
			delete(s.top, s.b[i].prefix)
		}
		s.b[i] = binding{} // let the strings go
	}
	s.b = s.b[:m]
}

// lookup returns the innermost binding of prefix.
func (s *nsStack) lookup(prefix string) (string, bool) {
	if i, ok := s.index(prefix); ok {
		return s.b[i].uri, true
	}
	return "", false
}

func (s *nsStack) index(prefix string) (int, bool) {
	if len(s.b) <= linearMax {
		for i := len(s.b) - 1; i >= 0; i-- {
			if s.b[i].prefix == prefix {
				return i, true
			}
		}
		return 0, false
	}
	i, ok := s.top[prefix]
	return int(i), ok
}

// innermost reports whether b[i] is the binding in force for its prefix.
func (s *nsStack) innermost(i int) bool {
	j, ok := s.index(s.b[i].prefix)
	return ok && j == i
}

func (s *nsStack) reset() {
	if cap(s.b) > keepItems {
		*s = nsStack{} // a huge document's map and stack are not worth keeping
		return
	}
	s.popTo(0)
}
