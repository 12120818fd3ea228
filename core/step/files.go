package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// hostFiles says whether operations read files through the host. The wasm
// module has no filesystem (no preopened directories), so there every
// hostfs.ReadFile becomes a "file" event the host answers with the bytes,
// and — for a host that streams — every hostfs.Open, Create and List an
// open, create or list event. libksef.so reads and writes files itself,
// under ksef_start as under ksef_call: its host runs on the same machine
// and would only pass the same bytes through one more copy, so its C hosts
// never see a file event.
var hostFiles = runtime.GOOS == "wasip1"

// FileAnswer is the host's answer to a file event.
type FileAnswer struct {
	Data     string `json:"data,omitempty"`
	Error    string `json:"error,omitempty"`
	NotFound bool   `json:"notFound,omitempty"`
}

// files turns each whole-file read into a file event and waits for the
// answer.
type files struct{ op *operation }

func (f *files) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := f.op.ask(ctx, event{Kind: "file", Path: path}, nil)
	if err != nil {
		return nil, err
	}
	var a FileAnswer
	if err := json.Unmarshal(r.answer, &a); err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to a file event")
	}
	switch {
	case a.NotFound:
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	case a.Error != "":
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("host reported: %s", a.Error)}
	}
	if b64.DecodedLen(len(a.Data)) > hostfs.MaxSize+2 {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, hostfs.MaxSize)
	}
	b, err := b64.DecodeString(a.Data)
	if err != nil {
		return nil, errs.Wrap(errs.InputInvalid, err, "host answer to a file event is not base64")
	}
	if len(b) > hostfs.MaxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, hostfs.MaxSize)
	}
	return b, nil
}

// streamer is hostfs.Streamer through the host: open, read, create,
// write, list and close events.
type streamer struct{ op *operation }

func (s *streamer) Open(ctx context.Context, path string) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	id := s.op.newID()
	r, err := s.op.ask(ctx, event{Kind: "open", Stream: id, Path: path}, nil)
	if err != nil {
		s.op.tell(event{Kind: "close", Stream: id}) // the host may have opened it
		return nil, 0, err
	}
	fail := fileFailure(path)
	a, err := decodeAnswer(r, "open", false, fail)
	if err == nil && (a.Size == nil || *a.Size < 0) {
		err = errs.New(errs.InputInvalid, "the host answered an open event without the file's size")
	}
	if err != nil {
		if !reported(err) { // a garbled answer: the host may hold the file
			s.op.tell(event{Kind: "close", Stream: id})
		}
		return nil, 0, err
	}
	return newHostReader(ctx, s.op, id, *a.Size, fail), *a.Size, nil
}

func (s *streamer) Create(ctx context.Context, path string) (io.WriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := s.op.newID()
	r, err := s.op.ask(ctx, event{Kind: "create", Stream: id, Path: path}, nil)
	if err == nil {
		_, err = decodeAnswer(r, "create", false, fileFailure(path))
	}
	if err != nil {
		if !reported(err) {
			s.op.tell(event{Kind: "close", Stream: id})
		}
		return nil, err
	}
	return &hostWriter{op: s.op, ctx: ctx, id: id, fail: fileFailure(path)}, nil
}

func (s *streamer) List(ctx context.Context, dir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := s.op.ask(ctx, event{Kind: "list", Path: dir}, nil)
	if err != nil {
		return nil, err
	}
	a, err := decodeAnswer(r, "list", false, fileFailure(dir))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(a.Names))
	for _, n := range a.Names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
			return nil, errs.New(errs.InputInvalid, "the host listed a name that is not a file's name in the directory")
		}
		out = append(out, joinHost(dir, n))
	}
	slices.Sort(out)
	return out, nil
}

// MkdirAll, Rename and Remove are one event each, answered {} or with the
// host's error.
func (s *streamer) MkdirAll(ctx context.Context, dir string) error {
	return s.simple(ctx, event{Kind: "mkdir", Path: dir}, dir)
}

func (s *streamer) Rename(ctx context.Context, from, to string) error {
	return s.simple(ctx, event{Kind: "rename", Path: from, To: to}, from)
}

func (s *streamer) Remove(ctx context.Context, path string) error {
	return s.simple(ctx, event{Kind: "remove", Path: path}, path)
}

func (s *streamer) simple(ctx context.Context, ev event, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := s.op.ask(ctx, ev, nil)
	if err != nil {
		return err
	}
	_, err = decodeAnswer(r, ev.Kind, false, fileFailure(path))
	return err
}

// Spool asks the host for a scratch file (a spool event); dir is the
// core's wish, the host's temporary directory is where it goes.
func (s *streamer) Spool(ctx context.Context, _ string) (hostfs.Spool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := s.op.newID()
	r, err := s.op.ask(ctx, event{Kind: "spool", Stream: id}, nil)
	if err == nil {
		_, err = decodeAnswer(r, "spool", false, fileFailure("(spool)"))
	}
	if err != nil {
		if !reported(err) {
			s.op.tell(event{Kind: "close", Stream: id})
		}
		return nil, err
	}
	return &hostSpool{w: hostWriter{op: s.op, ctx: ctx, id: id, fail: fileFailure("(spool)")}}, nil
}

// reported says whether err is a failure the host reported on a file (it
// then holds nothing of the stream), rather than a garbled answer or an
// abandoned one, after which it may.
func reported(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// joinHost joins a directory the host named and a name in it. Host paths
// are the host's (POSIX or Windows); the core only appends.
func joinHost(dir, name string) string {
	if strings.HasSuffix(dir, "/") || strings.HasSuffix(dir, `\`) {
		return dir + name
	}
	if strings.Contains(dir, `\`) && !strings.Contains(dir, "/") {
		return dir + `\` + name
	}
	return path.Join(dir, name)
}
