// Package iostreams holds the streams a ksef command reads and writes, so
// that tests run commands in process with buffers (Test) where the binary
// uses the process's own (System).
package iostreams

import (
	"bytes"
	"io"
	"os"
)

// IOStreams are a command's standard streams: results go to Out, errors
// and notes for the person at the terminal to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// System returns the process's streams.
func System() *IOStreams { return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// Test returns streams over buffers: what the command reads, and what it
// wrote to stdout and stderr.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}
