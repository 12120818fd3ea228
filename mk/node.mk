# The npm package ksefkit (bindings/node), included by the top-level Makefile.
#   make npm         → $(BUILD)/dist/ksefkit-<version>.tgz (npm pack, wasm inside)
#   make test-node   → installs that tarball into a scratch project and runs
#                      the node:test suite (import and require) against the
#                      installed package and the ksef-sim binary
#   make bench-node  → prints size, cold start, call overhead, auth, XAdES figures
GO    ?= go
BUILD ?= build
NODE  ?= node
NPM   ?= npm

NODE_PKG     := bindings/node
NODE_VERSION  = $(shell $(NODE) -p "require('./$(NODE_PKG)/package.json').version")
NODE_TGZ      = $(BUILD)/dist/ksefkit-$(NODE_VERSION).tgz
NODE_SCRATCH := $(BUILD)/node-scratch
KSEF_SIM_BIN := $(BUILD)/bin/ksef-sim

.PHONY: npm test-node bench-node ksef-sim-bin

ksef-sim-bin:
	@mkdir -p $(BUILD)/bin
	$(GO) build -o $(KSEF_SIM_BIN) ./cmd/ksef-sim

# The wasm is copied in at pack time only (build output, not committed).
npm: wasm
	@mkdir -p $(BUILD)/dist
	cp $(WASM) $(NODE_PKG)/ksef.wasm
	cp $(NODE_PKG)/index.d.ts $(NODE_PKG)/index.d.cts
	cd $(NODE_PKG) && $(NPM) pack --silent --pack-destination $(abspath $(BUILD)/dist) >/dev/null
	@echo "$(NODE_TGZ)"; tar -tzf $(NODE_TGZ) | sed 's/^/  /'

test-node: npm ksef-sim-bin
	rm -rf $(NODE_SCRATCH) && mkdir -p $(NODE_SCRATCH)/test
	cd $(NODE_SCRATCH) && echo '{"name":"ksefkit-scratch","private":true,"type":"module"}' > package.json && \
	  $(NPM) install --silent --no-audit --no-fund --ignore-scripts $(abspath $(NODE_TGZ))
	cp $(NODE_PKG)/test/*.mjs $(NODE_PKG)/test/*.cjs $(NODE_SCRATCH)/test/
	cd $(NODE_SCRATCH) && KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) $(NODE) --test test/*.test.mjs test/*.test.cjs

bench-node: npm ksef-sim-bin
	KSEFKIT_WASM=$(abspath $(WASM)) KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) $(NODE) $(NODE_PKG)/bench/bench.mjs
	@echo "native reference (same operations through core/bridge, Go net/http driver):"
	$(GO) test -run '^$$' -bench Native -benchtime 1s ./wasm/hosttest
