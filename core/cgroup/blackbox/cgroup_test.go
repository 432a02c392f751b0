package blackbox

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// needCgroup fails (never skips) when the machine cannot give programs a
// cgroup with ctrl, saying what is missing: CI has it.
func needCgroup(t *testing.T, ctrls ...string) {
	t.Helper()
	needRoot(t)
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ctrls {
		ok := false
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 3 {
				continue
			}
			opts := f[len(f)-1]
			if strings.Contains(l, " - cgroup ") && strings.Contains(","+opts+",", ","+c+",") {
				ok = true
			}
		}
		if !ok {
			// cgroup v2 with the controller available?
			if root := v2Root(string(b)); root != "" {
				cs, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
				ok = strings.Contains(" "+string(cs)+" ", " "+strings.TrimSpace(c)+" ") || strings.Contains(string(cs), c)
			}
		}
		if !ok {
			t.Fatalf("this machine has no %s cgroup controller (neither v1 nor v2); this test needs one (CI has it)", c)
		}
	}
}

func v2Root(mountinfo string) string {
	for _, l := range strings.Split(mountinfo, "\n") {
		if strings.Contains(l, " - cgroup2 ") {
			return strings.Fields(l)[4]
		}
	}
	return ""
}

// resources calls super.getAllProcessResources and returns name's struct.
func resources(t testing.TB, d *testbin.Daemon, name string) map[string]any {
	t.Helper()
	all, _ := d.Call(t, "super.getAllProcessResources").([]any)
	for _, e := range all {
		m, _ := e.(map[string]any)
		if m["name"] == name {
			return m
		}
	}
	t.Fatalf("no resources for %s in %v", name, all)
	return nil
}

func alive(pid int) bool {
	p, ok := testbin.ReadProc(pid)
	return ok && !p.Zombie()
}

// killmode=cgroup stops what a program daemonized; without it (4.2's
// behaviour, even with stopasgroup) the daemonized grandchild survives.
func TestKillmodeCgroupStopsDaemonizedGrandchild(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	plainPid, treePid := filepath.Join(dir, "plain.pid"), filepath.Join(dir, "tree.pid")
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:plain]
command=%s
startsecs=0
stopasgroup=true
killasgroup=true

[program:tree]
command=%s
startsecs=0
killmode=cgroup
`, helperCmd(t, "daemonize", plainPid), helperCmd(t, "daemonize", treePid)))
	d.WaitState(t, "plain", "RUNNING", 10*time.Second)
	d.WaitState(t, "tree", "RUNNING", 10*time.Second)
	plainGC, treeGC := readPidFile(t, plainPid), readPidFile(t, treePid)
	t.Cleanup(func() { syscall.Kill(plainGC, syscall.SIGKILL); syscall.Kill(treeGC, syscall.SIGKILL) })

	d.Call(t, "supervisor.stopProcess", "plain", true)
	d.Call(t, "supervisor.stopProcess", "tree", true)
	// STOPPED only once the cgroup is empty: no polling needed here.
	if alive(treeGC) {
		t.Errorf("killmode=cgroup: the daemonized grandchild %d still runs after stop returned", treeGC)
	}
	if !alive(plainGC) {
		t.Errorf("killmode=process: the daemonized grandchild %d was killed, 4.2 leaves it running", plainGC)
	}
	d.WaitLog(t, "stopped: tree (", 5*time.Second)
}

// A grandchild that ignores the stop signal is killed with the whole
// cgroup after stopwaitsecs.
func TestKillmodeCgroupSigkillsTheCgroup(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	gcPid := filepath.Join(dir, "gc.pid")
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:stubborn]
command=/bin/sh -c 'sh -c "trap \"\" TERM; echo \$\$ > %s; while :; do sleep 1; done" & wait'
startsecs=0
stopwaitsecs=1
killmode=cgroup
`, gcPid))
	d.WaitState(t, "stubborn", "RUNNING", 10*time.Second)
	gc := readPidFile(t, gcPid)
	t.Cleanup(func() { syscall.Kill(gc, syscall.SIGKILL) })
	start := time.Now()
	d.Call(t, "supervisor.stopProcess", "stubborn", true)
	if alive(gc) {
		t.Fatalf("the grandchild ignoring SIGTERM survived the stop")
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("stop took %v: the SIGKILL came before stopwaitsecs", took)
	}
	d.WaitLog(t, "killing 'stubborn'", 5*time.Second)
}

