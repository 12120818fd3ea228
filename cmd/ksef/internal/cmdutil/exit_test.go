package cmdutil

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Every error code of core/errs has an exit code: the constants are read
// from its source, so a code added there without a line here fails.
func TestEveryErrorCodeHasAnExitCode(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "../../../../core/errs/errs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, name := range v.Names {
				n++
				lit := v.Values[0].(*ast.BasicLit).Value
				code := errs.Code(lit[1 : len(lit)-1])
				if _, ok := exitCodes[code]; !ok {
					t.Errorf("errs.%s (%s) has no exit code", name.Name, code)
				}
			}
		}
	}
	if n < 15 || n != len(exitCodes) {
		t.Fatalf("%d codes in core/errs, %d in the table", n, len(exitCodes))
	}
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errs.Invalid("nip", "bad"), 2},
		{errors.New(`unknown flag: --bogus`), 2}, // cobra's own
		{&errs.Error{Code: errs.API, HTTPStatus: 400}, 1},
		{&errs.Error{Code: errs.AuthFailed, Status: 450}, 3},
		{&errs.Error{Code: errs.NotAuthenticated}, 3},
		{&errs.Error{Code: errs.Forbidden}, 3},
		{&errs.Error{Code: errs.Transport}, 4},
		{&errs.Error{Code: errs.Timeout}, 4},
		{&errs.Error{Code: "some.future.code"}, 1},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
