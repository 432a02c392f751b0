// Package usage reads the CPU time and resident memory of supervised
// programs: of each program's whole tree (the process and all its
// descendants), from its cgroup where it has one (core/cgroup) and else
// from /proc.
//
// Figures are read only when asked for (an RPC call, a scrape, a web page,
// `supervisorctl stats`, memory_restart's samples), never on a timer of
// their own. A sample of many programs reads /proc once, however many
// need it: one pass over /proc/<pid>/stat of every process, each read into
// one reused buffer and parsed without allocating. It was written here
// rather than taken from github.com/prometheus/procfs: procfs' Proc.Stat
// allocates and parses every field of every file with fmt (see
// BenchmarkSample for the figures), and adds nothing this needs.
package usage

import (
	"os"
	"strconv"

	"super/core/cgroup"
	"super/core/procstat"
)

// Target is one program to read: its main pid (0 when not running) and
// its cgroup (nil without one).
type Target struct {
	Pid    int
	Cgroup *cgroup.Group
}

// Figures are one program's numbers.
type Figures struct {
	CPUSeconds  float64 // user+system time of the tree, including ended descendants' (cgroup) or reaped children's (/proc)
	MemoryBytes int64   // resident memory of the tree
	Processes   int     // processes in the tree (in the cgroup, when read from it)
	FromCgroup  bool    // the figures come from the cgroup
	OK          bool    // something was read (a program not running has no figures)
}

var pageSize = int64(os.Getpagesize())

// Sample reads every target's figures.
func Sample(targets []Target) []Figures {
	out := make([]Figures, len(targets))
	buf := make([]byte, procstat.BufSize)
	var tab *procTable
	for i, t := range targets {
		f := &out[i]
		if t.Cgroup != nil {
			u := t.Cgroup.Usage(buf)
			if u.HasCPU && u.HasMemory {
				*f = Figures{CPUSeconds: float64(u.CPUNanos) / 1e9, MemoryBytes: u.Memory, Processes: u.Processes, FromCgroup: true, OK: true}
				continue
			}
			if u.HasCPU {
				f.CPUSeconds, f.FromCgroup, f.OK = float64(u.CPUNanos)/1e9, true, true
			}
			if u.HasCPU && u.Pids != nil {
				// Memory of the cgroup's members, each from /proc.
				f.Processes = len(u.Pids)
				for _, pid := range u.Pids {
					if st, ok := procstat.Read(pid, buf); ok {
						f.MemoryBytes += st.RSS * pageSize
					}
				}
				continue
			}
		}
		if t.Pid <= 0 {
			continue
		}
		if tab == nil {
			tab = readProcs(buf)
		}
		cpu, mem, n := tab.tree(t.Pid)
		if n == 0 {
			continue
		}
		if !f.FromCgroup {
			f.CPUSeconds = cpu
		}
		f.MemoryBytes, f.Processes, f.OK = mem, n, true
	}
	return out
}

// procTable is one pass over /proc.
type procTable struct {
	stat     map[int]procstat.Stat
	children map[int][]int
}

// tree sums pid's and its descendants' figures.
func (t *procTable) tree(pid int) (cpuSeconds float64, mem int64, n int) {
	var ticks int64
	stack := []int{pid}
	seen := 0
	for len(stack) > 0 && seen < 1<<16 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		st, ok := t.stat[p]
		if !ok {
			continue
		}
		seen++
		n++
		ticks += st.Ticks
		mem += st.RSS * pageSize
		stack = append(stack, t.children[p]...)
	}
	return float64(ticks) / procstat.ClockTicks, mem, n
}

// readProcs reads /proc/<pid>/stat of every process.
func readProcs(buf []byte) *procTable {
	t := &procTable{stat: map[int]procstat.Stat{}, children: map[int][]int{}}
	d, err := os.Open("/proc")
	if err != nil {
		return t
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	path := make([]byte, 0, 32)
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		path = append(append(append(path[:0], "/proc/"...), name...), "/stat"...)
		st, ok := procstat.Parse(procstat.ReadFile(string(path), buf))
		if !ok {
			continue
		}
		t.stat[pid] = st
		t.children[st.PPid] = append(t.children[st.PPid], pid)
	}
	return t
}
