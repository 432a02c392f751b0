# super: Supervisor 4.2 as one static binary.
GO      ?= go
BIN     := bin
APPLETS := supervisord supervisorctl pidproxy echo_supervisord_conf
FUZZTIME ?= 30s

.PHONY: all build run test bench fuzz stress clean

all: build

# urfave_cli_no_docs leaves out urfave/cli's man/markdown generators, which
# super never uses: their package init (blackfriday) was ~1 ms of every
# supervisorctl run. nethttpomithttp2 leaves out net/http's bundled HTTP/2:
# super speaks HTTP/1.x only (as 4.2's server) and never TLS, so it was
# dead code, ~570 KB of binary and ~0.5 MB of every daemon's RSS.
TAGS := urfave_cli_no_docs,nethttpomithttp2

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags='-s -w' -o $(BIN)/super .
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
# long variants (bounded: each test runs for at most a minute or two).
stress: build
	SUPER_STRESS=1 SUPER_BIN=$(CURDIR)/$(BIN)/super $(GO) test -race -count=1 -v -timeout 10m ./core/stress

clean:
	rm -rf $(BIN)
