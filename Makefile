# konui: the two README commands are "make run" and "make test".
SHELL := /bin/bash
GO ?= go
BIN := bin/konui
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/konui/konui/backend/cli.Version=$(VERSION)

.PHONY: setup build run test test-go test-fuzz bench clean

setup:
	./scripts/setup.sh

# The headless binary (konsole and serve modes).
build: setup
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build
	./scripts/run.sh

test: setup
	$(GO) vet ./...
	$(MAKE) test-go test-fuzz

test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

# A short run of every fuzz target over its committed corpus and new inputs.
test-fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseLine -fuzztime 10s ./backend/agent/claude

bench: setup
	./scripts/bench.sh

clean:
	rm -rf bin test-artifacts
