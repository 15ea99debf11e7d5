# Targets a newcomer can guess. CI (.ci/run) uses the same commands.
GO ?= go

.PHONY: demo test test-etcd test-otel bench bench-quick bench-pipe scale gobench lint generate-check

demo:
	$(GO) run ./examples/quickstart

test:
	$(GO) test -race -count=1 ./...
	cd otel && $(GO) test -race -count=1 ./...

# The OpenTelemetry adapter (its own module, otel/): its tests, the
# browser test of the debug page included (it needs chromium on PATH).
test-otel:
	cd otel && $(GO) test -race -count=1 ./...

# The registry on etcd (its own module, etcdstore/): its tests start
# embedded etcd servers, so they need no etcd installed.
test-etcd:
	cd etcdstore && $(GO) test -race -count=1 ./...

# The side-by-side benchmark program (its own module, bench/): objrmi,
# a raw TCP floor, net/rpc, grpc-go, drpc and Java RMI (which needs a
# JDK: openjdk-17-jdk-headless; without one, its row says skipped).
# QUICK=1 for a short run.
bench:
	cd bench && $(GO) run .

bench-quick:
	cd bench && QUICK=1 $(GO) run .

# The in-process round trip over net.Pipe (no kernel): time, bytes and
# allocations per call of objrmi, drpc, grpc-go and net/rpc.
bench-pipe:
	cd bench && $(GO) test -run '^$$' -bench Pipe -benchmem .

# 1,000 client runtimes against one server.
scale:
	cd bench && $(GO) run . scale

# The Go benchmarks inside objrmi's own packages.
gobench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd otel && $(GO) test -run '^$$' -bench . -benchmem ./...

lint: generate-check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	cd etcdstore && $(GO) vet ./...
	cd otel && $(GO) vet ./...

# Generated stubs are checked in; fail if go generate would change them.
generate-check:
	$(GO) generate ./...
	cd bench && $(GO) generate ./...
	@git diff --exit-code -- '*.go' || { echo "go generate changed checked-in files: run it and commit"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- '*_objstub.go'); if [ -n "$$untracked" ]; then echo "go generate created untracked files: $$untracked"; exit 1; fi
