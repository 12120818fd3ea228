// Package errgen writes the exception classes of the Python and Node
// packages from the table of error codes in package errs, so that every
// binding raises the same class, with the same parents, for the same code.
//
// Each target file keeps its hand-written parts (the root class KsefError,
// which carries the envelope's fields) and holds one generated block between
// a BEGIN and an END marker line; Block replaces only that block. The test
// of this package fails when a block is stale, and `make errors` (go test
// ./core/errs/errgen -update) rewrites them.
package errgen

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ksefkit/ksefkit/core/errs"
)

// Target is one generated block in one file of the repository.
type Target struct {
	Path    string // relative to the repository root
	Block   string // names the block among others in the same file
	Comment string // the line comment of the file's language
	Render  func([]errs.Info) string
}

// Targets lists every generated block.
func Targets() []Target {
	return []Target{
		{"bindings/python/ksefkit/errors.py", "classes", "#", pythonClasses},
		{"bindings/python/ksefkit/__init__.py", "imports", "#", pythonImports},
		{"bindings/python/ksefkit/__init__.py", "__all__", "#", pythonAll},
		{"bindings/node/lib/errors.cjs", "classes", "//", nodeClasses},
		{"bindings/node/index.d.ts", "declarations", "//", tsDeclarations},
		{"bindings/node/index.mjs", "exports", "//", esmExports},
	}
}

// Splice returns file with the generated block of t replaced by its fresh
// content. The file must already hold both marker lines.
func (t Target) Splice(file string) (string, error) {
	begin := t.Comment + " BEGIN GENERATED " + t.Block + " by `make errors` from core/errs/table.go; do not edit\n"
	end := t.Comment + " END GENERATED " + t.Block + "\n"
	i := strings.Index(file, begin)
	j := strings.Index(file, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("%s: missing the marker lines %q … %q", t.Path, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	return file[:i+len(begin)] + t.Render(errs.Codes()) + file[j:], nil
}

// Vectors is the JSON every binding's error parity test reads
// (core/errs/testdata/codes.json): per code, the class, its ancestors and
// whether a retry can help.
func Vectors() []byte {
	type vector struct {
		Code      errs.Code `json:"code"`
		Class     string    `json:"class"`
		Python    string    `json:"python"`
		Ancestors []string  `json:"ancestors"`
		PyAnc     []string  `json:"pythonAncestors"`
		Retryable bool      `json:"retryable"`
	}
	var out []vector
	for _, i := range errs.Codes() {
		out = append(out, vector{i.Code, i.Class, i.PythonClass(), i.Ancestors(), pythonAncestors(i), i.Retryable})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return append(b, '\n')
}

// pythonAncestors are the Python names of i's ancestors.
func pythonAncestors(i errs.Info) []string {
	var out []string
	for _, a := range i.Ancestors() {
		out = append(out, pyName(a))
	}
	return out
}

// pyName maps a class name of the table to its Python spelling.
func pyName(class string) string {
	for _, i := range errs.Codes() {
		if i.Class == class {
			return i.PythonClass()
		}
	}
	return class
}

// pythonExtraBases are Python builtins a class also derives from, so that
// generic handlers catch it (an InputError is a ValueError).
var pythonExtraBases = map[string]string{"InputError": "ValueError"}

func pythonClasses(codes []errs.Info) string {
	var b strings.Builder
	for _, i := range codes {
		bases := pyName(i.Parent)
		if extra := pythonExtraBases[i.Class]; extra != "" {
			bases += ", " + extra
		}
		fmt.Fprintf(&b, "\n\nclass %s(%s):\n", i.PythonClass(), bases)
		b.WriteString(docstring("    ", string(i.Code)+" — "+i.Doc))
		if i.Retryable {
			b.WriteString("\n    retryable = True\n")
		}
	}
	b.WriteString("\n\nERROR_CLASSES: dict[str, type[KsefError]] = {\n")
	for _, i := range codes {
		fmt.Fprintf(&b, "    %q: %s,\n", i.Code, i.PythonClass())
	}
	b.WriteString("}\n")
	return b.String()
}

func pythonNames(codes []errs.Info) []string {
	names := []string{errs.Root}
	for _, i := range codes {
		names = append(names, i.PythonClass())
	}
	return names
}

func pythonImports(codes []errs.Info) string {
	return wrapList("from .errors import (", ")", pythonNames(codes), "    ")
}

func pythonAll(codes []errs.Info) string {
	return wrapList("__all__ += [", "]", quoted(pythonNames(codes)), "    ")
}

func nodeClasses(codes []errs.Info) string {
	var b strings.Builder
	for _, i := range codes {
		fmt.Fprintf(&b, "\n// %s — %s\n", i.Code, i.Doc)
		fmt.Fprintf(&b, "class %s extends %s {\n  static code = %s;\n", i.Class, i.Parent, jsString(string(i.Code)))
		if i.Retryable {
			b.WriteString("  get retryable() { return true; }\n")
		}
		b.WriteString("}\n")
	}
	b.WriteString("\nconst CLASSES = {\n")
	for _, i := range codes {
		fmt.Fprintf(&b, "  %s,\n", i.Class)
	}
	b.WriteString("};\n")
	return b.String()
}

func tsDeclarations(codes []errs.Info) string {
	var b strings.Builder
	b.WriteString("/** Every code of the envelope's error (core/errs); KsefError.code may also hold a code added later. */\n")
	b.WriteString("export type ErrorCode =")
	for _, i := range codes {
		b.WriteString("\n  | " + jsString(string(i.Code)))
	}
	b.WriteString(";\n")
	for _, i := range codes {
		fmt.Fprintf(&b, "/** `%s` — %s */\n", i.Code, i.Doc)
		if i.Retryable {
			fmt.Fprintf(&b, "export declare class %s extends %s {\n  readonly retryable: true;\n}\n", i.Class, i.Parent)
		} else {
			fmt.Fprintf(&b, "export declare class %s extends %s {}\n", i.Class, i.Parent)
		}
	}
	return b.String()
}

func esmExports(codes []errs.Info) string {
	names := []string{errs.Root}
	for _, i := range codes {
		names = append(names, i.Class)
	}
	return wrapList("export const {", "} = k;", names, "  ")
}

// docstring renders a Python docstring wrapped at 100 columns.
func docstring(indent, text string) string {
	lines := wrap(text, 100-len(indent)-3)
	if len(lines) == 1 {
		return indent + `"""` + lines[0] + `"""` + "\n"
	}
	var b strings.Builder
	b.WriteString(indent + `"""` + lines[0] + "\n")
	for _, l := range lines[1:] {
		b.WriteString(indent + l + "\n")
	}
	b.WriteString(indent + `"""` + "\n")
	return b.String()
}

func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// wrapList renders open, the items separated by commas on lines of at
// most 100 columns, and close.
func wrapList(open, close string, items []string, indent string) string {
	var b strings.Builder
	b.WriteString(open + "\n")
	line := ""
	for _, it := range items {
		if line != "" && len(indent)+len(line)+len(it)+2 > 100 {
			b.WriteString(indent + line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += it + ","
	}
	if line != "" {
		b.WriteString(indent + line + "\n")
	}
	b.WriteString(close + "\n")
	return b.String()
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

func jsString(s string) string { return "'" + s + "'" }
