# pixmill — `make run` starts the local stack, `make test` runs every test.
# Both install what is missing (libvips from Debian, tools from the Go module
# proxy) before they start.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
GO ?= go
BIN := bin/pixmill
PHOTOS := $(CURDIR)/.cache/photos
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
export PIXMILL_PHOTOS := $(PHOTOS)
SKIMAGE := $(CURDIR)/.cache/skimage
export PIXMILL_SKIMAGE := $(SKIMAGE)
MODULE := github.com/pixmill/pixmill
# The end-to-end packages drive separate pixmill processes; the race detector
# would only slow their picture drawing and checking, not watch the stack.
E2E := platform/stack platform/backendtest platform/webtest

.PHONY: all deps photos chromium oauth2-proxy build run test vet lint fuzz bench bench-faces chaos screenshots readme-pictures clean

all: build

deps:
	@scripts/install-deps.sh

photos:
	@scripts/fetch-photos.sh $(PHOTOS)
	@scripts/fetch-skimage.sh $(SKIMAGE)
	@scripts/fetch-portraits.sh $(SKIMAGE)

## chromium: Debian's chromium, for the web app's browser tests (platform/webtest)
chromium:
	@scripts/install-chromium.sh

## oauth2-proxy: the authenticating proxy of the sign-in browser test, into .cache/bin
oauth2-proxy:
	@scripts/install-oauth2-proxy.sh

build: deps
	$(GO) build -o $(BIN) ./platform/cmd/pixmill

## run: the local stack on embedded defaults (queue, bucket, gateway, workers)
run: build
	$(BIN) up $(ARGS)

## run-function: one function under the Functions Framework, over HTTP, as
## Cloud Run functions serves it: make run-function FUNCTION_TARGET=Edit PORT=8080
## with PIXMILL_BUCKET (and, for Edit, PIXMILL_RESPONSES_TOPIC) in the environment
FUNCTION_TARGET ?= Edit
PORT ?= 8080
run-function: deps
	$(GO) build -o bin/pixmill-function ./platform/cmd/pixmill-function
	FUNCTION_TARGET=$(FUNCTION_TARGET) PORT=$(PORT) bin/pixmill-function

## services: the brokers and the S3 server the backend suite runs against
## (started only if not running; the suite also starts them by itself)
services:
	@scripts/start-services.sh

## test: static checks, unit tests with the race detector, end-to-end tests, a short fuzz
test: deps photos chromium oauth2-proxy vet lint
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -vx $(foreach p,$(E2E),-e '$(MODULE)/$(p)'))
	$(GO) test -count=1 -timeout 20m $(addprefix ./,$(E2E))
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

## readme-pictures: regenerate the before/after pictures of the ops in docs/ops
readme-pictures: deps photos
	@scripts/readme-pictures.sh

## screenshots: refresh the web app's screenshots in docs/screenshots
screenshots: deps photos chromium
	PIXMILL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run . ./platform/webtest/

## chaos: 1,000 tasks while workers are SIGKILLed every 250 ms and the broker restarts
chaos: deps photos
	PIXMILL_CHAOS_TASKS=1000 $(GO) test -count=1 -run '^TestChaos$$' -v -timeout 30m ./platform/stack/ | grep -E '^(chaos:|---|ok|FAIL|PASS)'

## bench: every benchmark, the autoscaler's end-to-end ones included (cold start,
## burst, throughput at 1, 2 and the maximum workers, worker memory: see
## docs/autoscaling.md, each run once); compare two runs with benchstat
bench: deps photos
	@mkdir -p docs/bench
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./... | tee docs/bench/latest.txt

## bench-faces: only the red-eye and teeth benchmarks, beside decode+encode in
## the same run (an 18 MP portrait, an 18 MP photograph and a red-heavy 18 MP
## photograph, three runs each:
## see docs/imaging-detection.md), into docs/bench/faces.txt
bench-faces: deps photos
	@mkdir -p docs/bench
	set -o pipefail; $(GO) test -run '^$$' -bench '^Benchmark(Portrait|RedHeavy|RedeyeBudget|Ops)$$/^(decode|redeye|whiten_teeth|portrait|elephants|red-heavy)' -benchtime 5x -count 3 -timeout 60m ./functions/imaging/ | tee docs/bench/faces.txt

## image-check: build infra/container/Dockerfile with buildah (no Docker, no
## registry: local base images) and run the image: Edit on a JPEG, pixmill up's
## /healthz (root; about 4 min the first time; not part of test)
.PHONY: image-check
image-check:
	@scripts/check-image.sh

clean:
	rm -rf bin .cache

## lint-infra: terraform fmt/validate, tflint, kubeconform and the Dockerfile checks on infra/
.PHONY: lint-infra
lint-infra:
	@scripts/lint-infra.sh
