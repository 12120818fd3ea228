package step

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"runtime"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// hostFiles says whether operations read files through the host. The wasm
// module has no filesystem (no preopened directories), so there every
// hostfs.ReadFile becomes a "file" event the host answers with the bytes.
// libksef.so reads files itself, so its C hosts never see one.
var hostFiles = runtime.GOOS == "wasip1"

// FileAnswer is the host's answer to a file event.
type FileAnswer struct {
	Data     string `json:"data,omitempty"`
	Error    string `json:"error,omitempty"`
	NotFound bool   `json:"notFound,omitempty"`
}

// files turns each read into a file event and waits for the answer.
type files struct{ op *operation }

func (f *files) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.op.events <- event{Kind: "file", Op: f.op.id, Path: path}
	var raw json.RawMessage
	select {
	case raw = <-f.op.answers:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var a FileAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to a file event")
	}
	switch {
	case a.NotFound:
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	case a.Error != "":
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("host reported: %s", a.Error)}
	}
	b, err := base64.StdEncoding.DecodeString(a.Data)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to a file event is not base64")
	}
	if len(b) > hostfs.MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, hostfs.MaxSize)
	}
	return b, nil
}
