package process

import (
	"slices"
	"strings"
	"testing"

	"super/core/config"
)

// Environ: supervisord's environment first, then SUPERVISOR_*, then the
// [supervisord] and the program's environment; a variable set again keeps
// its first place and takes the last value. One child's variables never
// leak into another's.
func TestEnviron(t *testing.T) {
	t.Setenv("SUPER_ENV_T_A", "from-daemon-env")
	l := &Launcher{
		DaemonEnv: map[string]string{"SUPER_ENV_T_A": "from-supervisord", "SUPER_ENV_T_B": "b1"},
		ServerURL: "unix:///tmp/s.sock",
	}
	one := &config.ProcessConfig{Name: "one", Group: "g", Environment: map[string]string{
		"SUPER_ENV_T_B": "b2", "SUPER_ENV_T_C": "c", "SUPERVISOR_PROCESS_NAME": "renamed",
		"SUPER_ENV_T_A": "one-only"}}
	two := &config.ProcessConfig{Name: "two", Group: "g", ServerURL: "http://127.0.0.1:9001"}

	env1 := l.Environ(one)
	env2 := l.Environ(two)
	env1again := l.Environ(one)
	if !slices.Equal(env1, env1again) {
		t.Errorf("Environ is not stable across spawns:\n%v\n%v", env1, env1again)
	}

	pos := func(env []string, k string) (int, string) {
		for i, kv := range env {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				return i, v
			}
		}
		return -1, ""
	}
	want := func(env []string, k, v string) int {
		t.Helper()
		i, got := pos(env, k)
		if i < 0 || got != v {
			t.Errorf("%s = %q (at %d), want %q", k, got, i, v)
		}
		return i
	}
	a := want(env1, "SUPER_ENV_T_A", "one-only")
	en := want(env1, "SUPERVISOR_ENABLED", "1")
	url := want(env1, "SUPERVISOR_SERVER_URL", "unix:///tmp/s.sock")
	name := want(env1, "SUPERVISOR_PROCESS_NAME", "renamed")
	grp := want(env1, "SUPERVISOR_GROUP_NAME", "g")
	b := want(env1, "SUPER_ENV_T_B", "b2")
	c := want(env1, "SUPER_ENV_T_C", "c")
	if !(a < en && en < url && url < name && name < grp && grp < b && b < c) {
		t.Errorf("order: A %d ENABLED %d URL %d NAME %d GROUP %d B %d C %d", a, en, url, name, grp, b, c)
	}

	want(env2, "SUPER_ENV_T_A", "from-supervisord")
	want(env2, "SUPERVISOR_SERVER_URL", "http://127.0.0.1:9001")
	want(env2, "SUPERVISOR_PROCESS_NAME", "two")
	want(env2, "SUPER_ENV_T_B", "b1")
	if i, _ := pos(env2, "SUPER_ENV_T_C"); i >= 0 {
		t.Errorf("program one's SUPER_ENV_T_C leaked into two: %v", env2)
	}
	if len(env1) != len(env2)+1 {
		t.Errorf("len(one) = %d, len(two) = %d: want one more (SUPER_ENV_T_C)", len(env1), len(env2))
	}
}
