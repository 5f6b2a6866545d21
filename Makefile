# konui: the two README commands are "make run" and "make test".
SHELL := /bin/bash
GO ?= go
BIN := bin/konui
# The version is the VERSION file's (main.go embeds it; wails.json and the
# package read it too).
VERSION := $(shell cat VERSION)
LDFLAGS := -s -w

.PHONY: setup generate bindings frontend build desktop run test test-loaded test-vet test-lint test-go test-ui test-e2e test-desktop test-fuzz test-package bench package icons version clean
.PHONY: test-cross dist

setup:
	./scripts/setup.sh

# The dashboard's TypeScript of the wire contract (event payloads, REST
# bodies, event names), from the Go types in backend/contract, into
# frontend/src/lib/generated/contract.ts. It is committed;
# TestTheGeneratedTypeScriptIsCurrent (backend/contract, run by test-go)
# fails when it is stale.
generate:
	$(GO) generate ./backend/contract

# The TypeScript of the methods the window binds (app.Page) and of the
# Wails runtime, into frontend/wailsjs (wails.json's wailsjsdir): what
# `wails generate module` does, without fetching the Wails CLI. They are
# committed, so the dashboard type-checks and builds without Go;
# TestGeneratedBindingsAreCurrent (app/) fails when they are stale.
bindings:
	$(GO) build -tags bindings -o bin/wailsbindings .
	tsprefix= tssuffix= tsoutputtype=classes ./bin/wailsbindings >/dev/null
	find frontend/wailsjs -type f -exec chmod 644 {} +

# The dashboard, embedded by the Go build.
frontend: generate bindings
	cd frontend && npm run build

# The headless binary (konsole and serve modes) with the dashboard.
build: setup frontend
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The desktop binary: the same konui with the Wails window (WebKitGTK 4.1).
desktop: build
	CGO_ENABLED=1 $(GO) build -trimpath -buildmode=pie -tags desktop,production,webkit2_41 -ldflags '$(LDFLAGS) -extldflags=-Wl,-z,relro,-z,now' -o bin/konui-desktop .

run: desktop
	./scripts/run.sh

# The targets "make test" runs, in order. Each runs even when one before it
# failed; the end lists the failed ones and the exit status is non-zero if
# any did (scripts/test-all.sh). Add a suite here to have "make test" run it.
TEST_TARGETS = test-vet test-lint test-ui test-go test-e2e test-desktop test-fuzz test-package test-cross

test: setup frontend
	MAKE="$(MAKE)" ./scripts/test-all.sh $(TEST_TARGETS)

# "make test" with two CPU-bound processes beside it (KONUI_BURNERS sets
# how many): the suite must hold on a busy machine. The burners end with it,
# whatever way it ends.
test-loaded:
	./scripts/with-cpu-load.sh $(MAKE) test

test-vet:
	$(GO) vet ./...

# golangci-lint beyond go vet (.golangci.yml says what it checks), over each
# build (scripts/test-lint.sh lists them). Go builds it into .tools on first
# use; this is the one place its version is pinned.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := .tools/golangci-lint/$(GOLANGCI_LINT_VERSION)/golangci-lint

$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/$(dir $(GOLANGCI_LINT)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

test-lint: $(GOLANGCI_LINT)
	./scripts/test-lint.sh $(GOLANGCI_LINT)

# Type checks and unit tests of the dashboard.
test-ui:
	cd frontend && npm run check && npm test

# The dashboard in Chromium against a real konui serve, Konsole and CLI.
test-e2e:
	$(GO) build -o $(BIN) .
	$(GO) build -o bin/fakeapi ./backend/testkit/fakeapi/cmd/fakeapi
	$(GO) build -o bin/konui-seed ./backend/testkit/konsoletest/cmd/konui-seed
	cd frontend && npm run e2e

test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

# The real desktop binary under Xvfb on a private session bus.
test-desktop:
	KONUI_DESKTOP_E2E=1 xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- \
		$(GO) test -count=1 -timeout 10m -run TestDesktop -v ./app/

# A short run of every fuzz target over its committed corpus and new inputs:
# about 10 s each here. The budgets are counts of runs, not durations: with
# a -fuzztime of seconds Go 1.26's fuzz coordinator can fail a target with
# "context deadline exceeded" as the time runs out, having found nothing
# (golang/go#75804, fixed in Go 1.27).
FUZZ = -run '^$$' -fuzzminimizetime 200x
test-fuzz:
	$(GO) test $(FUZZ) -fuzz '^FuzzParseLine$$' -fuzztime 20000x ./backend/konsole/agent/claude
	$(GO) test $(FUZZ) -fuzz '^FuzzValidate$$' -fuzztime 200000x ./backend/konsole/kontask
	$(GO) test $(FUZZ) -fuzz '^FuzzSSEReader$$' -fuzztime 10000x ./backend/bridge/upstream
	$(GO) test $(FUZZ) -fuzz '^FuzzFrameDecoder$$' -fuzztime 30000x ./backend/bridge

# The Debian package of the desktop app (scripts/package.sh says what is in it).
package: desktop
	./scripts/package.sh

# lintian and appstreamcli on the package; as root, also apt install, a start
# under Xvfb and apt purge, checking that nothing of it is left.
test-package: package
	./scripts/test-package.sh bin/konui_$(VERSION)_$$(dpkg --print-architecture).deb

# Builds and vets konui for Windows (with the window and without), macOS
# and linux/arm64, and runs make dist's script without the .deb
# (scripts/test-cross.sh says what each target covers).
test-cross:
	./scripts/test-cross.sh

# The release artifacts with their SHA-256 sums, into bin/dist
# (scripts/dist.sh lists them and checks them).
dist: package
	./scripts/dist.sh

# Writes VERSION into wails.json and frontend/package.json (a test checks
# that they agree).
version:
	sed -i 's/"productVersion": "[^"]*"/"productVersion": "$(VERSION)"/' wails.json
	sed -i '0,/"version": "[^"]*"/s//"version": "$(VERSION)"/' frontend/package.json

# The app icons embedded in the binary, rendered from build/konui.svg.
icons:
	rsvg-convert -w 512 -h 512 build/konui.svg -o build/appicon.png
	cp build/appicon.png app/appicon.png
	cp build/konui.svg frontend/public/favicon.svg

bench: setup
	./scripts/bench.sh

clean:
	rm -rf bin test-artifacts
