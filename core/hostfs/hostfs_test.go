package hostfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

type fixed map[string][]byte

func (f fixed) ReadFile(_ context.Context, path string) ([]byte, error) {
	if b, ok := f[path]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.toml")
	os.WriteFile(p, []byte("x = 1"), 0o600)
	if b, err := ReadFile(context.Background(), p); err != nil || string(b) != "x = 1" {
		t.Fatalf("local: %q, %v", b, err)
	}
	if _, err := ReadFile(context.Background(), filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := ReadFile(context.Background(), dir); err == nil {
		t.Fatal("a directory was read")
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxSize+1), 0o600)
	if _, err := ReadFile(context.Background(), big); err == nil {
		t.Fatal("a file over MaxSize was read")
	}
	ctx := With(context.Background(), fixed{"/host/a": []byte("from host")})
	if b, err := ReadFile(ctx, "/host/a"); err != nil || string(b) != "from host" {
		t.Fatalf("host reader: %q, %v", b, err)
	}
	if _, err := ReadFile(ctx, p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the host reader must not fall back to local files: %v", err)
	}
}
