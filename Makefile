# orgbridge: the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
PKGS    ?= ./...
# staticcheck, pinned; `go run pkg@version` fetches it through the Go module
# proxy (verified against the Go checksum database) and leaves go.mod alone.
# 0.8.x is the release for Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
# No cgo anywhere: the SQLite driver is pure Go.
export CGO_ENABLED ?= 0

.PHONY: all build demo test fuzz bench bench-all lint staticcheck scale scim-conformance clean

all: lint test build

build:
	$(GO) build -o bin/orgbridge ./cmd/orgbridge

## demo: sync the sample HR CSV into an in-process AirCourse emulator, three times.
demo:
	$(GO) run ./cmd/orgbridge demo

## test: every test (unit, emulator, end to end through the CLI code path).
test:
	$(GO) test -count=1 $(PKGS)

## fuzz: each fuzz target for FUZZTIME (default 20s): the CSV reader, the
## mapping over random rows, the config loader, SCIM PATCH bodies and paths
## and SCIM resources. go test fuzzes one target of one package at a time.
## A failing input is written to the package's testdata/fuzz/FuzzXxx: fix
## the bug, and keep the input as a seed.
FUZZTIME ?= 20s
# go test minimizes each new input for up to 60s by default, which would
# use the whole FUZZTIME of a target whose inputs write to SQLite.
FUZZMINIMIZETIME ?= 100x
FUZZ_TARGETS ?= \
	./connectors/aircourse:FuzzListPage \
	./connectors/csv:FuzzRead \
	./mapping:FuzzIsolate \
	./internal/config:FuzzParse \
	./scim:FuzzPatch \
	./scim:FuzzPatchPath \
	./scim:FuzzResource
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMINIMIZETIME=$(FUZZMINIMIZETIME) bash scripts/fuzz.sh $(FUZZ_TARGETS)

## bench: one table of orgbridge's figures (scale, LDAP, SCIM, push latency,
## SCIM under load) with the machine it ran on; README → Performance is
## that table (BENCH_README=1 rewrites it there). BENCH_USERS (default
## 100000), BENCH_1M=1 for the 1,000,000-user rows; see scripts/bench.sh.
bench:
	GO=$(GO) bash scripts/bench.sh

## bench-all: every benchmark of every package, as go test prints them.
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## scale: time plan and sync of a large export (default 10000 users; USERS=N
## to change) with bin/orgbridge against a separate emulator; see scripts/scale.sh.
## ORGS=M has `orgbridge gen` write the export (M orgs on the deepest of DEPTH
## levels, FANOUT, GROUPS, MEMBERSHIPS); without it, the demo's 7 orgs as before.
scale:
	GO=$(GO) ORGS=$(ORGS) DEPTH=$(DEPTH) FANOUT=$(FANOUT) NGROUPS=$(GROUPS) MEMBERSHIPS=$(MEMBERSHIPS) bash scripts/scale.sh $(USERS)

## scim-conformance: Microsoft's SCIM test collection, run by newman against
## `orgbridge serve` (NEWMAN=path to use a newman not on PATH).
scim-conformance:
	GO=$(GO) bash scripts/scim-conformance.sh

## lint: gofmt, go vet and staticcheck; each must be clean.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

## staticcheck: staticcheck $(STATICCHECK_VERSION) on every package, tests included.
staticcheck:
	$(STATICCHECK) $(PKGS)

clean:
	rm -rf bin
