package process

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"super/core/config"
)

// rlimit_* keys: limits the child gets before it execs its program.
//
// Rlimits are per process, not per thread: the daemon cannot set a limit
// on itself around a fork without every other goroutine (and every other
// child forked meanwhile) seeing it. syscall.ForkExec has no rlimit field,
// and between its fork and exec nothing of ours runs in the child, so a
// program with rlimit_* keys is started through a trampoline: the child
// execs this binary (/proc/self/exe), which sets the limits on itself
// while it still has the daemon's privileges, then does 4.2's other steps
// (user, directory) and execs the program (childfail.go's runChildSteps,
// the same code that reports a failed step the way 4.2 does). The daemon's
// own limits are never touched.
//
// Cost, measured: a spawn through the trampoline takes ~1.7 ms more than a
// direct one (one exec of this binary and the Go runtime's start; 300
// spawns of /bin/true: 0.73 s against 0.22 s). It is paid only by
// programs that set an rlimit_* key. The alternatives were worse: prlimit(2)
// on the child's pid after ForkExec returns comes after the exec (the
// program already runs, and RLIMIT_STACK is read by exec itself), and a
// ptrace stop at the exec has the same problem and is forbidden in many
// containers.
//
// A limit the daemon cannot give (a hard limit above its own without
// CAP_SYS_RESOURCE, rlimit_nofile above fs.nr_open) is a spawn error
// before anything forks, so it shows as the process's spawnerr and BACKOFF,
// not as a child exiting 127.

// rlimitStep is one limit for the trampoline to set.
type rlimitStep struct {
	Key      string `json:"key"`
	Resource int    `json:"resource"`
	Soft     uint64 `json:"soft"`
	Hard     uint64 `json:"hard"`
}

func rlimitValue(soft, hard uint64) string {
	if soft == hard {
		return config.RlimitText(soft)
	}
	return config.RlimitText(soft) + ":" + config.RlimitText(hard)
}

// rlimitSteps checks that the daemon can give cfg's rlimits and returns
// them for the trampoline; nil when cfg sets none.
func rlimitSteps(cfg *config.ProcessConfig) ([]rlimitStep, error) {
	rls := cfg.Resources.Rlimits
	if len(rls) == 0 {
		return nil, nil
	}
	steps := make([]rlimitStep, len(rls))
	for i, r := range rls {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(r.Resource, &cur); err != nil {
			return nil, fmt.Errorf("cannot set %s for '%s': %s", r.Key, cfg.Name, errnoOf(err))
		}
		if r.Resource == syscall.RLIMIT_NOFILE {
			if max := nrOpen(); max > 0 && r.Hard > max {
				return nil, fmt.Errorf("cannot set %s=%s for '%s': the system allows at most %d open files per process (fs.nr_open)",
					r.Key, rlimitValue(r.Soft, r.Hard), cfg.Name, max)
			}
		}
		if r.Hard > cur.Max && !canRaiseRlimits() {
			return nil, fmt.Errorf("cannot set %s=%s for '%s': the hard limit is above supervisord's own (%s) and raising it needs root (CAP_SYS_RESOURCE)",
				r.Key, rlimitValue(r.Soft, r.Hard), cfg.Name, config.RlimitText(cur.Max))
		}
		steps[i] = rlimitStep{Key: r.Key, Resource: r.Resource, Soft: r.Soft, Hard: r.Hard}
	}
	return steps, nil
}

var (
	capOnce   sync.Once
	capRaise  bool
	nrOpenVal uint64
)

// canRaiseRlimits reports whether the daemon has CAP_SYS_RESOURCE in its
// effective set (asked once).
func canRaiseRlimits() bool {
	capOnce.Do(readCaps)
	return capRaise
}

// nrOpen is /proc/sys/fs/nr_open, the ceiling of RLIMIT_NOFILE even for
// root; 0 when unknown.
func nrOpen() uint64 {
	capOnce.Do(readCaps)
	return nrOpenVal
}

func readCaps() {
	const capSysResource = 24
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil {
					capRaise = n&(1<<capSysResource) != 0
				}
			}
		}
	} else {
		capRaise = os.Geteuid() == 0
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		nrOpenVal, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
}
