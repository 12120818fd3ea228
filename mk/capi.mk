# mk/capi.mk — libksef.so, include/ksef.h and the C tests.
# Included by the top-level Makefile; also usable alone:
#   make -f mk/capi.mk lib header header-check test-c bench-c
GO    ?= go
BUILD ?= build
CC    ?= cc
CXX   ?= c++

CAPI_ABS      := $(abspath $(BUILD))
KSEF_VERSION  := $(shell sed -n 's/^const Version = "\(.*\)"/\1/p' core/ksef/client.go)
# The C ABI's major version, in the soname: bump it when a ksef_* function
# changes or goes (not for additions), independently of KSEF_VERSION.
KSEF_SOVERSION := 0
KSEF_SONAME   := libksef.so.$(KSEF_SOVERSION)
KSEF_LIB_FILE := $(BUILD)/lib/libksef.so.$(KSEF_VERSION)
KSEF_LIB      := $(BUILD)/lib/libksef.so
KSEF_HDR      := $(BUILD)/include/ksef.h
KSEF_PC       := $(BUILD)/lib/pkgconfig/ksef.pc
KSEF_SIM      ?= $(BUILD)/bin/ksef-sim
# Go sources the library is built from (the whole core may end up linked in).
CAPI_GO_SRC   := go.mod $(shell find core capi -name '*.go' -not -name '*_test.go' 2>/dev/null)
# -s -w and the linker's --strip-all: no symbol table or debug info (zig's cc
# keeps the cgo parts' otherwise); the version script keeps every non-ksef_*
# symbol local; the soname lets programs link against the ABI version.
CAPI_LDFLAGS  := -s -w -extldflags=-Wl,--version-script=$(abspath capi/ksef.map),-soname,$(KSEF_SONAME),--strip-all
C_WARN        := -Wall -Wextra -Werror
C_EX_DIR      := examples/c
C_BIN         := $(BUILD)/c

# The shipped library is built with zig cc for glibc $(ZIG_GLIBC)
# (manylinux2014), so it loads on RHEL/CentOS 7 and everything newer; a plain
# gcc build on Debian 12 would need glibc 2.34. KSEF_LIB_CC=cc builds with the
# system's compiler instead (the library then needs that system's glibc).
HOST_ARCH      := $(shell uname -m)
GOARCH_x86_64  := amd64
GOARCH_aarch64 := arm64
KSEF_LIB_CC    ?= $(call ZCC,$(HOST_ARCH))

.PHONY: lib header header-check test-c test-glibc-floor bench-c capi-sim capi-check-exports install test-install

lib: $(KSEF_LIB) $(BUILD)/lib/$(KSEF_SONAME) $(KSEF_HDR) $(KSEF_PC) capi-check-exports

# $(call capi_build,GOARCH,CC,OUT): libksef.so for one architecture. cgo
# writes its own header beside OUT; ours is include/ksef.h.
capi_build = CGO_ENABLED=1 GOOS=linux GOARCH=$(1) CC=$(2) $(GO) build -buildmode=c-shared -trimpath \
	-ldflags="$(CAPI_LDFLAGS)" -o $(3) ./capi && rm -f $(basename $(3)).h

$(KSEF_LIB_FILE): $(CAPI_GO_SRC) include/ksef.h capi/ksef.map mk/capi.mk | $(TOOLS_OK)
	@mkdir -p $(@D)
	$(call capi_build,$(GOARCH_$(HOST_ARCH)),$(KSEF_LIB_CC),$@)

# The soname chain, in every lib folder: libksef.so -> libksef.so.0 ->
# libksef.so.0.1.0. Programs link -lksef and then need libksef.so.0.
%/$(KSEF_SONAME): %/libksef.so.$(KSEF_VERSION)
	ln -sf $(notdir $<) $@
%/libksef.so: %/$(KSEF_SONAME)
	ln -sf $(notdir $<) $@

$(KSEF_HDR): include/ksef.h
	@mkdir -p $(@D)
	cp $< $@

# $(call ksef_pc,PREFIX,LIBDIR,INCLUDEDIR): the pkg-config file, for the
# build folder (in-tree use) and for an installation.
ksef_pc = printf '%s\n' 'prefix=$(1)' 'libdir=$(2)' 'includedir=$(3)' '' \
	'Name: ksef' 'Description: ksefkit - KSeF 2.0 (Polish e-invoicing API v2) client library' \
	'Version: $(KSEF_VERSION)' 'Libs: -L$${libdir} -lksef' 'Cflags: -I$${includedir}'

$(KSEF_PC): mk/capi.mk
	@mkdir -p $(@D)
	$(call ksef_pc,$(CAPI_ABS),$${prefix}/lib,$${prefix}/include) > $@

# make install PREFIX=/usr/local [DESTDIR=/staging]: the library with its
# soname chain, the header and a pkg-config file naming PREFIX's paths (not
# DESTDIR's: that is where a package is staged, not where it will live).
PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL     ?= install
# A directory under PREFIX as ${prefix}/…, so pkg-config --define-prefix can relocate it.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install: lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 0755 $(KSEF_LIB_FILE) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(KSEF_LIB_FILE)) $(DESTDIR)$(LIBDIR)/$(KSEF_SONAME)
	ln -sf $(KSEF_SONAME) $(DESTDIR)$(LIBDIR)/libksef.so
	$(INSTALL) -m 0644 include/ksef.h $(DESTDIR)$(INCLUDEDIR)/ksef.h
	$(call ksef_pc,$(PREFIX),$(call pc_rel,$(LIBDIR)),$(call pc_rel,$(INCLUDEDIR))) > $(DESTDIR)$(PKGCONFIGDIR)/ksef.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/ksef.pc

