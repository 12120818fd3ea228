# The npm package ksefkit (bindings/node), included by the top-level Makefile.
#   make npm         → $(BUILD)/dist/ksefkit-<version>.tgz (npm pack, wasm inside)
#   make test-node   → installs that tarball (and koffi, the optional peer
#                      dependency of the native backend) into a scratch project
#                      and runs the node:test suite (import and require) against
#                      the installed package, ksef-sim and build/lib/libksef.so:
#                      each suite once on the wasm and once on the native backend,
#                      under the machine's Node and again under Node 22
#   make test-memory-node → a ~200 MB batch through ksef.wasm (the parts'
#                      bodies pulled in chunks, the documents read through file
#                      events): peak RSS bounded, upload MB/s printed; part of
#                      make test-memory (~30 s)
#   make bench-node  → prints size, cold start, call overhead, auth, XAdES figures,
#                      and a 10 000-invoice batch and an export per backend
#                      (wasm, and the native backend's call overhead and auth)
GO    ?= go
BUILD ?= build
NODE  ?= node
NPM   ?= npm

NODE_PKG     := bindings/node
NODE_VERSION  = $(shell $(NODE) -p "require('./$(NODE_PKG)/package.json').version")
NODE_TGZ      = $(BUILD)/dist/ksefkit-$(NODE_VERSION).tgz
NODE_SCRATCH := $(BUILD)/node-scratch
KSEF_SIM_BIN := $(BUILD)/bin/ksef-sim
# libksef.so for the native backend (built by `make lib`, mk/capi.mk).
NODE_KSEF_LIB := $(BUILD)/lib/libksef.so
# koffi at exactly the version package.json pins as its optional peer.
KOFFI_SPEC     = koffi@$(shell $(NODE) -p "require('./$(NODE_PKG)/package.json').peerDependencies.koffi")
NODE_BENCH    := $(BUILD)/node-bench
# The package promises Node 20 and 22; the machine has one of them. The other
# comes as the official binary the npm registry carries (node-<os>-<arch>,
# the package behind npm's "node" package), pinned here, fetched once.
NODE22_VERSION := 22.23.5
NODE22         := $(BUILD)/node22/bin/node

.PHONY: npm test-node test-memory-node bench-node ksef-sim-bin

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

# koffi installs without its install script: the prebuilt koffi.node comes in
# its per-platform optional dependency. KSEFKIT_REQUIRE_NATIVE=1 makes the
# suites fail, not skip, when the native backend cannot start.
test-node: npm ksef-sim-bin lib $(NODE22)
	rm -rf $(NODE_SCRATCH) && mkdir -p $(NODE_SCRATCH)/test
	cd $(NODE_SCRATCH) && echo '{"name":"ksefkit-scratch","private":true,"type":"module"}' > package.json && \
	  $(NPM) install --silent --no-audit --no-fund --ignore-scripts $(abspath $(NODE_TGZ)) $(KOFFI_SPEC)
	cp $(NODE_PKG)/test/*.mjs $(NODE_PKG)/test/*.cjs $(NODE_SCRATCH)/test/
	for node in $(NODE) $(abspath $(NODE22)); do \
	  echo "node:test under $$($$node --version)"; \
	  (cd $(NODE_SCRATCH) && KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) KSEFKIT_LIB=$(abspath $(NODE_KSEF_LIB)) \
	    KSEFKIT_REQUIRE_NATIVE=1 KSEFKIT_REPO=$(abspath .) $$node --test test/*.test.mjs test/*.test.cjs) || exit 1; \
	done

test-memory: test-memory-node

# Against the source tree (KSEFKIT_WASM names the build's module); the
# package resolves through a link in a scratch node_modules.
test-memory-node: wasm ksef-sim-bin
	rm -rf $(BUILD)/node-memory && mkdir -p $(BUILD)/node-memory/node_modules $(BUILD)/node-memory/test
	ln -s $(abspath $(NODE_PKG)) $(BUILD)/node-memory/node_modules/ksefkit
	cp $(NODE_PKG)/test/memory-batch.mjs $(NODE_PKG)/test/sim.mjs $(BUILD)/node-memory/test/
	cd $(BUILD)/node-memory && KSEFKIT_WASM=$(abspath $(WASM)) KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) \
	  $(NODE) --expose-gc test/memory-batch.mjs

$(NODE22):
	rm -rf $(BUILD)/node22 && mkdir -p $(BUILD)/node22
	cd $(BUILD)/node22 && $(NPM) pack --silent \
	  node-$$($(NODE) -p 'process.platform')-$$($(NODE) -p 'process.arch')@$(NODE22_VERSION) >/dev/null && \
	  tar -xzf node-*.tgz --strip-components=1 package/bin/node && rm node-*.tgz
	$@ --version

# The bench runs from the source tree; koffi comes from its own scratch
# folder through NODE_PATH (also seen by the worker thread).
bench-node: npm ksef-sim-bin lib
	@mkdir -p $(NODE_BENCH)
	@test -f $(NODE_BENCH)/package.json || echo '{"name":"ksefkit-bench","private":true}' > $(NODE_BENCH)/package.json
	cd $(NODE_BENCH) && $(NPM) install --silent --no-audit --no-fund --ignore-scripts $(KOFFI_SPEC)
	KSEFKIT_WASM=$(abspath $(WASM)) KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) KSEFKIT_LIB=$(abspath $(NODE_KSEF_LIB)) \
	  NODE_PATH=$(abspath $(NODE_BENCH))/node_modules $(NODE) $(NODE_PKG)/bench/bench.mjs
	@echo "a batch of 10 000 invoices and an export, end to end against ksef-sim, on each backend:"
	for backend in wasm native; do \
	  for b in batch export; do \
	    KSEFKIT_BENCH_BACKEND=$$backend KSEFKIT_WASM=$(abspath $(WASM)) KSEF_SIM=$(abspath $(KSEF_SIM_BIN)) KSEFKIT_LIB=$(abspath $(NODE_KSEF_LIB)) \
	      NODE_PATH=$(abspath $(NODE_BENCH))/node_modules $(NODE) --expose-gc $(NODE_PKG)/bench/$$b.mjs || exit 1; \
	  done; \
	done
	@echo "native reference (same operations through core/bridge, Go net/http driver):"
	$(GO) test -run '^$$' -bench Native -benchtime 1s ./wasm/hosttest
