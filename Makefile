# xbcheck: `make test` is what CI runs (.ci/run); `make run` is the main job.
GO ?= go
# The go.mod toolchain line must never trigger a toolchain download.
export GOTOOLCHAIN := local

PKGS := ./...

.PHONY: test run setup fmt-check vet

## test: format check, vet, then every test including the suite against the reference gateway
test: fmt-check vet setup
	$(GO) test -race -count=1 -timeout 45m $(PKGS)

## run: the conformance suite against the reference gateway on the embedded control plane
run:
	$(GO) run ./cmd/xbcheck

# As root on Linux (CI), setup also prepares a real single node: the node tests run there.
SETUP_PROVIDER := $(shell [ "$$(uname)" = Linux ] && [ "$$(id -u)" = 0 ] && echo node || echo envtest)

## setup: build (once) or locate kube-apiserver and etcd (and, as root on Linux, a node's binaries
## and Debian packages), so tests never build them twice in parallel
setup:
	$(GO) run ./cmd/xbcheck setup --provider $(SETUP_PROVIDER)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

.PHONY: bench

## bench: the figures of speed and memory, in one go (whole runs once each, the fakes' and the
## reference's own benchmarks as usual), for comparing a change run to run
bench: setup
	$(GO) test -run '^$$' -bench 'BenchmarkRun|BenchmarkMutate' -benchtime 1x -timeout 60m ./cmd/xbcheck
	$(GO) test -run '^$$' -bench . ./fakes/... ./reference/... ./internal/report ./internal/cluster

.PHONY: mutation kill-matrix

## mutation: the suite against the reference gateway once per fault, 4 mutants at a time (they
## mostly wait on "never" windows, not on CPU); fails when a fault survives; the matrix goes to _out/.
## The mechanical mutants (xbcheck mutate --operators) are not run here: a seeded sample is drawn
## from the whole set, which changes whenever reference/ gains code, so a shard that was all killed
## on one commit (shard 9/20 of seed 1) drew two untriaged survivors on the next; the CI matrix job
## runs the whole set in shards (internal/mutant/triage.yaml)
mutation:
	@mkdir -p _out && rm -f _out/kill-matrix.md
	$(GO) run ./cmd/xbcheck mutate --parallel 4 --markdown _out/kill-matrix.md

## kill-matrix: mutation testing, then regenerate docs/kill-matrix.md between its markers (and the
## killers the next run starts from)
kill-matrix:
	$(GO) run ./cmd/xbcheck mutate --parallel 4 --markdown docs/kill-matrix.md --killers internal/mutate/killers.json
