package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Render prints a command's result: with --json the operation's result
// struct as JSON (what docs/ops.md documents), otherwise human for people.
func Render[T any](f *Factory, v *T, human func(w io.Writer, v *T)) error {
	if f.Flags.JSON {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return errs.Wrap(errs.Internal, err, "encoding the result")
		}
		return nil
	}
	human(f.IO.Out, v)
	return nil
}

// Note tells the person at the terminal something beside the result; it
// goes to stderr and is left out with --json (scripts read stdout).
func (f *Factory) Note(format string, args ...any) {
	if !f.Flags.JSON {
		fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
	}
}

// PrintError reports err on stderr: as {"error": {…}} with --json (the
// envelope's error object), otherwise as one line.
func PrintError(f *Factory, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		// Only the command line's own checks (cobra) fail without a code.
		e = &errs.Error{Code: errs.InputInvalid, Message: err.Error()}
	}
	if f.Flags.JSON {
		b, _ := json.Marshal(map[string]any{"error": e})
		fmt.Fprintf(f.IO.ErrOut, "%s\n", b)
		return
	}
	fmt.Fprintf(f.IO.ErrOut, "ksef: %s\n", err.Error())
}

// Table writes aligned columns.
type Table struct {
	tw *tabwriter.Writer
}

// NewTable starts a table with a header row.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	fmt.Fprintln(t.tw, strings.Join(header, "\t"))
	return t
}

// Row adds a row; empty cells show as "-".
func (t *Table) Row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// Flush writes the table out.
func (t *Table) Flush() { t.tw.Flush() }

// Fields writes "name: value" lines, skipping empty values.
func Fields(w io.Writer, kv ...string) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[i], kv[i+1])
		}
	}
	tw.Flush()
}
