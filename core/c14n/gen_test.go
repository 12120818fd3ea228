package c14n

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// randomDocument writes a namespace-well-formed document that stresses the
// namespace rules: few prefixes and URIs, so redeclarations, superfluous
// declarations, xmlns="" and prefixes bound to the same URI are frequent.
// It keeps to the corpus' input rules (see corpus).
func randomDocument(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(3) == 0 {
		b.WriteString("<?xml version=\"1.0\"?>\n")
	}
	misc(r, &b)
	g := gen{r: r, b: &b}
	g.element(0, map[string]string{})
	misc(r, &b)
	return b.String()
}

type gen struct {
	r *rand.Rand
	b *strings.Builder
}

var (
	genPrefixes = []string{"a", "b", "c"}
	genURIs     = []string{"urn:1", "urn:2", "http://x.example/3"}
	genLocals   = []string{"k", "l", "m"}
	genTexts    = []string{"t", " ", "\n  ", "&amp;&lt;&gt;", "\"'", "&#13;", "ż😀", "<![CDATA[c<&>]]>", "]]&gt;"}
	genValues   = []string{"", "v", "&amp;&lt;&quot;&apos;>", "&#9;&#10;&#13;", "ż"}
	genXMLAttrs = []string{"lang", "space", "id", "foo", "base"}
	// Never "" (see corpus) nor a value whose next-to-last character is
	// "." unless it ends in "/..": libxml2 appends "/" to those.
	genBases = []string{"a/", "../b", "x/y/..", "http://h.example/p/q?r", "c", "./d/", "/abs/e"}
)

func misc(r *rand.Rand, b *strings.Builder) {
	for range r.IntN(3) {
		if r.IntN(2) == 0 {
			fmt.Fprintf(b, "<!--c%d-->", r.IntN(9))
		} else {
			fmt.Fprintf(b, "<?p%d d?>", r.IntN(9))
		}
		if r.IntN(2) == 0 {
			b.WriteString("\n")
		}
	}
}

// element writes one element; scope maps prefix ("" default) to URI.
func (g *gen) element(depth int, parent map[string]string) {
	r := g.r
	scope := make(map[string]string, len(parent)+2)
	for k, v := range parent {
		scope[k] = v
	}
	var decls []string
	for range r.IntN(3) {
		if r.IntN(3) == 0 { // default namespace, sometimes undeclared
			if hasDecl(decls, "xmlns=") {
				continue
			}
			uri := ""
			if r.IntN(3) > 0 {
				uri = genURIs[r.IntN(len(genURIs))]
			}
			decls = append(decls, fmt.Sprintf(`xmlns="%s"`, uri))
			scope[""] = uri
			continue
		}
		p := genPrefixes[r.IntN(len(genPrefixes))]
		if hasDecl(decls, "xmlns:"+p+"=") {
			continue
		}
		uri := genURIs[r.IntN(len(genURIs))]
		decls = append(decls, fmt.Sprintf(`xmlns:%s="%s"`, p, uri))
		scope[p] = uri
	}
	name := genLocals[r.IntN(len(genLocals))] + fmt.Sprint(depth)
	if p := pick(r, scope); p != "" && r.IntN(2) == 0 {
		name = p + ":" + name
	}
	// Attributes must differ by expanded name, not just by prefix.
	used := map[string]bool{}
	var attrs []string
	for range r.IntN(4) {
		local := genLocals[r.IntN(len(genLocals))]
		prefix, uri := "", ""
		switch r.IntN(4) {
		case 0:
			prefix, uri = "xml", "xml"
			local = genXMLAttrs[r.IntN(len(genXMLAttrs))]
		case 1:
			if p := pick(r, scope); p != "" {
				prefix, uri = p, scope[p]
			}
		}
		if used[uri+" "+local] {
			continue
		}
		used[uri+" "+local] = true
		qn := local
		if prefix != "" {
			qn = prefix + ":" + local
		}
		value := genValues[r.IntN(len(genValues))]
		if qn == "xml:base" {
			value = genBases[r.IntN(len(genBases))]
		}
		attrs = append(attrs, fmt.Sprintf(`%s="%s"`, qn, value))
	}
	all := append(decls, attrs...)
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	g.b.WriteString("<" + name)
	for _, a := range all {
		g.b.WriteString(" " + a)
	}
	n := 0
	if depth < 4 {
		n = r.IntN(4)
	}
	if n == 0 && r.IntN(2) == 0 {
		g.b.WriteString("/>")
		return
	}
	g.b.WriteString(">")
	for range n {
		switch r.IntN(5) {
		case 0:
			g.b.WriteString(genTexts[r.IntN(len(genTexts))])
		case 1:
			misc(r, g.b)
		default:
			g.element(depth+1, scope)
		}
	}
	g.b.WriteString("</" + name + ">")
}

func hasDecl(decls []string, prefix string) bool {
	for _, d := range decls {
		if strings.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}

// pick returns a random declared non-default prefix, or "".
func pick(r *rand.Rand, scope map[string]string) string {
	var ps []string
	for _, p := range genPrefixes {
		if _, ok := scope[p]; ok {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return ps[r.IntN(len(ps))]
}
