package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER: orphans below us are
// reparented to us instead of to init, so the sweep can find (and kill)
// every program a daemon left behind, even one a killed daemon never stopped.
const prSetChildSubreaper = 36

func becomeSubreaper() error {
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0, 0, 0, 0); errno != 0 {
		return errno
	}
	return nil
}

// tracked holds the pids of the processes whose exec.Cmd.Wait is pending:
// the sweep must not reap them, or Wait would fail with ECHILD.
var tracked = struct {
	sync.Mutex
	pids map[int]bool
}{pids: map[int]bool{}}

// startTracked starts cmd and returns a channel closed after its Wait.
func startTracked(cmd *exec.Cmd) (<-chan struct{}, error) {
	tracked.Lock()
	defer tracked.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	tracked.pids[pid] = true
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		tracked.Lock()
		delete(tracked.pids, pid)
		tracked.Unlock()
		close(done)
	}()
	return done, nil
}

// procStat is the part of /proc/PID/stat the harness needs.
type procStat struct {
	ppid       int
	utime      uint64 // clock ticks
	stime      uint64
	startTicks uint64
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// comm may hold spaces and parentheses: the fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("bad stat for %d", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime 14, stime 15, starttime 22.
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("short stat for %d", pid)
	}
	var s procStat
	s.ppid, _ = strconv.Atoi(f[1])
	s.utime, _ = strconv.ParseUint(f[11], 10, 64)
	s.stime, _ = strconv.ParseUint(f[12], 10, 64)
	s.startTicks, _ = strconv.ParseUint(f[19], 10, 64)
	return s, nil
}

// descendants returns every live process below root (not root itself).
func descendants(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	kids := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := readStat(pid); err == nil {
			kids[s.ppid] = append(kids[s.ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range kids[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// statusKiB returns a "VmXxx:" field of /proc/PID/status in KiB.
func statusKiB(pid int, field string) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line[len(field)+1:])
			if len(f) > 0 {
				v, err := strconv.ParseFloat(f[0], 64)
				return v, err
			}
		}
	}
	return 0, fmt.Errorf("no %s in status of %d", field, pid)
}

func rssMiB(pid int) (float64, error) {
	k, err := statusKiB(pid, "VmRSS")
	return k / 1024, err
}

// cpuNanos returns the CPU time pid has used: the sum of its threads'
// schedstat run times (nanoseconds, so an idle daemon's few microseconds
// show), and utime+stime from stat (clock ticks, for reference).
func cpuNanos(pid int) (sched uint64, ticks uint64, err error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, 0, err
	}
	ticks = st.utime + st.stime
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := bytes.Fields(b)
		if len(f) > 0 {
			v, _ := strconv.ParseUint(string(f[0]), 10, 64)
			sched += v
		}
	}
	return sched, ticks, nil
}

// killTree stops pid (so it cannot fork or respawn meanwhile), kills
// everything below it, then pid itself.
func killTree(pid int) {
	syscall.Kill(pid, syscall.SIGSTOP)
	for _, d := range descendants(pid) {
		syscall.Kill(d, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// sweep kills every process below this one that no pending Wait owns and
// reaps those reparented to us. Only descendants are touched: everything
// below us was started by the harness.
func sweep(timeout time.Duration) error {
	self := os.Getpid()
	deadline := time.Now().Add(timeout)
	for {
		tracked.Lock()
		var left []int
		for _, d := range descendants(self) {
			if tracked.pids[d] {
				continue
			}
			left = append(left, d)
		}
		tracked.Unlock()
		if len(left) == 0 {
			return nil
		}
		for _, d := range left {
			syscall.Kill(d, syscall.SIGKILL)
		}
		for _, d := range left {
			if s, err := readStat(d); err == nil && s.ppid == self {
				var ws syscall.WaitStatus
				syscall.Wait4(d, &ws, syscall.WNOHANG, nil)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d processes left after sweep: %v", len(left), left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitDone waits for done until d passes.
func waitDone(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

var errTimeout = errors.New("timed out")