# Installs into a temporary prefix and, staged, under a DESTDIR; then
# examples/c/test_install.sh checks both and builds and runs the C and C++
# examples with pkg-config's flags alone.
test-install: lib $(KSEF_SIM)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory -s install PREFIX=$$tmp/usr DESTDIR= >/dev/null && \
	$(MAKE) --no-print-directory -s install PREFIX=/opt/ksefkit DESTDIR=$$tmp/stage >/dev/null && \
	KSEF_SIM=$(KSEF_SIM) CC="$(CC)" CXX="$(CXX)" sh $(C_EX_DIR)/test_install.sh $$tmp/usr $$tmp/stage /opt/ksefkit

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

# $(call glibc_floor_check,LIB): LIB needs no GLIBC_ symbol version newer
# than $(ZIG_GLIBC), the floor the shipped library promises.
glibc_floor_check = floor=$$(objdump -T $(1) | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1); \
	if [ "$$(printf '%s\n%s\n' $$floor $(ZIG_GLIBC) | sort -V | tail -1)" != "$(ZIG_GLIBC)" ]; then \
	  echo "$(1) needs GLIBC_$$floor, more than $(ZIG_GLIBC)"; exit 1; fi; \
	echo "$(1): newest GLIBC_ symbol version $$floor (floor $(ZIG_GLIBC))"

test-glibc-floor: $(KSEF_LIB)
	@$(call glibc_floor_check,$(KSEF_LIB))

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

# $(call c_prog_rules,BIN,DIR,CC,CXX): how the example and test programs in
# BIN are built with CC/CXX against the library and header in DIR (this
# machine's build here; mk/aarch64.mk's cross build too).
define c_prog_rules
$(1)/%: $(C_EX_DIR)/%.c $(2)/lib/libksef.so $(2)/lib/$(KSEF_SONAME) $(2)/include/ksef.h $(wildcard $(C_EX_DIR)/*.h)
	@mkdir -p $$(@D)
	$(3) -std=c11 -O2 -g $(C_WARN) -I$(C_EX_DIR) $$< -o $$@ $(call c_link,$(2))

$(1)/%: $(C_EX_DIR)/%.cpp $(2)/lib/libksef.so $(2)/lib/$(KSEF_SONAME) $(2)/include/ksef.h
	@mkdir -p $$(@D)
	$(4) -std=c++17 -O2 -g $(C_WARN) $$< -o $$@ $(call c_link,$(2))
endef
c_link = -I$(1)/include -L$(1)/lib -lksef -Wl,-rpath,$(abspath $(1))/lib -lpthread

$(eval $(call c_prog_rules,$(C_BIN),$(BUILD),$$(CC),$$(CXX)))

# What run_tests.sh runs (stream_batch: a batch under ksef_start_with, the
# C program performing the HTTP with streamed part bodies; parity_call: the parity vectors through ksef_call,
# driven by examples/c/parity.py; hostile_call: the hostile-server suite,
# driven by examples/c/hostile.py).
C_TEST_PROGS := token_auth token_auth_cpp test_capi send_invoice batch_send stream_batch receive_invoices parity_call hostile_call

# The same C tests built with AddressSanitizer (+ LeakSanitizer) and UBSan.
# Only the C side is instrumented; the Go runtime inside libksef.so is not,
# and needs no ASAN_OPTIONS: it allocates with mmap (invisible to ASan),
# chains the signal handlers it finds, and keeps no pointer to memory it
# malloc'ed for the caller — so leak detection stays on (run_tests.sh).
C_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
C_SAN_BIN   := $(BUILD)/c-san
C_SAN_PROGS := token_auth token_auth_cpp test_capi send_invoice stream_batch parity_call

$(C_SAN_BIN)/%: $(C_EX_DIR)/%.c $(KSEF_LIB) $(BUILD)/lib/$(KSEF_SONAME) $(KSEF_HDR) $(wildcard $(C_EX_DIR)/*.h)
	@mkdir -p $(@D)
	$(CC) -std=c11 -O1 -g $(C_SAN_FLAGS) $(C_WARN) -I$(C_EX_DIR) $< -o $@ $(call c_link,$(BUILD))

$(C_SAN_BIN)/%: $(C_EX_DIR)/%.cpp $(KSEF_LIB) $(BUILD)/lib/$(KSEF_SONAME) $(KSEF_HDR)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O1 -g $(C_SAN_FLAGS) $(C_WARN) $< -o $@ $(call c_link,$(BUILD))

test-c: lib $(addprefix $(C_BIN)/,$(C_TEST_PROGS)) $(addprefix $(C_SAN_BIN)/,$(C_SAN_PROGS)) $(KSEF_SIM)
	BUILD=$(BUILD) KSEF_SIM=$(KSEF_SIM) SAN_BIN=$(C_SAN_BIN) CC="$(CC)" CXX="$(CXX)" sh $(C_EX_DIR)/run_tests.sh

bench-c: lib $(C_BIN)/bench_call
	$(C_BIN)/bench_call
