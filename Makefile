# super: Supervisor 4.2 as one static binary.
GO      ?= go
BIN     := bin
APPLETS := supervisord supervisorctl pidproxy echo_supervisord_conf
FUZZTIME ?= 30s

.PHONY: all build run test bench fuzz stress clean dist deb dist-check

# The version stamped into super (super --version), from git describe
# (packaging/version.sh); supervisord -v still prints Supervisor's.
VERSION ?= $(shell packaging/version.sh)
VERSION := $(VERSION)
# Release builds: where they go, which platforms (GOOS/GOARCH[/GOARM]),
# the Debian architecture of make deb (default: this machine's).
DIST      ?= dist
PLATFORMS ?= linux/amd64 linux/arm64 linux/arm/7
DEBARCH   ?=

all: build

# urfave_cli_no_docs leaves out urfave/cli's man/markdown generators, which
# super never uses: their package init (blackfriday) was ~1 ms of every
# supervisorctl run. nethttpomithttp2 leaves out net/http's bundled HTTP/2:
# super speaks HTTP/1.x only (as 4.2's server) and never TLS, so it was
# dead code, ~570 KB of binary and ~0.5 MB of every daemon's RSS.
TAGS := urfave_cli_no_docs,nethttpomithttp2

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags='-s -w -X super/core/version.Super=$(VERSION)' -o $(BIN)/super .
	@for a in $(APPLETS); do ln -sf super $(BIN)/$$a; done

# Runs the daemon in the foreground on the example config; web UI on 127.0.0.1:9001.
run: build
	cd examples && ../$(BIN)/supervisord -n -c supervisord.conf

test: build
	$(GO) vet ./...
	# -count=1: black-box tests run bin/super, which the test cache cannot see change.
	SUPER_BIN=$(CURDIR)/$(BIN)/super $(GO) test -race -count=1 -timeout 15m ./...

bench: build
	$(GO) build -o $(BIN)/superbench ./bench/cmd/superbench
	$(BIN)/superbench -bin $(BIN) -json $(BIN)/bench.json
	@if [ -n "$$BENCH_MICRO" ]; then SUPER_BIN=$(CURDIR)/$(BIN)/super $(GO) test -run '^$$' -bench . -benchmem -timeout 10m ./...; fi

# A short run of every fuzz target (FUZZTIME each).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# Fault-injection, load and security tests of the real daemon, in their
# long variants (bounded: each test runs for at most a few minutes; ~9 in
# all, 5 of them Supervisor's own suite under load and the real-world
# configs).
stress: build
	SUPER_STRESS=1 SUPER_BIN=$(CURDIR)/$(BIN)/super $(GO) test -race -count=1 -v -timeout 20m ./core/stress

# Static release binaries, reproducibly, in a tarball per platform (with
# the applet links, manual pages, completions, README, LICENSE) and
# SHA256SUMS, in $(DIST)/.
dist:
	VERSION=$(VERSION) GO=$(GO) TAGS=$(TAGS) packaging/dist.sh $(DIST) $(PLATFORMS)

# The Debian package that takes the place of Debian's supervisor, in $(DIST)/.
deb:
	VERSION=$(VERSION) GO=$(GO) TAGS=$(TAGS) packaging/deb.sh $(DIST) $(DEBARCH)

# The full release check: every platform built twice, the second time from
# a copy of the source elsewhere and with an empty build cache (everything
# compiled again), byte for byte the same; and the container's build stage
# for every platform. Minutes on 2 cores; make test checks linux/amd64 with
# the build cache.
dist-check:
	SUPER_DIST_FULL=1 $(GO) test -count=1 -timeout 30m -run 'TestDistReproducible|TestContainerBuildStage' -v ./packaging

clean:
	rm -rf $(BIN) $(DIST)
