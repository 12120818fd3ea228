# Go fuzzing, included by the top-level Makefile.
#   make fuzz        → every fuzz target of the module (found with go test
#                      -list, so new targets need no edit here), FUZZTIME each
#                      (default 60s); execs per target are printed
#   make fuzz-smoke  → the same for FUZZ_SMOKE_TIME each (part of make test),
#                      two targets at a time with one worker each
GO    ?= go
BUILD ?= build

FUZZTIME        ?= 60s
FUZZ_SMOKE_TIME ?= 1s
FUZZ_PKGS       ?= ./...

.PHONY: fuzz fuzz-smoke

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZLOG_DIR=$(BUILD)/fuzz sh mk/fuzz.sh $(FUZZ_PKGS)

fuzz-smoke:
	GO=$(GO) FUZZTIME=$(FUZZ_SMOKE_TIME) FUZZJOBS=2 FUZZPARALLEL=1 FUZZLOG_DIR=$(BUILD)/fuzz-smoke sh mk/fuzz.sh $(FUZZ_PKGS)
