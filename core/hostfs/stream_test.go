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

// TestLocalFileKeeping: MkdirAll, Rename, Remove and a spool on the local
// filesystem — the spool invisible in its directory, cut back by Truncate,
// read at any offset.
func TestLocalFileKeeping(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	sub := filepath.Join(dir, "a", "b")
	if err := MkdirAll(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(sub); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("%v %v", st, err)
	}
	os.WriteFile(filepath.Join(sub, "x.tmp"), []byte("new"), 0o600)
	os.WriteFile(filepath.Join(sub, "x"), []byte("old"), 0o600)
	if err := Rename(ctx, filepath.Join(sub, "x.tmp"), filepath.Join(sub, "x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(sub, "x")); string(b) != "new" {
		t.Fatalf("renamed over: %q", b)
	}
	if err := Remove(ctx, filepath.Join(sub, "x")); err != nil {
		t.Fatal(err)
	}
	if err := Remove(ctx, filepath.Join(sub, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removing a missing file: %v", err)
	}
	s, err := NewSpool(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if left, _ := os.ReadDir(sub); len(left) != 0 {
		t.Fatalf("the spool is visible: %v", left)
	}
	io.WriteString(s, "part one|bad part")
	if err := s.Truncate(9); err != nil {
		t.Fatal(err)
	}
	io.WriteString(s, "part two")
	buf := make([]byte, 17)
	if n, err := s.ReadAt(buf, 0); n != 17 || (err != nil && err != io.EOF) || string(buf) != "part one|part two" {
		t.Fatalf("%d %v %q", n, err, buf)
	}
}
