package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ksefkit/ksefkit/core/errs"
	"github.com/ksefkit/ksefkit/core/hostfs"
)

// Opener opens one document for reading. It is called once when the batch
// is packed and again for every part that is regenerated (for its upload,
// a retry of it, or a resumed batch), so it must yield the same bytes each
// time: a document whose SHA-256 changed between passes is refused.
type Opener func(ctx context.Context) (io.ReadCloser, error)

// Document is one invoice of a batch: its file name inside the archive
// (KSeF echoes it back as invoiceFileName) and how to read it.
type Document struct {
	Name string
	Open Opener
}

// Source yields the documents of a batch in archive order, or an error
// that ends the walk.
type Source = iter.Seq2[Document, error]

// Bytes is a document held in memory.
func Bytes(name string, doc []byte) Document {
	return Document{Name: name, Open: func(context.Context) (io.ReadCloser, error) { return BytesReader(doc), nil }}
}

// BytesReader reads doc and tells its length (so that it is read into a
// buffer of the right size at once).
func BytesReader(doc []byte) io.ReadCloser { return bytesReader{bytes.NewReader(doc)} }

type bytesReader struct{ *bytes.Reader }

func (bytesReader) Close() error { return nil }

// File is a document read from path (through package hostfs: the
// filesystem natively, the host under the step driver), named by its base
// name.
func File(path string) Document {
	return Document{Name: filepath.Base(path), Open: func(ctx context.Context) (io.ReadCloser, error) {
		rc, _, err := hostfs.Open(ctx, path)
		if err != nil {
			return nil, errs.Invalid("path", "cannot open the file: %s", fileErr(err))
		}
		return rc, nil
	}}
}

// Documents yields docs in order.
func Documents(docs ...Document) Source {
	return func(yield func(Document, error) bool) {
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// Files yields the files at paths, each named by its base name (two paths
// with the same base name are refused: the archive keeps names flat).
func Files(paths ...string) Source {
	return func(yield func(Document, error) bool) {
		for _, p := range paths {
			if !yield(File(p), nil) {
				return
			}
		}
	}
}

// Dir yields every regular file directly in dir whose name ends in .xml
// (any case), sorted by name. Other files and subdirectories are left out.
// The directory is listed through ctx's host (package hostfs) when the
// source is walked.
func Dir(ctx context.Context, dir string) Source {
	return func(yield func(Document, error) bool) {
		paths, err := hostfs.List(ctx, dir)
		if err != nil {
			yield(Document{}, errs.Invalid("dir", "cannot list the directory: %s", fileErr(err)))
			return
		}
		n := 0
		for _, p := range paths {
			if !strings.EqualFold(filepath.Ext(p), ".xml") {
				continue
			}
			n++
			if !yield(File(p), nil) {
				return
			}
		}
		if n == 0 {
			yield(Document{}, errs.Invalid("dir", "the directory holds no .xml files"))
		}
	}
}

func fileErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// MaxNameLength is the longest invoiceFileName KSeF reports (characters).
const MaxNameLength = 128

// checkName refuses names that cannot stand for themselves in a flat
// archive and in KSeF's invoiceFileName: empty, not UTF-8, too long, or
// able to place a file outside the folder it is unpacked into (a path
// separator, "." or "..", a drive letter) or to confuse whoever reads the
// name (control characters, leading or trailing spaces). A refused name is
// described, never quoted (core/errs: the echo rule).
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("a document needs a file name")
	case !utf8.ValidString(name):
		return fmt.Errorf("the file name is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("the file name has %d characters; KSeF keeps at most %d", utf8.RuneCountInString(name), MaxNameLength)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("the file name (%s) contains a path separator; batch archives are flat", errs.Shape(name))
	case name == "." || name == "..":
		return fmt.Errorf("the file name (%s) is a directory's name", errs.Shape(name))
	case len(name) >= 2 && name[1] == ':':
		return fmt.Errorf("the file name (%s) starts with a drive letter", errs.Shape(name))
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("the file name (%s) starts or ends with a space", errs.Shape(name))
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == 0xFFFD {
			return fmt.Errorf("the file name (%s) contains a control character", errs.Shape(name))
		}
	}
	return nil
}

// collect walks a source: every name checked and unique (compared without
// regard to case, as the filesystems archives are unpacked onto do), at
// most max documents, at least one.
func collect(src Source, max int) ([]Document, error) {
	if src == nil {
		return nil, errs.Invalid("documents", "no documents to send")
	}
	var docs []Document
	seen := map[string]int{}
	for d, err := range src {
		if err != nil {
			return nil, errs.As(err)
		}
		i := len(docs)
		field := fmt.Sprintf("documents[%d].name", i)
		if err := checkName(d.Name); err != nil {
			return nil, errs.Invalid(field, "documents[%d]: %v", i, err)
		}
		if d.Open == nil {
			return nil, errs.Invalid(fmt.Sprintf("documents[%d]", i), "documents[%d] has no opener", i)
		}
		key := strings.ToLower(d.Name)
		if j, dup := seen[key]; dup {
			return nil, errs.Invalid(field, "documents[%d] and documents[%d] are both named %q (names are compared without regard to case); names in a batch must be unique", j, i, d.Name)
		}
		seen[key] = i
		docs = append(docs, d)
		if len(docs) > max {
			return nil, errs.Invalid("documents", "more than %d documents: a batch session takes at most %d invoices; send them in several batches", max, max)
		}
	}
	if len(docs) == 0 {
		return nil, errs.Invalid("documents", "no documents to send")
	}
	return docs, nil
}