// memory_max: a program allocating past it is killed by the OOM killer;
// that is logged beside 4.2's exited: line and counted.
func TestMemoryMaxOOMDetected(t *testing.T) {
	needCgroup(t, "memory")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:hog]
command=%s
startsecs=0
autorestart=false
memory_max=48MB
`, helperCmd(t, "alloc", "256")))
	d.WaitState(t, "hog", "EXITED", 30*time.Second)
	d.WaitLog(t, "exited: hog (terminated by SIGKILL; not expected)", 5*time.Second)
	d.WaitLog(t, "WARN oom: the OOM killer killed 1 process(es) of hog (memory_max=50331648)", 5*time.Second)
	r := resources(t, d, "hog")
	if r["oom_kills"] != 1 || r["memory_max_kb"] != 48*1024 || r["cgroup"] != true {
		t.Errorf("resources %v: want oom_kills 1, memory_max_kb 49152, cgroup true", r)
	}
	// The exited: line is 4.2's own, the WARN comes after it.
	log := d.Log()
	if strings.Index(log, "exited: hog") > strings.Index(log, "oom: ") {
		t.Errorf("the oom WARN comes before the exited: line:\n%s", log)
	}
}

// pids_max: the program's tree cannot fork past it. The subshell can
// start two sleeps (shell, subshell and two sleeps make 4), the third fork
// fails; once the subshell is gone the outer shell forks its last sleep.
func TestPidsMaxForkFails(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:forker]
command=/bin/sh -c '(sleep 300 & sleep 300 & sleep 300 & sleep 300 & wait); echo subshell exit $?; exec sleep 300'
startsecs=0
autorestart=false
pids_max=4
killmode=cgroup
redirect_stderr=true
stdout_logfile=%(here)s/forker.log
`)
	d.WaitState(t, "forker", "RUNNING", 10*time.Second)
	out := filepath.Join(dir, "forker.log")
	if err := testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return bytes.Contains(b, []byte("subshell exit"))
	}); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("the subshell never ended:\n%s", b)
	}
	b, _ := os.ReadFile(out)
	if !bytes.Contains(bytes.ToLower(b), []byte("fork")) || bytes.Contains(b, []byte("subshell exit 0")) {
		t.Errorf("want a fork failure and a failed subshell in the program's output:\n%s", b)
	}
	r := resources(t, d, "forker")
	if r["pids_max"] != 4 {
		t.Errorf("resources %v: want pids_max 4", r)
	}
	// The shell (now its last sleep) and the subshell's two orphaned
	// sleeps; the subshell itself may not be gone yet.
	if n, _ := r["processes"].(int); n < 3 || n > 4 {
		t.Errorf("the cgroup has %d processes, want 3 or 4 (pids_max=4)", n)
	}
	d.Call(t, "supervisor.stopProcess", "forker", true)
}

// cpu_quota=50%: a busy loop gets about half a CPU, measured from its
// CPU time over windows of wall time. Not parallel: the other tests of the
// package would take the CPU it is measured on. The machine may be busy
// with other work too, so a control busy loop without a quota runs beside
// it with the same weight: a window counts only when the control got more
// than 55% of a core (the CPU was there for the quota to cap: siblings of
// equal weight share alike up to the cap), and windows are measured until
// one does. The quota's cap is checked in every window.
func TestCPUQuotaHalfACore(t *testing.T) {
	needCgroup(t, "cpu")
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:spin]
command=%[1]s
startsecs=0
cpu_quota=50%%
cpu_weight=10000
environment=GOMAXPROCS="1"

