# Build targets for `sam build` (BuildMethod: makefile) and the developer targets.
#
# `sam build` runs `make build-<LogicalId>` with ARTIFACTS_DIR set. One pattern rule serves
# every function: GetCustomerFunction builds ./functions/get-customer.
GOOS ?= linux
# arm64, as template.yaml's Architectures, whatever the shell exports (a GOARCH=amd64 left
# in the environment would make `sam build` ship binaries Lambda cannot run). Only make's
# command line overrides it: the local runner builds for the host with
# `make build-<LogicalId> GOARCH=<host>` (pkg/samlocal).
GOARCH := arm64
ARTIFACTS_DIR ?= .aws-sam/build/$*
GO_BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"
function_dir = ./functions/$(shell echo '$(1)' | sed -E 's/Function$$//; s/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')

build-%Function:
	GOOS=$(GOOS) GOARCH=$(GOARCH) CGO_ENABLED=0 go build $(GO_BUILD_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap $(call function_dir,$*Function)

.PHONY: deps local invoke test bench soak chaos lint clean

## deps: install what the local runner and the tests need (Java, npm packages, Go modules)
deps:
	@sh scripts/setup.sh

## local: DynamoDB Local + every HttpApi route of template.yaml on http://127.0.0.1:$${PORT:-3000}
local: deps
	go run ./cmd/samlocal start-api

## invoke: run one function with one event, e.g. make invoke FUNCTION=GetCustomerFunction EVENT=events/get-customer.json
invoke: deps
	go run ./cmd/samlocal invoke $(FUNCTION) $(EVENT)

## lint: cfn-lint on template.yaml (scripts/setup.sh installs it where it is missing; never skipped)
lint: deps
	@command -v cfn-lint >/dev/null 2>&1 || { echo "make lint: cfn-lint is not on the PATH (pip install cfn-lint)" >&2; exit 1; }
	cfn-lint template.yaml

## test: every test, against a DynamoDB Local started for the run
test: deps lint
	go vet ./...
	go run ./cmd/samlocal exec -- go test -count=1 -timeout=60m ./...
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=5000x ./pkg/filter
	go test -run='^$$' -fuzz=FuzzParseFilter -fuzztime=5000x ./pkg/customers

## bench: handler latency next to bare DynamoDB calls, and binary sizes (prints a markdown report, also saved to .aws-sam/bench-report.md)
bench: deps
	go run ./cmd/samlocal exec -- go run ./cmd/bench -o .aws-sam/bench-report.md

## soak: 16 clients for 60 s of mixed traffic against the local stack, then every acknowledged write reconciled against the table (report also in .aws-sam/soak-report.md; SOAK_FLAGS="-clients 32 -duration 5m" to change)
soak: deps
	go run ./cmd/soak -o .aws-sam/soak-report.md $(SOAK_FLAGS)

## chaos: the soak with faults between the functions and DynamoDB Local (throttling, 500s, resets, latency, answers lost after the write; SOAK_FLAGS="-drop 0.05" ...; report also in .aws-sam/chaos-report.md)
chaos: deps
	go run ./cmd/soak -chaos -o .aws-sam/chaos-report.md $(SOAK_FLAGS)

clean:
	rm -rf .aws-sam
