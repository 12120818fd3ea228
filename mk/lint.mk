# mk/lint.mk — every language's linters, each at a pinned version
# (make lint, part of make test):
#   go vet, staticcheck      staticcheck is a tool of go.mod (honnef.co/go/tools
#                            pinned there; `go tool staticcheck ./...` by hand);
#                            both also for wasip1
#   ruff, mypy --strict      bindings/python, configured in its pyproject.toml;
#                            the tools from mk/requirements-tools.txt (build/tools)
#   tsc --strict             the Node declarations (index.d.ts) against Node 20's
#                            types: typescript and @types/node are devDependencies
#                            of bindings/node, installed from its package-lock.json
#                            into build/node-lint
# Needs mk/tools.mk and mk/node.mk before it.
GO  ?= go
NPM ?= npm

NODE_LINT := $(BUILD)/node-lint

.PHONY: lint lint-go lint-python lint-node

lint: lint-go lint-python lint-node

# staticcheck is built from go.mod's tool directive into $(BUILD) (go tool
# would build it for GOOS/GOARCH too, and it must run here).
STATICCHECK := $(BUILD)/bin/staticcheck

.PHONY: $(STATICCHECK)
$(STATICCHECK):
	$(GO) build -o $@ honnef.co/go/tools/cmd/staticcheck

# Also for wasip1: the wasm main package, which builds nowhere else, and
# (staticcheck, without the tests: those run on the host) the packages
# ksef.wasm is built from, as they build there.
LINT_WASM_PKGS = $$(GOOS=wasip1 GOARCH=wasm $(GO) list -deps ./wasm | grep '^github.com/ksefkit/')
lint-go: $(STATICCHECK)
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./wasm
	$(STATICCHECK) ./...
	GOOS=wasip1 GOARCH=wasm $(STATICCHECK) -tests=false $(LINT_WASM_PKGS)

# The caches go to $(BUILD), not into the source tree.
lint-python: $(TOOLS_OK)
	cd $(PY_DIR) && RUFF_CACHE_DIR=$(abspath $(BUILD))/ruff-cache $(TOOLS_BIN)/ruff check .
	cd $(PY_DIR) && MYPY_CACHE_DIR=$(abspath $(BUILD))/mypy-cache $(TOOLS_BIN)/mypy

$(NODE_LINT)/.ok: $(NODE_PKG)/package.json $(NODE_PKG)/package-lock.json
	rm -rf $(NODE_LINT) && mkdir -p $(NODE_LINT)
	cp $^ $(NODE_LINT)/
	cd $(NODE_LINT) && $(NPM) ci --silent --ignore-scripts --no-audit --no-fund
	touch $@

# --typeRoots: @types/node from build/node-lint (in bindings/node itself,
# `npm install && npx tsc` finds it in the usual place).
lint-node: $(NODE_LINT)/.ok
	$(NODE_LINT)/node_modules/.bin/tsc -p $(NODE_PKG) --typeRoots $(NODE_LINT)/node_modules/@types
	@echo "tsc --strict: $(NODE_PKG)/index.d.ts is clean"
