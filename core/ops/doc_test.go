package ops

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/ops.md")

// TestOpsDocIsFresh fails when docs/ops.md no longer matches the table;
// `make docs` rewrites it.
func TestOpsDocIsFresh(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "ops.md")
	want := Default().Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make docs`)", err)
	}
	if string(got) != want {
		t.Fatal("docs/ops.md is stale: run `make docs`")
	}
}
