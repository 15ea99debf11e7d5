# Targets a newcomer can guess. CI (.ci/run) uses the same commands.
GO ?= go

.PHONY: demo test bench lint generate-check

demo:
	$(GO) run ./examples/quickstart

test:
	$(GO) test -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: generate-check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Generated stubs are checked in; fail if go generate would change them.
generate-check:
	$(GO) generate ./...
	@git diff --exit-code -- '*.go' || { echo "go generate changed checked-in files: run it and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_objstub.go'); if [ -n "$$untracked" ]; then echo "go generate created untracked files: $$untracked"; exit 1; fi
