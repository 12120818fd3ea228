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
	// MkdirAll creates dir and its missing parents (0700).
	MkdirAll(ctx context.Context, dir string) error
	// Rename replaces to with from, atomically where the filesystem can.
	Rename(ctx context.Context, from, to string) error
	// Remove deletes a file.
	Remove(ctx context.Context, path string) error
	// Spool makes an anonymous scratch file in dir ("" : the host's
	// temporary directory) that no one else can see and that is gone once
	// closed.
	Spool(ctx context.Context, dir string) (Spool, error)
}

// Spool is a scratch file written from the start and read at any offset:
// an export package that must be read as a ZIP. Truncate cuts it to size
// and makes the next Write go there (a part downloaded again).
type Spool interface {
	io.Writer
	io.ReaderAt
	Truncate(size int64) error
	io.Closer
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

// MkdirAll creates a directory and its missing parents (0700: what goes
// there is the taxpayer's business data).
func MkdirAll(ctx context.Context, dir string) error {
	s, ok := streamer(ctx)
	if !ok {
		return ErrNoStreams
	}
	return s.MkdirAll(ctx, dir)
}

// Rename replaces to with from (atomically where the filesystem can).
func Rename(ctx context.Context, from, to string) error {
	s, ok := streamer(ctx)
	if !ok {
		return ErrNoStreams
	}
	return s.Rename(ctx, from, to)
}

// Remove deletes a file.
func Remove(ctx context.Context, path string) error {
	s, ok := streamer(ctx)
	if !ok {
		return ErrNoStreams
	}
	return s.Remove(ctx, path)
}

// NewSpool makes a scratch file in dir ("": the temporary directory).
func NewSpool(ctx context.Context, dir string) (Spool, error) {
	s, ok := streamer(ctx)
	if !ok {
		return nil, ErrNoStreams
	}
	return s.Spool(ctx, dir)
}

// local is the operating system's filesystem.
type local struct{}

func (local) MkdirAll(_ context.Context, dir string) error { return os.MkdirAll(dir, 0o700) }

func (local) Rename(_ context.Context, from, to string) error { return os.Rename(from, to) }

func (local) Remove(_ context.Context, path string) error { return os.Remove(path) }

func (local) Spool(_ context.Context, dir string) (Spool, error) {
	f, err := os.CreateTemp(dir, "ksef-spool-*")
	if err != nil {
		return nil, err
	}
	// Unlinked right away: the data lives as long as the descriptor, and a
	// crash leaves no file behind.
	os.Remove(f.Name())
	return &fileSpool{f}, nil
}

// fileSpool is a Spool on an unlinked temporary file.
type fileSpool struct{ *os.File }

func (s *fileSpool) Truncate(size int64) error {
	if err := s.File.Truncate(size); err != nil {
		return err
	}
	_, err := s.Seek(size, io.SeekStart)
	return err
}

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
