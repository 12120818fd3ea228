# mk/batch.mk — batch sessions' long runs, outside `make test`'s budget.
#   make test-memory  → packs and uploads 100 MB and 1 GB of generated 10 KB
#                       invoices (two passes, real HTTP to a loopback store)
#                       and holds the peak Go heap of both to one bound
#                       (core/batch/memory_test.go; `make test` runs 100 MB)
GO ?= go

.PHONY: test-memory

test-memory:
	KSEFKIT_MEMORY_1GB=1 $(GO) test -count=1 -v -run 'TestMemory' ./core/batch
