// Package blackbox tests resource control (rlimit_*, cgroups, killmode,
// OOM, memory_restart, CPU and memory figures) on the real binary, as root.
// Where the machine lacks a cgroup feature a test says which and fails:
// CI runs as root on a machine that has them.
package blackbox

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
)

// helperArg makes the test binary run one of the programs below instead of
// the tests: `blackbox.test resources-helper MODE ARGS…`.
const helperArg = "resources-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		os.Exit(helper(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}

// helperCmd is the command line running helper mode with args.
func helperCmd(t testing.TB, mode string, args ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(append([]string{exe, helperArg, mode}, args...), " ")
}

func helper(mode string, args []string) int {
	switch mode {
	case "daemonize":
		// daemonize PIDFILE: start a grandchild in a session of its own
		// (out of reach of stopasgroup/killasgroup), write its pid, wait.
		c := exec.Command("sleep", "300")
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := c.Start(); err != nil {
			return 3
		}
		writeFile(args[0], strconv.Itoa(c.Process.Pid))
		c.Wait()
	case "alloc":
		// alloc MB [PIDFILE]: allocate and touch MB MiB, write own pid, wait.
		mb, _ := strconv.Atoi(args[0])
		mem := make([]byte, mb<<20)
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		if len(args) > 1 {
			writeFile(args[1], strconv.Itoa(os.Getpid()))
		}
		fmt.Println("allocated", mb, "MiB")
		time.Sleep(300 * time.Second)
		mem[0]++
	case "busy":
		// busy: spin on one CPU forever.
		x := 0
		for {
			x++
		}
	case "tree":
		// tree N MB SPIN_MS PIDFILE: start N children that each burn
		// SPIN_MS of CPU time and hold MB MiB, do the same itself,
		// then write "ready" to PIDFILE and wait.
		n, _ := strconv.Atoi(args[0])
		exe, _ := os.Executable()
		for i := 0; i < n; i++ {
			ready := fmt.Sprintf("%s.%d", args[3], i)
			c := exec.Command(exe, helperArg, "tree", "0", args[1], args[2], ready)
			if err := c.Start(); err != nil {
				return 3
			}
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		mb, _ := strconv.Atoi(args[1])
		mem := make([]byte, mb<<20)
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = byte(i)
		}
		// Burn SPIN_MS of CPU time (not of wall time: a busy machine
		// would give less), as the process's own rusage counts it.
		ms, _ := strconv.Atoi(args[2])
		for {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= time.Duration(ms)*time.Millisecond {
				break
			}
			for i := 0; i < 1e6; i++ {
			}
		}
		writeFile(args[3], "ready")
		time.Sleep(300 * time.Second)
		mem[0]++
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
	return 0
}

// writeFile writes content atomically (readers never see half of it).
func writeFile(path, content string) {
	os.WriteFile(path+".tmp", []byte(content), 0o644)
	os.Rename(path+".tmp", path)
}

// needRoot fails the test when not run as root: CI runs as root, so a
// test of rlimits or cgroups there must run, not skip.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test needs root (resource limits and cgroups); run it as root as CI does")
	}
}

var confSeq atomic.Int64

// conf is testbin.BaseConf with a unique identifier (cgroups are named
// after it) and the given [supervisord] lines.
func conf(t *testing.T, dir, supervisord string) string {
	base := testbin.BaseConf(dir)
	// Unique per test and run: a daemon kills what it finds in the cgroups
	// of its identifier (leftovers of a crashed daemon).
	ident := fmt.Sprintf("bbtest-%d-%d-%s", os.Getpid(), confSeq.Add(1), strings.NewReplacer("/", "-").Replace(t.Name()))
	base = strings.Replace(base, "identifier=testsup\n", "identifier="+ident+"\n"+supervisord, 1)
	return base
}

// pidOf is the pid of a running process, from getProcessInfo.
func pidOf(t testing.TB, d *testbin.Daemon, name string) int {
	t.Helper()
	info, _ := d.Call(t, "supervisor.getProcessInfo", name).(map[string]any)
	pid, _ := info["pid"].(int)
	if pid == 0 {
		t.Fatalf("%s has no pid: %v", name, info)
	}
	return pid
}

// readPidFile waits for a pid written by a helper.
func readPidFile(t testing.TB, path string) int {
	t.Helper()
	var pid int
	if err := testbin.Poll(10*time.Second, func() bool {
		b, _ := os.ReadFile(path)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0
	}); err != nil {
		t.Fatalf("no pid in %s", path)
	}
	return pid
}
