package hostfs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalStreams(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, err := Create(ctx, filepath.Join(dir, "b.xml"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "<b/>")
	w.Close()
	if st, _ := os.Stat(filepath.Join(dir, "b.xml")); st.Mode().Perm() != 0o600 {
		t.Fatalf("created with mode %v", st.Mode())
	}
	os.WriteFile(filepath.Join(dir, "a.xml"), []byte("<a/>"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	names, err := List(ctx, dir)
	if err != nil || len(names) != 2 || filepath.Base(names[0]) != "a.xml" || filepath.Base(names[1]) != "b.xml" {
		t.Fatalf("%v %v", names, err)
	}
	r, n, err := Open(ctx, names[1])
	if err != nil || n != 4 {
		t.Fatalf("%d %v", n, err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "<b/>" {
		t.Fatalf("%q", b)
	}
	if _, _, err := Open(ctx, dir); err == nil {
		t.Fatal("a directory opened as a file")
	}
	whole := With(ctx, fixed{})
	if _, _, err := Open(whole, names[0]); !errors.Is(err, ErrNoStreams) {
		t.Fatalf("a whole-file host must say it cannot stream: %v", err)
	}
}
