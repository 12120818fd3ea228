package main

import (
	"bytes"
	"os"
	"testing"
)

// TestHeaderFresh fails when include/ksef.h no longer matches capi/: the
// committed header is what C users compile against.
func TestHeaderFresh(t *testing.T) {
	want, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../include/ksef.h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("include/ksef.h is stale: run `make header` and commit it")
	}
}
