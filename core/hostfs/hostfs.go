// Package hostfs reads the files an operation names — a profile's
// configuration file, the certificate and key it points to — from whoever
// hosts the core. Natively that is the operating system. The wasm module has
// no filesystem of its own (wasip1 has one only where the host preopens
// directories, and ksef.wasm's hosts do not); there the step/resume driver
// installs a Reader that asks the host with a "file" event, so core code
// reads the same way everywhere.
package hostfs

import (
	"context"
	"fmt"
	"io"
	"os"
)

// MaxSize bounds every read: configuration files, certificates and keys
// are small, and a path naming a device or a huge file must fail, not hang
// or exhaust memory.
const MaxSize = 4 << 20

// Reader reads one whole file. A missing file is an error satisfying
// errors.Is(err, fs.ErrNotExist).
type Reader interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

type readerKey struct{}

// With makes r the reader of ctx.
func With(ctx context.Context, r Reader) context.Context {
	return context.WithValue(ctx, readerKey{}, r)
}

// ReadFile reads path with ctx's reader, or from the local filesystem.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	if r, ok := ctx.Value(readerKey{}).(Reader); ok && r != nil {
		return r.ReadFile(ctx, path)
	}
	return readLocal(path)
}

func readLocal(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxSize)
	}
	return b, nil
}
