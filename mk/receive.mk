# Receiving invoices (core/receive, core/export, core/hwm), included by the
# top-level Makefile.
#   make test-memory-export → peak RSS of an export's download + decrypt +
#                       unzip, 100 MB against 1 GB packages, each in a child
#                       process (~3 GB of temporary disk; ~10 s); make
#                       test-memory (mk/batch.mk) runs it too
#   make bench-receive → export throughput, the 10 000-invoice sync
GO ?= go

.PHONY: test-memory test-memory-export bench-receive

test-memory: test-memory-export

test-memory-export:
	KSEFKIT_MEMORY=1 $(GO) test -count=1 -v -run '^TestExportMemoryFlat$$' ./core/export

bench-receive:
	$(GO) test -run '^$$' -bench 'Export' -benchtime 3x -benchmem ./core/export
	$(GO) test -run '^$$' -bench 'Sync' -benchtime 1x -benchmem ./core/hwm
