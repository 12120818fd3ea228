# mk/capi.mk — libksef.so, include/ksef.h and the C tests.
# Included by the top-level Makefile; also usable alone:
#   make -f mk/capi.mk lib header header-check test-c bench-c
GO    ?= go
BUILD ?= build
CC    ?= cc
CXX   ?= c++

CAPI_ABS      := $(abspath $(BUILD))
KSEF_LIB      := $(BUILD)/lib/libksef.so
KSEF_HDR      := $(BUILD)/include/ksef.h
KSEF_PC       := $(BUILD)/lib/pkgconfig/ksef.pc
KSEF_SIM      ?= $(BUILD)/bin/ksef-sim
KSEF_VERSION  := $(shell sed -n 's/^const Version = "\(.*\)"/\1/p' core/ksef/client.go)
# Go sources the library is built from (the whole core may end up linked in).
CAPI_GO_SRC   := go.mod $(shell find core capi -name '*.go' -not -name '*_test.go' 2>/dev/null)
# -s -w: no symbol table or DWARF (7.6 MB -> ~2.6 MB less); the version
# script keeps every non-ksef_* symbol local.
CAPI_LDFLAGS  := -s -w -extldflags=-Wl,--version-script=$(abspath capi/ksef.map)
C_WARN        := -Wall -Wextra -Werror
C_EX_DIR      := examples/c
C_BIN         := $(BUILD)/c

.PHONY: lib lib-portable header header-check test-c bench-c capi-sim capi-check-exports

lib: $(KSEF_LIB) $(KSEF_HDR) $(KSEF_PC) capi-check-exports

$(KSEF_LIB): $(CAPI_GO_SRC) include/ksef.h capi/ksef.map
	@mkdir -p $(@D)
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -trimpath -ldflags="$(CAPI_LDFLAGS)" -o $@ ./capi
	@rm -f $(BUILD)/lib/libksef.h   # cgo's own header; ours is include/ksef.h

$(KSEF_HDR): include/ksef.h
	@mkdir -p $(@D)
	cp $< $@

$(KSEF_PC): mk/capi.mk
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(CAPI_ABS)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
	  'Name: ksef' 'Description: ksefkit - KSeF 2.0 (Polish e-invoicing API v2) client library' \
	  'Version: $(KSEF_VERSION)' 'Libs: -L$${libdir} -lksef' 'Libs.private: -lpthread' 'Cflags: -I$${includedir}' > $@

# Only ksef_* may be exported (the Go runtime's symbols must not leak into
# the host's namespace).
capi-check-exports: $(KSEF_LIB)
	@bad=$$(nm -D --defined-only $(KSEF_LIB) | awk '{print $$3}' | grep -v '^ksef_' || true); \
	if [ -n "$$bad" ]; then echo "unexpected exports in $(KSEF_LIB):"; echo "$$bad"; exit 1; fi; \
	echo "exports: $$(nm -D --defined-only $(KSEF_LIB) | awk '{print $$3}' | tr '\n' ' ')"

# The header is generated from capi/*.go and committed.
header:
	$(GO) run ./capi/internal/hdrgen -src capi -o include/ksef.h

header-check:
	@$(GO) run ./capi/internal/hdrgen -src capi -o - | cmp -s - include/ksef.h || \
	  { echo "include/ksef.h is stale: run 'make header' and commit it"; exit 1; }
	@echo "include/ksef.h is up to date"

# Portable build for old distributions (manylinux2014, glibc 2.17) with zig
# as the C compiler/linker. Optional: needs zig on PATH (e.g. `npm i -g
# @ziglang/cli` or a tarball from ziglang.org). Tests never require it.
ZIG ?= zig
lib-portable: include/ksef.h
	@command -v $(ZIG) >/dev/null || { echo "lib-portable needs zig (ZIG=/path/to/zig); see examples/c/README.md"; exit 1; }
	@mkdir -p $(BUILD)/lib-portable
	printf '#!/bin/sh\nexec $(ZIG) cc -target x86_64-linux-gnu.2.17 "$$@"\n' > $(BUILD)/lib-portable/zcc && chmod +x $(BUILD)/lib-portable/zcc
	CGO_ENABLED=1 CC=$(abspath $(BUILD))/lib-portable/zcc $(GO) build -buildmode=c-shared -trimpath \
	  -ldflags="$(CAPI_LDFLAGS)" -o $(BUILD)/lib-portable/libksef.so ./capi
	@rm -f $(BUILD)/lib-portable/libksef.h
	@objdump -T $(BUILD)/lib-portable/libksef.so | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1

capi-sim: $(KSEF_SIM)
# ksef-sim embeds the XSDs, the OpenAPI document and the sample invoices
# (go:embed), so a changed schema rebuilds it. Some of those names hold
# parentheses ("schemat_FA(3)_v1-0E.xsd"), which make would read as archive
# members: they are listed with ? in their place, which make's own
# wildcard expansion turns back into the file.
SIM_EMBEDDED  := $(shell find sim/xsd sim/spec sim/samples/templates -type f 2>/dev/null | sed 's/[()]/?/g')
$(KSEF_SIM): go.mod go.sum $(shell find sim cmd/ksef-sim core -name '*.go' -not -name '*_test.go' 2>/dev/null) $(SIM_EMBEDDED)
	@mkdir -p $(@D)
	$(GO) build -o $(KSEF_SIM) ./cmd/ksef-sim

C_LINK := -I$(BUILD)/include -L$(BUILD)/lib -lksef -Wl,-rpath,$(CAPI_ABS)/lib -lpthread

$(C_BIN)/%: $(C_EX_DIR)/%.c $(KSEF_LIB) $(KSEF_HDR) $(wildcard $(C_EX_DIR)/*.h)
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g $(C_WARN) -I$(C_EX_DIR) $< -o $@ $(C_LINK)

$(C_BIN)/%: $(C_EX_DIR)/%.cpp $(KSEF_LIB) $(KSEF_HDR)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -g $(C_WARN) $< -o $@ $(C_LINK)

C_PROGS := $(C_BIN)/token_auth $(C_BIN)/token_auth_cpp $(C_BIN)/test_capi $(C_BIN)/send_invoice $(C_BIN)/receive_invoices

# The parity vectors through ksef_call (examples/c/parity.py drives it).
.PHONY: capi-parity
capi-parity: $(C_BIN)/parity_call

test-c: lib $(C_PROGS) $(KSEF_SIM) capi-parity
	BUILD=$(BUILD) KSEF_SIM=$(KSEF_SIM) CC="$(CC)" CXX="$(CXX)" sh $(C_EX_DIR)/run_tests.sh

bench-c: lib $(C_BIN)/bench_call
	$(C_BIN)/bench_call
