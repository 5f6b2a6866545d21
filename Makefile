# konui: the two README commands are "make run" and "make test".
SHELL := /bin/bash
GO ?= go
BIN := bin/konui
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/konui/konui/backend/cli.Version=$(VERSION)

.PHONY: setup frontend build desktop run test test-go test-ui test-e2e test-desktop test-fuzz bench package clean

setup:
	./scripts/setup.sh

# The dashboard, embedded by the Go build.
frontend:
	cd frontend && npm run build

# The headless binary (konsole and serve modes) with the dashboard.
build: setup frontend
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The desktop binary: the same konui with the Wails window (WebKitGTK 4.1).
desktop: build
	CGO_ENABLED=1 $(GO) build -trimpath -tags desktop,production,webkit2_41 -ldflags '$(LDFLAGS)' -o bin/konui-desktop .

run: desktop
	./scripts/run.sh

test: setup frontend
	$(GO) vet ./...
	$(MAKE) test-ui test-go test-e2e test-desktop test-fuzz

# Type checks and unit tests of the dashboard.
test-ui:
	cd frontend && npm run check && npm test

# The dashboard in Chromium against a real konui serve, Konsole and CLI.
test-e2e:
	$(GO) build -o $(BIN) .
	$(GO) build -o bin/fakeapi ./backend/fakeapi/cmd/fakeapi
	cd frontend && npm run e2e

test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

# The real desktop binary under Xvfb on a private session bus.
test-desktop:
	KONUI_DESKTOP_E2E=1 xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- \
		$(GO) test -count=1 -timeout 10m -run TestDesktop -v ./app/

# A short run of every fuzz target over its committed corpus and new inputs.
test-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime 10s ./backend/agent/claude
	$(GO) test -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime 10s ./backend/kontask
	$(GO) test -run '^$$' -fuzz '^FuzzSSEReader$$' -fuzztime 10s -fuzzminimizetime 5s ./backend/bridge
	$(GO) test -run '^$$' -fuzz '^FuzzFrameDecoder$$' -fuzztime 10s -fuzzminimizetime 5s ./backend/bridge

# A Debian package of the desktop app, with a .desktop entry and icon.
package: desktop
	VERSION=$(VERSION) ./scripts/package.sh

bench: setup
	./scripts/bench.sh

clean:
	rm -rf bin test-artifacts
