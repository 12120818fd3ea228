# ksefkit — one Go core, two artifacts (libksef.so, ksef.wasm), thin bindings.
#
#   make demo    build everything and run the main job against the bundled simulator
#   make test    every test of every language (what CI runs)
#   make bench   benchmarks (figures are printed, never asserted)
#
# Area-specific targets live in mk/*.mk (C ABI, Python, wasm, Node).

GO      ?= go
BUILD   ?= build
export GOFLAGS ?= -buildvcs=false

.PHONY: all build go-build sim demo test go-test go-race docs docs-check deps bench go-bench clean help

all: build

help:
	@sed -n 's/^#   //p' Makefile

build: go-build sim lib wasm wheel npm

go-build:
	$(GO) build ./...
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core/...

sim: $(BUILD)/bin/ksef-sim
$(BUILD)/bin/ksef-sim: FORCE
	@mkdir -p $(BUILD)/bin
	$(GO) build -o $@ ./cmd/ksef-sim
	$(GO) build -o $(BUILD)/bin/ksef-demo ./cmd/ksef-demo

FORCE:

# The test tools some suites need (xmlsec1 verifies our XAdES signatures
# independently). Installed here so that a fresh machine needs nothing by hand.
deps:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  echo "installing xmlsec1 (Debian package) for the XAdES tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq xmlsec1 >/dev/null; }

demo: build
	./build/scripts/demo.sh

test: deps go-build docs-check go-test go-race test-wasm test-c test-python test-node
	@echo "all test suites passed"

go-test: sim wasm
	KSEFKIT_ROOT=$(CURDIR) $(GO) test -count=1 ./...

# The concurrency-heavy packages again under the race detector.
go-race:
	$(GO) test -count=1 -race ./core/auth/... ./core/step/... ./core/bridge/... ./sim/...

docs:
	$(GO) test ./core/ops -run TestOpsDocIsFresh -update

docs-check:
	$(GO) test -count=1 ./core/ops -run TestOpsDocIsFresh

bench: go-bench bench-c bench-python bench-node

go-bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

clean:
	rm -rf $(BUILD)/bin $(BUILD)/lib $(BUILD)/include $(BUILD)/dist $(BUILD)/ksef.wasm $(BUILD)/venv $(BUILD)/npm-scratch

-include mk/*.mk
