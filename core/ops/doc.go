package ops

import (
	"fmt"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Markdown renders the reference of every operation (docs/ops.md).
func (t *Table) Markdown() string {
	var b strings.Builder
	b.WriteString("# ksefkit operations\n\n")
	b.WriteString("<!-- Generated from the operation table (core/ops) by `make docs`; do not edit by hand. A test fails when this file is stale. -->\n\n")
	b.WriteString("Every operation takes a JSON object and answers with the envelope `{\"ok\":true,\"result\":…,\"warnings\":[…]}` or\n")
	b.WriteString("`{\"ok\":false,\"error\":{\"code\",\"message\",…}}`. The same names are used by the C ABI (`ksef_call`, `ksef_start`),\n")
	b.WriteString("the wasm module, and the Python and Node packages. Operations marked *client* need a client handle;\n")
	b.WriteString("operations marked *network* talk to KSeF.\n\n")
	b.WriteString("| operation | client | network | summary |\n| --- | --- | --- | --- |\n")
	for _, op := range t.All() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", op.Name, anchor(op.Name), yes(op.NeedsClient), yes(op.Network), firstSentence(op.Summary))
	}
	for _, op := range t.All() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", op.Name, op.Summary)
		if op.HostFiles {
			b.WriteString("*Reads files of the host: in the wasm module run it with `ksef_start`, which asks the host for each file with a `file` event.*\n\n")
		}
		b.WriteString("**Input**\n\n")
		writeFields(&b, Fields(op.inType), "")
		b.WriteString("\n**Result**\n\n")
		writeFields(&b, Fields(op.outType), "")
	}
	b.WriteString("\n## Errors\n\nThe `code` of an error envelope is one of these (the table in `core/errs/table.go`). Python and Node raise\n")
	b.WriteString("the class named here, which extends the parent class; *retry* marks codes where the same call, made again later\n")
	b.WriteString("unchanged, can succeed.\n\n")
	b.WriteString("| code | class | parent | retry | when |\n| --- | --- | --- | --- | --- |\n")
	for _, i := range errs.Codes() {
		class := "`" + i.Class + "`"
		if i.Python != "" {
			class += " (Python `" + i.Python + "`)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", i.Code, class, i.Parent, yes(i.Retryable), i.Doc)
	}
	return b.String()
}

func writeFields(b *strings.Builder, fs []Field, indent string) {
	if len(fs) == 0 && indent == "" {
		b.WriteString("none (`{}`)\n")
		return
	}
	for _, f := range fs {
		opt := ""
		if f.Optional {
			opt = ", optional"
		}
		if f.Secret {
			opt += ", secret"
		}
		doc := ""
		if f.Doc != "" {
			doc = " — " + f.Doc
		}
		fmt.Fprintf(b, "%s- `%s` (%s%s)%s\n", indent, f.Name, f.Type, opt, doc)
		writeFields(b, f.Fields, indent+"  ")
	}
}

func anchor(name string) string { return strings.ReplaceAll(name, ".", "") }

func yes(v bool) string {
	if v {
		return "yes"
	}
	return ""
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
