# pixmill — `make run` starts the local stack, `make test` runs every test.
# Both install what is missing (libvips from Debian, tools from the Go module
# proxy) before they start.

SHELL := /bin/bash
GO ?= go
BIN := bin/pixmill
PHOTOS := $(CURDIR)/.cache/photos
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
export PIXMILL_PHOTOS := $(PHOTOS)

.PHONY: all deps photos build run test vet lint fuzz bench chaos clean

all: build

deps:
	@scripts/install-deps.sh

photos:
	@scripts/fetch-photos.sh $(PHOTOS)

build: deps
	$(GO) build -o $(BIN) ./platform/cmd/pixmill

## run: the local stack on embedded defaults (queue, bucket, gateway, workers)
run: build
	$(BIN) up $(ARGS)

## test: static checks, unit tests with the race detector, end-to-end tests, a short fuzz
test: deps photos vet lint
	$(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) fuzz FUZZTIME=10s

FUZZTIME ?= 1m
## fuzz: the fuzz targets for CloudEvent decoding and op parsing, FUZZTIME each
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzFromMessage$$' -fuzztime $(FUZZTIME) ./events/
	$(GO) test -run '^$$' -fuzz '^FuzzParseCompact$$' -fuzztime $(FUZZTIME) ./functions/imaging/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./functions/imaging/

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

lint:
	$(STATICCHECK) ./...

## chaos: 1,000 tasks while workers are SIGKILLed every 250 ms and the broker restarts
chaos: deps photos
	PIXMILL_CHAOS_TASKS=1000 $(GO) test -count=1 -run '^TestChaos$$' -v -timeout 30m ./platform/stack/ | grep -E '^(chaos:|---|ok|FAIL|PASS)'

bench: deps photos
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee bench.txt

clean:
	rm -rf bin .cache

## lint-infra: terraform fmt/validate, tflint, kubeconform and the Dockerfile checks on infra/
.PHONY: lint-infra
lint-infra:
	@scripts/lint-infra.sh
