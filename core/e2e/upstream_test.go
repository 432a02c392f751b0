package e2e

import (
	"slices"
	"testing"

	"super/core/testbin"
)

// Supervisor's own end-to-end suite (the installed package's
// supervisor/tests/test_end_to_end.py and fixtures), pointed at super's
// applets: every test 4.2 passes on this machine passes against super.
// The few 4.2 cannot pass here are named, with the reason, in
// testbin.UpstreamUnpassable. make stress runs the suite again, several
// times, with every core busy (core/stress).
func TestUpstreamEndToEnd(t *testing.T) {
	tests := testbin.UpstreamTests(t)
	t.Parallel()
	var run []string
	for _, name := range tests {
		if why, ok := testbin.UpstreamUnpassable[name]; ok {
			t.Logf("%s is not run: Supervisor 4.2 cannot pass it here: %s", name, why)
			continue
		}
		run = append(run, name)
	}
	for name := range testbin.UpstreamUnpassable {
		if !slices.Contains(tests, name) {
			t.Errorf("testbin.UpstreamUnpassable names %s, which the installed suite does not have", name)
		}
	}
	for _, r := range testbin.RunUpstream(t, false, run, 6) {
		t.Run(r.Test, func(t *testing.T) {
			t.Logf("took %v", r.Took.Round(1e6))
			if !r.Passed {
				t.Errorf("failed against super after %v:\n%s", r.Took.Round(1e6), r.Output)
			}
		})
	}
}
