package testbin

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Supervisor's own end-to-end tests (supervisor/tests/test_end_to_end.py
// of the installed package, with its fixtures) are run as they are, with
// a small runner that points them at super's applets (upstream_e2e.py says
// how). They need Debian's python3-pexpect besides the oracle.

//go:embed upstream_e2e.py
var upstreamRunner []byte

// UpstreamUnpassable are the upstream end-to-end tests that Supervisor 4.2
// itself cannot pass on a Debian machine, with the reason. They are not
// run against super either; every other test of the suite must pass.
var UpstreamUnpassable = map[string]string{
	"test_issue_565": "its fixture's program is fixtures/hello.sh, which Debian's package does not ship: " +
		"the program exits at once with 127, never reaches RUNNING and the test times out (30 s) under 4.2 as under super",
}

// upstreamSlow are started first: they wait for two TICK_5 events (some
// 15 s), the rest take 1-4 s each.
var upstreamSlow = []string{"test_issue_663"}

var (
	upstreamOnce  sync.Once
	upstreamTests []string
	upstreamErr   string
)

// UpstreamTests lists the test methods of the installed upstream suite,
// skipping the test (failing it when SUPER_REQUIRE_UPSTREAM_E2E is set,
// as CI does after installing what it needs) when it cannot run here.
func UpstreamTests(t testing.TB) []string {
	t.Helper()
	NeedOracle(t)
	upstreamOnce.Do(func() {
		dir, err := os.MkdirTemp("", "upstream-e2e-list-")
		if err != nil {
			upstreamErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		runner := filepath.Join(dir, "upstream_e2e.py")
		if err := os.WriteFile(runner, upstreamRunner, 0o644); err != nil {
			upstreamErr = err.Error()
			return
		}
		out, err := exec.Command(Python, runner, "--list").CombinedOutput()
		if err != nil {
			upstreamErr = fmt.Sprintf("cannot list supervisor.tests.test_end_to_end (python3-pexpect installed?): %v\n%s", err, out)
			return
		}
		upstreamTests = strings.Fields(string(out))
		if len(upstreamTests) == 0 {
			upstreamErr = "supervisor.tests.test_end_to_end has no tests"
		}
	})
	if upstreamErr != "" {
		if os.Getenv("SUPER_REQUIRE_UPSTREAM_E2E") != "" {
			t.Fatal(upstreamErr)
		}
		t.Skip(upstreamErr)
	}
	return upstreamTests
}

// UpstreamResult is one run of one upstream test.
type UpstreamResult struct {
	Test   string
	Passed bool
	Took   time.Duration
	Output string // the runner's output (unittest's report, pexpect's buffers)
}

// RunUpstream runs each of tests in its own runner process and work dir
// (so they may run side by side), at most parallel at a time, against
// super's applets or (oracle) Supervisor 4.2, and returns the results in
// the order of tests.
func RunUpstream(t testing.TB, oracle bool, tests []string, parallel int) []UpstreamResult {
	t.Helper()
	var bin string
	if !oracle {
		bin = Dir(t)
	}
	base := t.TempDir()
	runner := filepath.Join(base, "upstream_e2e.py")
	if err := os.WriteFile(runner, upstreamRunner, 0o644); err != nil {
		t.Fatal(err)
	}
	results := make([]UpstreamResult, len(tests))
	order := make([]int, 0, len(tests))
	for i, name := range tests {
		if slices.Contains(upstreamSlow, name) {
			order = append(order, i)
		}
	}
	for i, name := range tests {
		if !slices.Contains(upstreamSlow, name) {
			order = append(order, i)
		}
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, i := range order {
		name := tests[i]
		work := filepath.Join(base, fmt.Sprintf("%d", i))
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{} // here, not in the goroutine: tests start in order
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			args := []string{runner, "--work", work}
			if !oracle {
				args = append(args, "--bin", bin)
			}
			cmd := exec.Command(Python, append(args, name)...)
			cmd.Dir = work
			start := time.Now()
			out, err := cmd.CombinedOutput()
			results[i] = UpstreamResult{Test: name, Passed: err == nil, Took: time.Since(start), Output: string(out)}
		}()
	}
	wg.Wait()
	return results
}