[program:control]
command=%[1]s
startsecs=0
cpu_weight=10000
environment=GOMAXPROCS="1"
`, helperCmd(t, "busy")))
	d.WaitState(t, "spin", "RUNNING", 10*time.Second)
	d.WaitState(t, "control", "RUNNING", 10*time.Second)
	spin, control := pidOf(t, d, "spin"), pidOf(t, d, "control")
	favourTree(t, spin)
	cpu := func(pid int) float64 {
		p, ok := testbin.ReadProc(pid)
		if !ok {
			t.Fatalf("no process %d", pid)
		}
		return float64(p.Utime+p.Stime) / 100
	}
	const window = 2 * time.Second
	var seen []string
	// At most a minute: long enough for a busy moment to pass.
	for range 30 {
		s0, c0, t0 := cpu(spin), cpu(control), time.Now()
		testbin.Poll(2*window, func() bool { return time.Since(t0) >= window })
		wall := time.Since(t0).Seconds()
		share, free := (cpu(spin)-s0)/wall, (cpu(control)-c0)/wall
		seen = append(seen, fmt.Sprintf("%.0f%% (control %.0f%%)", share*100, free*100))
		if share > 0.60 {
			t.Fatalf("busy loop with cpu_quota=50%% got %.1f%% of a core over %.1f s", share*100, wall)
		}
		if free >= 0.55 {
			t.Logf("busy loop with cpu_quota=50%%: %.1f%% of a core (control without quota: %.1f%%)", share*100, free*100)
			if share < 0.40 {
				t.Errorf("busy loop got %.1f%% of a core, want 40-60%% with cpu_quota=50%%", share*100)
			}
			return
		}
	}
	t.Fatalf("the machine never had a free core to measure on: windows %v", seen)
}

// A daemon killed with -9 leaves its programs running; the next daemon
// with the same identifier finds them in their cgroups, logs and kills
// them before starting its own: nothing runs twice.
func TestLeftoversOfACrashedDaemon(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	gcPid := filepath.Join(dir, "gc.pid")
	text := conf(t, dir, "cgroups=true\n") + fmt.Sprintf(`
[program:worker]
command=%s
startsecs=0
; Only so the test's end stops the new grandchild with the daemon: the
; leftovers are found without it.
killmode=cgroup
`, helperCmd(t, "daemonize", gcPid))
	first := testbin.StartConf(t, false, dir, text)
	first.WaitState(t, "worker", "RUNNING", 10*time.Second)
	oldChild, oldGC := pidOf(t, first, "worker"), readPidFile(t, gcPid)
	t.Cleanup(func() { syscall.Kill(oldChild, syscall.SIGKILL); syscall.Kill(oldGC, syscall.SIGKILL) })
	first.Signal(syscall.SIGKILL)
	first.Wait(10 * time.Second)
	if !alive(oldChild) || !alive(oldGC) {
		t.Fatalf("the programs did not outlive the daemon's kill -9 (child alive %v, grandchild %v)", alive(oldChild), alive(oldGC))
	}
	os.Remove(gcPid)
	os.Remove(filepath.Join(dir, "s.sock"))

	second := testbin.StartConf(t, false, dir, text)
	second.WaitState(t, "worker", "RUNNING", 10*time.Second)
	if alive(oldChild) || alive(oldGC) {
		t.Errorf("the previous run's worker (%d) or its grandchild (%d) still runs beside the new one", oldChild, oldGC)
	}
	log := second.Log()
	leftover := fmt.Sprintf("WARN cgroups: worker:worker has 2 process(es) left from a previous run (pids [%d %d]): killing them", min(oldChild, oldGC), max(oldChild, oldGC))
	i, j := strings.LastIndex(log, leftover), strings.LastIndex(log, "spawned: 'worker'")
	if i < 0 || j < i {
		t.Errorf("want %q before the new spawn:\n%s", leftover, log)
	}
	newChild, newGC := pidOf(t, second, "worker"), readPidFile(t, gcPid)
	t.Cleanup(func() { syscall.Kill(newGC, syscall.SIGKILL) })
	if newChild == oldChild {
		t.Errorf("same pid")
	}
}

// The features line: one INFO line at start saying what the daemon has,
// only when some program uses cgroups (a 4.2 config's log is unchanged).
func TestCgroupFeaturesLine(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:a]
command=sleep 300
pids_max=10
`)
	d.WaitState(t, "a", "RUNNING", 10*time.Second)
	if n := strings.Count(d.Log(), "INFO cgroups: super.bbtest-"); n != 1 || !strings.Contains(d.Log(), "pids ") {
		t.Errorf("%d features lines, want 1:\n%s", n, d.Log())
	}
	// A clean shutdown leaves no cgroup behind.
	var dirs []string
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pidOf(t, d, "a")))
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && strings.Contains(f[2], "/super.bbtest-") {
			switch {
			case f[1] == "":
				dirs = append(dirs, filepath.Join(v2Root(string(mi)), filepath.Dir(f[2])))
			case f[1] == "pids":
				dirs = append(dirs, filepath.Join("/sys/fs/cgroup/pids", filepath.Dir(f[2])))
			}
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("the program is in no cgroup of the tree: %s", b)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("no tree at %s while running: %v", dir, err)
		}
	}
	d.Stop()
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s is left after a clean shutdown", dir)
		}
	}
	dir2 := t.TempDir()
	d2 := testbin.StartConf(t, false, dir2, conf(t, dir2, "")+"[program:b]\ncommand=sleep 300\n")
	d2.WaitState(t, "b", "RUNNING", 10*time.Second)
	if strings.Contains(d2.Log(), "cgroups") {
		t.Errorf("a config without cgroup keys logs about cgroups:\n%s", d2.Log())
	}
}

