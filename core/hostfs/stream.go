package hostfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// Large files — the invoices of a batch, an export written to disk — are
// streamed, never read whole: Open, Create and List work on the local
// filesystem natively, and through the host when the context carries a
// Streamer (the step/resume driver's read, write and list events).

// Streamer is implemented by hosts that stream files for the core.
type Streamer interface {
	// Open opens path for reading and tells its size.
	Open(ctx context.Context, path string) (io.ReadCloser, int64, error)
	// Create creates (or truncates) path for writing.
	Create(ctx context.Context, path string) (io.WriteCloser, error)
	// List names the regular files directly in dir, sorted.
	List(ctx context.Context, dir string) ([]string, error)
}

type streamerKey struct{}

// WithStreamer makes s the file streamer of ctx.
func WithStreamer(ctx context.Context, s Streamer) context.Context {
	return context.WithValue(ctx, streamerKey{}, s)
}

// ErrNoStreams is returned where the host reads whole files only and
// cannot stream them.
var ErrNoStreams = errors.New("this host does not stream files to the core; pass the bytes instead")

func streamer(ctx context.Context) (Streamer, bool) {
	if s, ok := ctx.Value(streamerKey{}).(Streamer); ok && s != nil {
		return s, true
	}
	if _, ok := ctx.Value(readerKey{}).(Reader); ok {
		return nil, false // a host that answers whole files only
	}
	return local{}, true
}

// Open opens a file for streaming reads and tells its size.
func Open(ctx context.Context, path string) (io.ReadCloser, int64, error) {
	s, ok := streamer(ctx)
	if !ok {
		return nil, 0, ErrNoStreams
	}
	return s.Open(ctx, path)
}

// Create creates or truncates a file for streaming writes.
func Create(ctx context.Context, path string) (io.WriteCloser, error) {
	s, ok := streamer(ctx)
	if !ok {
		return nil, ErrNoStreams
	}
	return s.Create(ctx, path)
}

// List names the regular files directly in dir (not its subdirectories),
// sorted by name, as paths joined to dir.
func List(ctx context.Context, dir string) ([]string, error) {
	s, ok := streamer(ctx)
	if !ok {
		return nil, ErrNoStreams
	}
	return s.List(ctx, dir)
}

// local is the operating system's filesystem.
type local struct{}

func (local) Open(_ context.Context, path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", path)
	}
	return f, st.Size(), nil
}

func (local) Create(_ context.Context, path string) (io.WriteCloser, error) {
	// 0600: exported invoices are business data of the taxpayer.
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

func (local) List(_ context.Context, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// IsLocal reports whether ctx's files are the operating system's own (no
// host streams or reads them), where a file can be replaced atomically by
// renaming a new one over it.
func IsLocal(ctx context.Context) bool {
	s, ok := streamer(ctx)
	_, local := s.(local)
	return ok && local
}
