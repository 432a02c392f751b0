package blackbox

import (
	"strings"
	"testing"

	"super/core/testbin"
)

// both runs run on Supervisor 4.2 and on super side by side and returns
// their results; hasOracle is false when 4.2 is not installed (its run is
// skipped with a message and want is the zero value).
func both[T any](t *testing.T, run func(t *testing.T, oracle bool) T) (want, got T, hasOracle bool) {
	t.Helper()
	var wantDone, gotDone bool
	t.Run("run", func(t *testing.T) {
		t.Run("4.2", func(t *testing.T) { t.Parallel(); want = run(t, true); wantDone = true })
		t.Run("super", func(t *testing.T) { t.Parallel(); got = run(t, false); gotDone = true })
	})
	if !gotDone {
		t.FailNow()
	}
	return want, got, wantDone
}

// start runs a daemon (oracle: 4.2) whose activity log is at debug level,
// on the shared base config plus sections.
func start(t *testing.T, oracle bool, sections string) *testbin.Daemon {
	t.Helper()
	dir := t.TempDir()
	base := strings.Replace(testbin.BaseConf(dir), "[supervisord]\n", "[supervisord]\nloglevel=debug\n", 1)
	return testbin.StartConf(t, oracle, dir, base+sections)
}

// logLines returns the activity log's lines containing part, without their
// timestamps.
func logLines(d *testbin.Daemon, part string) []string {
	var out []string
	for _, l := range strings.Split(d.Log(), "\n") {
		if strings.Contains(l, part) {
			if _, rest, ok := strings.Cut(l, ","); ok && len(rest) > 4 {
				l = rest[4:] // drop "YYYY-MM-DD HH:MM:SS,mmm "
			}
			out = append(out, l)
		}
	}
	return out
}
