package errs

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// codeConstants parses this package's sources and returns every constant
// declared with type Code, so that a constant added without a table entry
// fails here instead of reaching a binding as an unknown code.
func codeConstants(t *testing.T) map[string]Code {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Code{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != "Code" {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("constant %s: value is not a string literal", name.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = Code(v)
				}
			}
		}
	}
	return out
}

func TestEveryCodeConstantIsInTheTable(t *testing.T) {
	consts := codeConstants(t)
	if len(consts) < 17 {
		t.Fatalf("found only %d Code constants: the parser missed some", len(consts))
	}
	inTable := map[Code]bool{}
	for _, i := range Codes() {
		if inTable[i.Code] {
			t.Errorf("%s is in the table twice", i.Code)
		}
		inTable[i.Code] = true
	}
	values := map[Code]bool{}
	for name, c := range consts {
		values[c] = true
		if !inTable[c] {
			t.Errorf("errs.%s (%q) has no entry in the table of codes (core/errs/table.go)", name, c)
		}
	}
	for c := range inTable {
		if !values[c] {
			t.Errorf("the table lists %q, which is no Code constant", c)
		}
	}
}

func TestTableIsOneHierarchy(t *testing.T) {
	classes := map[string]bool{Root: true}
	py := map[string]bool{Root: true}
	for _, i := range Codes() {
		if i.Class == "" || i.Doc == "" || i.Parent == "" {
			t.Errorf("%s: class, parent and doc are required", i.Code)
		}
		if classes[i.Class] || py[i.PythonClass()] {
			t.Errorf("%s: class %s is used twice", i.Code, i.Class)
		}
		if !classes[i.Parent] {
			t.Errorf("%s: parent %s must come earlier in the table", i.Code, i.Parent)
		}
		if strings.Contains(i.Doc, "\n") {
			t.Errorf("%s: the doc must be one line", i.Code)
		}
		classes[i.Class], py[i.PythonClass()] = true, true
		anc := i.Ancestors()
		if len(anc) == 0 || anc[len(anc)-1] != Root {
			t.Errorf("%s: ancestors %v do not end at %s", i.Code, anc, Root)
		}
		// Every error KSeF answered is an ApiError, so one except/catch
		// covers them all.
		if strings.HasPrefix(string(i.Code), "ksef.") && i.Class != ApiClass && anc[0] != ApiClass {
			t.Errorf("%s: a ksef.* code must descend from %s, has ancestors %v", i.Code, ApiClass, anc)
		}
	}
}

func TestRetryable(t *testing.T) {
	for c, want := range map[Code]bool{Transport: true, Timeout: true, RateLimited: true, InputInvalid: false, API: false, Code("no.such"): false} {
		if c.Retryable() != want {
			t.Errorf("%s.Retryable() = %v", c, !want)
		}
	}
}

func TestShapeNeverEchoes(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "empty",
		"5265877636":          "10 characters: digits",
		"a":                   "1 character: lower-case letters",
		"Ab1|-":               "5 characters: digits, upper-case letters, lower-case letters, punctuation",
		"zażółć\r\n":          "8 characters: lower-case letters, control characters or line breaks, non-ASCII characters",
		"\xff\xfe":            "2 bytes, not UTF-8",
		"token with a space ": "19 characters: lower-case letters, spaces",
	} {
		if got := Shape(in); got != want {
			t.Errorf("Shape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONInputNamesTheFieldNotTheValue(t *testing.T) {
	var v struct {
		Password string `json:"password"`
		Inner    struct {
			N int `json:"n"`
		} `json:"inner"`
	}
	for in, field := range map[string]string{
		`{"password": 123456789}`:      "password",
		`{"inner": {"n": "98765432"}}`: "inner.n",
	} {
		err := JSONInput(json.Unmarshal([]byte(in), &v), "input")
		if err.Code != InputInvalid || err.Field != field || strings.Contains(err.Message, "123456789") || strings.Contains(err.Message, "98765432") {
			t.Errorf("%s: %+v", in, err)
		}
	}
	if err := JSONInput(json.Unmarshal([]byte(`{"password": tru`), &v), "input"); err.Field != "input" || err.Code != InputInvalid {
		t.Errorf("syntax: %+v", err)
	}
}
