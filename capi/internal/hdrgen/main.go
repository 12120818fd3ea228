// Command hdrgen writes include/ksef.h from the Go declarations of capi:
// the package comment becomes the header's introduction, the return-code
// constants become #defines and every //export function becomes a
// prototype carrying its doc comment. The header is never edited by hand;
// the capi preamble includes it, so cgo's _cgo_export.c fails to compile
// when a prototype and its Go function disagree.
//
//	go run ./capi/internal/hdrgen -src capi -o include/ksef.h
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	src := flag.String("src", "capi", "directory of the capi package")
	out := flag.String("o", "include/ksef.h", "header to write ('-' for stdout)")
	flag.Parse()
	h, err := Generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hdrgen:", err)
		os.Exit(1)
	}
	if *out == "-" {
		os.Stdout.Write(h)
		return
	}
	if err := os.WriteFile(*out, h, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "hdrgen:", err)
		os.Exit(1)
	}
}
