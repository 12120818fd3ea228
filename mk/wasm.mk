# ksef.wasm: the wasip1 reactor (wasm/), included by the top-level Makefile.
#   make wasm       → $(BUILD)/ksef.wasm
#   make test-wasm  → Go host test under wazero (token auth against the
#                     simulator, cancel, bad handles, trap) + size budget
#                     (TestSizeBudget: gzip -9 ≤ 3.5 MB; raw only logged)
#   make wasm-size  → prints the sizes before and after wasm-opt
GO    ?= go
BUILD ?= build

WASM     := $(BUILD)/ksef.wasm
WASM_RAW := $(BUILD)/ksef.raw.wasm
WASM_OPT ?= wasm-opt
# Go emits these post-MVP features; wasm-opt 108 refuses the module without
# them ("bulk memory is disabled").
WASM_OPT_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-mutable-globals

.PHONY: wasm test-wasm wasm-size

# go build runs every time (its cache makes that cheap, and tracking every
# core source file here would duplicate what go already knows), but the raw
# module is replaced only when its bytes changed, so the slow wasm-opt pass
# (~20 s) reruns only when the code did.
wasm: $(WASM)

$(WASM_RAW): FORCE
	@mkdir -p $(BUILD)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags="-s -w" -o $@.tmp ./wasm
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# wasm-opt -Oz takes ~7 % off what Go emits (go's linker has no size mode);
# the whole wasm suite — wazero, Python over wasmtime, Node — runs on the
# optimised module, the one that ships.
$(WASM): $(WASM_RAW)
	@command -v $(WASM_OPT) >/dev/null 2>&1 || { \
	  echo "wasm-opt (Debian package binaryen) is missing: run 'make deps'" >&2; exit 1; }
	$(WASM_OPT) -Oz $(WASM_OPT_FEATURES) $< -o $@.tmp && mv $@.tmp $@

.PHONY: FORCE
FORCE:

test-wasm: wasm
	KSEFKIT_REQUIRE_WASM=1 KSEFKIT_WASM=$(abspath $(WASM)) GO=$(GO) $(GO) test -count=1 -v -run . ./wasm/hosttest

wasm-size: wasm
	@raw=$$(wc -c < $(WASM)); gz=$$(gzip -9c $(WASM) | wc -c); \
	  echo "ksef.wasm: $$raw bytes raw (not a target), $$gz bytes gzip -9 (budget 3500000)"; \
	  echo "before wasm-opt: $$(wc -c < $(WASM_RAW)) bytes raw"
