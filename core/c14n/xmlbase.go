package c14n

import "strings"

// joinBase is C14N 1.1 §2.4's join-URI-References: RFC 3986 §5.2 reference
// resolution changed so that it works on relative values and keeps them
// relative, because an omitted ancestor's xml:base is usually relative
// and there is no document base to resolve against. The changes: the base
// needs no scheme; a base path ending in ".." is read as ending in "../";
// the reference's fragment is dropped; and dot-segment removal is the
// modified one of removeDots. Nothing is fetched or checked; it is string
// arithmetic.
func joinBase(base, ref string) string {
	b, r := splitURI(base), splitURI(ref)
	if b.path == ".." || strings.HasSuffix(b.path, "/..") {
		b.path += "/"
	}
	var t uriParts
	switch {
	case r.hasScheme:
		t = r
		t.path = removeDots(r.path)
	case r.hasAuthority:
		t = r
		t.path = removeDots(r.path)
		t.scheme, t.hasScheme = b.scheme, b.hasScheme
	default:
		switch {
		case r.path == "":
			t.path = b.path
			t.query, t.hasQuery = b.query, b.hasQuery
			if r.hasQuery {
				t.query, t.hasQuery = r.query, true
			}
		case r.path[0] == '/':
			t.path = removeDots(r.path)
			t.query, t.hasQuery = r.query, r.hasQuery
		default:
			t.path = removeDots(mergePaths(b, r.path))
			t.query, t.hasQuery = r.query, r.hasQuery
		}
		t.authority, t.hasAuthority = b.authority, b.hasAuthority
		t.scheme, t.hasScheme = b.scheme, b.hasScheme
	}
	return t.String()
}

// uriParts are the components of RFC 3986 Appendix B's split, less the
// fragment, which the join never keeps.
type uriParts struct {
	scheme, authority, path, query    string
	hasScheme, hasAuthority, hasQuery bool
}

func splitURI(s string) uriParts {
	var u uriParts
	if i := strings.IndexAny(s, ":/?#"); i > 0 && s[i] == ':' {
		u.scheme, u.hasScheme, s = s[:i], true, s[i+1:]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		u.query, u.hasQuery, s = s[i+1:], true, s[:i]
	}
	if strings.HasPrefix(s, "//") {
		s = s[2:]
		i := strings.IndexByte(s, '/')
		if i < 0 {
			i = len(s)
		}
		u.authority, u.hasAuthority, s = s[:i], true, s[i:]
	}
	u.path = s
	return u
}

func (u uriParts) String() string {
	var sb strings.Builder
	if u.hasScheme {
		sb.WriteString(u.scheme)
		sb.WriteByte(':')
	}
	if u.hasAuthority {
		sb.WriteString("//")
		sb.WriteString(u.authority)
	}
	sb.WriteString(u.path)
	if u.hasQuery {
		sb.WriteByte('?')
		sb.WriteString(u.query)
	}
	return sb.String()
}

// mergePaths is RFC 3986 §5.2.3.
func mergePaths(b uriParts, ref string) string {
	if b.hasAuthority && b.path == "" {
		return "/" + ref
	}
	if i := strings.LastIndexByte(b.path, '/'); i >= 0 {
		return b.path[:i+1] + ref
	}
	return ref
}

// removeDots is RFC 3986 §5.2.4 as C14N 1.1 §2.4 modifies it (its
// Appendix A tabulates the results): leading "../" segments of a relative
// path are kept instead of dropped, runs of "/" count as one, and a final
// "." or ".." segment leaves a trailing "/".
func removeDots(p string) string {
	if p == "" {
		return ""
	}
	abs := p[0] == '/'
	var segs []string
	trailing := false
	for rest := p; ; {
		var seg string
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			seg = rest
		} else {
			seg = rest[:i]
		}
		last := i < 0
		switch seg {
		case "", ".":
			trailing = last
		case "..":
			switch {
			case len(segs) > 0 && segs[len(segs)-1] != "..":
				segs = segs[:len(segs)-1]
			case !abs:
				segs = append(segs, "..") // above a relative start: keep it
			}
			trailing = last
		default:
			segs = append(segs, seg)
			trailing = false
		}
		if last {
			break
		}
		rest = rest[i+1:]
		trailing = true // a "/" was just consumed; cleared by a following segment
	}
	out := strings.Join(segs, "/")
	if trailing && len(segs) > 0 {
		out += "/"
	}
	if abs {
		out = "/" + out
	}
	return out
}
