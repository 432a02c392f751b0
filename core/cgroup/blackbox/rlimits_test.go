package blackbox

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// limits reads /proc/PID/limits into "Max open files" → "soft hard".
func limits(t testing.TB, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	return parseLimits(string(b))
}

var limitLine = regexp.MustCompile(`^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)`)

func parseLimits(s string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if m := limitLine.FindStringSubmatch(l); m != nil {
			out[m[1]] = m[2] + " " + m[3]
		}
	}
	return out
}

// Each rlimit_* key reaches the program: read back from the child's
// /proc/PID/limits, in the units the kernel uses (bytes for sizes).
func TestRlimitsReachTheChild(t *testing.T) {
	needRoot(t)
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:limited]
command=sleep 300
startsecs=0
rlimit_nofile=1000:2000
rlimit_nproc=500
rlimit_core=unlimited
rlimit_as=2GB:unlimited
rlimit_memlock=64KB
rlimit_stack=16MB:32MB
user=nobody

[program:plain]
command=sleep 300
startsecs=0
`)
	d.WaitState(t, "limited", "RUNNING", 10*time.Second)
	d.WaitState(t, "plain", "RUNNING", 10*time.Second)
	pid := pidOf(t, d, "limited")
	// Until the trampoline has exec'd the program, the pid runs super.
	if err := testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return strings.TrimSpace(string(b)) == "sleep"
	}); err != nil {
		t.Fatalf("pid %d never became sleep", pid)
	}
	got := limits(t, pid)
	want := map[string]string{
		"Max open files":     "1000 2000",
		"Max processes":      "500 500",
		"Max core file size": "unlimited unlimited",
		"Max address space":  "2147483648 unlimited",
		"Max locked memory":  "65536 65536",
		"Max stack size":     "16777216 33554432",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: child has %q, want %q", k, got[k], v)
		}
	}
	// The user switch happened after the limits were set (a hard limit
	// raised as nobody would have failed).
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if !regexp.MustCompile(`(?m)^Uid:\s+65534\b`).Match(st) {
		t.Errorf("child does not run as nobody:\n%s", st)
	}
	// A program without the keys gets the daemon's limits, as in 4.2
	// (Go's raised RLIMIT_NOFILE soft limit put back).
	plain, daemon := limits(t, pidOf(t, d, "plain")), limits(t, d.Pid())
	for _, k := range []string{"Max processes", "Max core file size", "Max address space", "Max stack size"} {
		if plain[k] != daemon[k] {
			t.Errorf("%s: program without rlimit keys has %q, the daemon %q", k, plain[k], daemon[k])
		}
	}
}

// The daemon's own limits never change, not even for a moment, while it
// spawns programs with other limits: its /proc/PID/limits is read over and
// over while a program with every rlimit key restarts many times.
func TestDaemonRlimitsUnchangedDuringSpawns(t *testing.T) {
	needRoot(t)
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:flap]
command=/bin/true
numprocs=4
process_name=flap%(process_num)d
startsecs=0
autorestart=true
rlimit_nofile=64
rlimit_nproc=100:200
rlimit_core=0
rlimit_as=1GB
rlimit_memlock=1MB
rlimit_stack=1MB
`)
	before, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", d.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	reads, spawns := 0, 0
	if err := testbin.Poll(60*time.Second, func() bool {
		for range 50 {
			now, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", d.Pid()))
			if err != nil {
				t.Fatal(err)
			}
			reads++
			if string(now) != string(before) {
				t.Fatalf("the daemon's limits changed during a spawn:\nbefore:\n%s\nnow:\n%s", before, now)
			}
		}
		spawns = strings.Count(d.Log(), "spawned: 'flap")
		return spawns >= 200
	}); err != nil {
		t.Fatalf("only %d spawns seen", spawns)
	}
	t.Logf("%d reads of the daemon's limits during %d spawns", reads, spawns)
	if parseLimits(string(before))["Max open files"] == "64 64" {
		t.Fatal("the daemon itself has the program's limits")
	}
}

// A hard limit the daemon cannot give is a spawn error naming the key and
// the reason, before anything forks: rlimit_nofile above fs.nr_open, which
// not even root may exceed.
func TestRlimitAboveDaemonsIsSpawnError(t *testing.T) {
	needRoot(t)
	t.Parallel()
	dir := t.TempDir()
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Fatal(err)
	}
	nrOpen, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:toomany]
command=sleep 300
startretries=0
rlimit_nofile=%d
`, nrOpen+1))
	d.WaitState(t, "toomany", "FATAL", 10*time.Second)
	info, _ := d.Call(t, "supervisor.getProcessInfo", "toomany").(map[string]any)
	desc, _ := info["description"].(string)
	if !strings.Contains(desc, "rlimit_nofile") || !strings.Contains(desc, "fs.nr_open") {
		t.Errorf("description %q does not say which limit and why", desc)
	}
	d.WaitLog(t, "spawnerr: cannot set rlimit_nofile=", 5*time.Second)
	if strings.Contains(d.Log(), "spawned: 'toomany'") {
		t.Errorf("a child was started:\n%s", d.Log())
	}
}
