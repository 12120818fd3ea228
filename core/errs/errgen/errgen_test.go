package errgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksefkit/ksefkit/core/errs"
)

var update = flag.Bool("update", false, "rewrite the generated blocks and core/errs/testdata/codes.json")

const root = "../../.."

// TestGeneratedErrorsAreFresh fails when a binding's exception classes no
// longer match the table of codes; `make errors` rewrites them.
func TestGeneratedErrorsAreFresh(t *testing.T) {
	for _, target := range Targets() {
		path := filepath.Join(root, target.Path)
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := target.Splice(string(old))
		if err != nil {
			t.Fatal(err)
		}
		if *update && fresh != string(old) {
			if err := os.WriteFile(path, []byte(fresh), 0o644); err != nil {
				t.Fatal(err)
			}
			old = []byte(fresh)
		}
		if string(old) != fresh {
			t.Errorf("%s is stale: run `make errors`", target.Path)
		}
	}
	path := filepath.Join(root, "core", "errs", "testdata", "codes.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, Vectors(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, Vectors()) {
		t.Errorf("%s is stale or missing: run `make errors` (%v)", path, err)
	}
}

// Every class of the table appears in every binding, so a code can never be
// mapped in one and forgotten in another.
func TestEveryClassIsGenerated(t *testing.T) {
	for _, target := range Targets() {
		out := target.Render(errs.Codes())
		for _, i := range errs.Codes() {
			name := i.Class
			if strings.HasSuffix(target.Path, ".py") {
				name = i.PythonClass()
			}
			if !strings.Contains(out, name) {
				t.Errorf("%s: %s (%s) missing", target.Path, name, i.Code)
			}
		}
	}
}

func TestSpliceNeedsMarkers(t *testing.T) {
	if _, err := Targets()[0].Splice("no markers here\n"); err == nil {
		t.Fatal("a file without markers was accepted")
	}
}