// favourTree gives the cgroup tree holding pid's cgroup the highest CPU
// weight, so that the machine's other load (other packages' tests, other
// sessions: each its own scheduling group of the same default weight as
// the tree) does not starve the programs measured inside it. It changes
// the test's surroundings, not what super set on the program.
func favourTree(t *testing.T, pid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	done := false
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		parent := filepath.Dir(f[2])
		switch {
		case f[1] == "":
			if os.WriteFile(filepath.Join("/sys/fs/cgroup", parent, "cpu.weight"), []byte("10000"), 0) == nil {
				done = true
			}
		case strings.Contains(","+f[1]+",", ",cpu,"):
			for _, m := range []string{"/sys/fs/cgroup/" + f[1], "/sys/fs/cgroup/cpu"} {
				if os.WriteFile(filepath.Join(m, parent, "cpu.shares"), []byte("262144"), 0) == nil {
					done = true
					break
				}
			}
		}
	}
	if !done {
		t.Logf("could not raise the CPU weight of the tree of pid %d (%s)", pid, b)
	}
}

// treeFigures sums utime+stime+cutime+cstime (seconds) and RSS (bytes) of
// pid and its descendants, as /proc says.
func treeFigures(t testing.TB, pid int) (cpu float64, rss int64, n int) {
	t.Helper()
	kids := map[int][]int{}
	procs := map[int]testbin.Proc{}
	for _, p := range testbin.Procs() {
		kids[p.PPid] = append(kids[p.PPid], p.Pid)
		procs[p.Pid] = p
	}
	stack := []int{pid}
	for len(stack) > 0 {
		p, ok := procs[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if !ok {
			continue
		}
		cpu += float64(p.Utime+p.Stime+p.Cutime+p.Cstime) / 100
		rss += p.RSS * int64(os.Getpagesize())
		n++
		stack = append(stack, kids[p.Pid]...)
	}
	return cpu, rss, n
}

// The CPU and memory of a forking tree, from its cgroup and from /proc,
// agree within 10% with what /proc says of the process and its
// descendants.
func TestAccountingOfAForkingTree(t *testing.T) {
	needCgroup(t, "memory", "cpuacct")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:withcg]
command=%s
startsecs=0
cpu_weight=100
killmode=cgroup

[program:nocg]
command=%s
startsecs=0
stopasgroup=true
`, helperCmd(t, "tree", "3", "60", "500", filepath.Join(dir, "withcg")), helperCmd(t, "tree", "3", "60", "500", filepath.Join(dir, "nocg"))))
	for _, name := range []string{"withcg", "nocg"} {
		d.WaitState(t, name, "RUNNING", 10*time.Second)
		if err := testbin.Poll(60*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(dir, name))
			return err == nil
		}); err != nil {
			t.Fatalf("%s's tree never got ready", name)
		}
	}
	for _, tc := range []struct{ name, source string }{{"withcg", "cgroup"}, {"nocg", "proc"}} {
		pid := pidOf(t, d, tc.name)
		r := resources(t, d, tc.name)
		cpu, rss, n := treeFigures(t, pid)
		gotCPU, _ := r["cpu"].(float64)
		gotMem := float64(toInt(r["memory_kb"]) * 1024)
		t.Logf("%s: %d processes; cpu %.2f s (/proc %.2f s), memory %.1f MiB (/proc %.1f MiB), from %v",
			tc.name, n, gotCPU, cpu, gotMem/(1<<20), float64(rss)/(1<<20), r["source"])
		if r["source"] != tc.source || n != 4 {
			t.Errorf("%s: source %v with %d processes, want %s with 4", tc.name, r["source"], n, tc.source)
		}
		if gotCPU < cpu*0.9 || gotCPU > cpu*1.1 {
			t.Errorf("%s: cpu %.2f s, /proc says %.2f s", tc.name, gotCPU, cpu)
		}
		if gotMem < float64(rss)*0.9 || gotMem > float64(rss)*1.1 {
			t.Errorf("%s: memory %.0f, /proc says %d", tc.name, gotMem, rss)
		}
	}
}

func toInt(v any) int {
	n, _ := v.(int)
	return n
}

// memory_restart restarts a program whose tree stays above it, with or
// without a cgroup.
func TestMemoryRestart(t *testing.T) {
	needCgroup(t, "memory")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+fmt.Sprintf(`
[program:leakcg]
command=%[1]s
startsecs=0
memory_restart=20MB
memory_max=200MB

[program:leak]
command=%[1]s
startsecs=0
memory_restart=20MB
`, helperCmd(t, "alloc", "60")))
	for _, name := range []string{"leakcg", "leak"} {
		d.WaitLog(t, "WARN memory_restart: "+name+" uses ", 20*time.Second)
		if err := testbin.Poll(10*time.Second, func() bool {
			all, _ := d.Call(t, "super.getAllProcessStats").([]any)
			for _, e := range all {
				m, _ := e.(map[string]any)
				if m["name"] == name && toInt(m["starts"]) >= 2 {
					return true
				}
			}
			return false
		}); err != nil {
			t.Errorf("%s was not started again after memory_restart:\n%s", name, d.Log())
		}
	}
	if !strings.Contains(d.Log(), "above memory_restart=20971520 for 3 samples in a row: restarting it") {
		t.Errorf("the restart line does not say why:\n%s", d.Log())
	}
}

// supervisorctl stats shows every program's figures and limits; status
// stays 4.2's.
func TestCtlStats(t *testing.T) {
	needCgroup(t, "pids")
	t.Parallel()
	dir := t.TempDir()
	d := testbin.StartConf(t, false, dir, conf(t, dir, "")+`
[program:limited]
command=sleep 300
startsecs=0
pids_max=8
cpu_quota=150%

[program:plain]
command=sleep 300
startsecs=0
`)
	d.WaitState(t, "limited", "RUNNING", 10*time.Second)
	d.WaitState(t, "plain", "RUNNING", 10*time.Second)
	ctl := func(args ...string) string {
		out, _ := exec.Command(testbin.Path(t, "supervisorctl"), append([]string{"-c", d.Conf}, args...)...).CombinedOutput()
		return string(out)
	}
	out := ctl("stats")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "MEMORY") {
		t.Fatalf("stats:\n%s", out)
	}
	lim := strings.Fields(lines[1])
	if lim[0] != "limited" || lim[1] != "RUNNING" || lim[2] != strconv.Itoa(pidOf(t, d, "limited")) ||
		!strings.HasSuffix(lim[3], "s") || lim[5] != "0" || !strings.Contains(lines[1], "cpu_quota=150% pids_max=8") {
		t.Errorf("stats row for limited: %q", lines[1])
	}
	if pl := strings.Fields(lines[2]); pl[0] != "plain" || pl[5] != "-" || len(pl) != 6 {
		t.Errorf("stats row for plain: %q", lines[2])
	}
	if one := ctl("stats", "plain"); strings.Count(one, "\n") != 2 || !strings.Contains(one, "plain") {
		t.Errorf("stats plain:\n%s", one)
	}
	if st := ctl("status"); strings.Contains(st, "pids_max") || strings.Count(st, "\n") != 2 {
		t.Errorf("status changed:\n%s", st)
	}
}
