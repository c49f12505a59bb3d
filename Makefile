# Portico — the README's commands: `make run`, `make test`; plus `make bench`, `make lint`.
SHELL := /bin/bash
GO ?= go
NATS_ADDR ?= 127.0.0.1:4222
HTTP_ADDR ?= 127.0.0.1:8080
ADMIN_ADDR ?= 127.0.0.1:9080
DATA_DIR ?= ./.portico
REDIS ?=
GOTEST_FLAGS ?= -race -count=1 -timeout 20m
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)

.PHONY: build run test bench lint fuzz clean

build:
	@mkdir -p bin
	$(GO) build -o bin/portico ./cmd/portico
	$(GO) build -o bin/petstore ./examples/cmd/petstore

# Starts portico serve (embedded NATS), the example backend, imports the example API and prints
# curl lines. Override addresses: make run NATS_ADDR=127.0.0.1:4333 HTTP_ADDR=… ADMIN_ADDR=…
run: build
	NATS_ADDR=$(NATS_ADDR) HTTP_ADDR=$(HTTP_ADDR) ADMIN_ADDR=$(ADMIN_ADDR) DATA_DIR=$(DATA_DIR) REDIS=$(REDIS) scripts/run.sh

# Every module's tests with the race detector, then the scripted checks with real clients.
test:
	@failed=""; \
	for d in $(MODULES); do echo "== $$d"; (cd $$d && $(GO) test $(GOTEST_FLAGS) ./...) || failed="$$failed $$d"; done; \
	for s in scripts/test-*.sh; do [ -e "$$s" ] || continue; case "$$s" in *-lib.sh) continue;; esac; \
		echo "== $$s"; bash "$$s" || failed="$$failed $$s"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; echo "all tests passed"

# HTTP load against nginx and direct, Redis commands, deployment propagation; then WebSockets
# (idle sockets' memory, broadcast delivery). WS_BENCH=0 skips the second part.
bench: build
	scripts/bench.sh
	@if [ "$${WS_BENCH:-1}" != 0 ]; then scripts/bench-ws.sh; fi

lint:
	@set -e; for d in $(MODULES); do (cd $$d && $(GO) vet ./...); done

clean:
	rm -rf bin .portico
