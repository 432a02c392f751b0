package testbin

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Proc is one process as /proc/PID/stat describes it.
type Proc struct {
	Pid, PPid, Pgid int
	State           byte // R, S, D, Z, T …
	Comm            string
	// CPU time in clock ticks (USER_HZ, 100 a second): the process's own
	// user and system time, and that of its reaped children.
	Utime, Stime, Cutime, Cstime int64
	RSS                          int64 // resident set, in pages
}

// Zombie reports whether the process has exited and not been reaped.
func (p Proc) Zombie() bool { return p.State == 'Z' || p.State == 'X' }

// ReadProc reads /proc/PID/stat; ok is false when there is no such process.
func ReadProc(pid int) (p Proc, ok bool) {
	return readProc("/proc", pid)
}

func readProc(root string, pid int) (Proc, bool) {
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, false
	}
	// "pid (comm) S ppid pgrp …"; comm may hold spaces and parentheses.
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return Proc{}, false
	}
	// Fields after the name, from 0: state, ppid, pgrp, … utime (11),
	// stime, cutime, cstime (14), … rss (21).
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 22 {
		return Proc{}, false
	}
	p := Proc{Pid: pid, Comm: string(b[open+1 : close]), State: f[0][0]}
	p.PPid, _ = strconv.Atoi(f[1])
	p.Pgid, _ = strconv.Atoi(f[2])
	for i, v := range []*int64{&p.Utime, &p.Stime, &p.Cutime, &p.Cstime} {
		*v, _ = strconv.ParseInt(f[11+i], 10, 64)
	}
	p.RSS, _ = strconv.ParseInt(f[21], 10, 64)
	return p, true
}

// Procs lists every process visible in /proc.
func Procs() []Proc { return ProcsIn("/proc") }

// ProcsIn lists every process of a proc file system mounted at root (a
// PID namespace's own /proc, for instance).
func ProcsIn(root string) []Proc {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(root, pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	p, ok := ReadProc(pid)
	return ok && !p.Zombie()
}

// Descendants lists the processes below pid (children, grandchildren …),
// zombies included.
func Descendants(pid int) []Proc {
	all := Procs()
	kids := map[int][]Proc{}
	for _, p := range all {
		kids[p.PPid] = append(kids[p.PPid], p)
	}
	var out []Proc
	queue := []int{pid}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, c := range kids[n] {
			out = append(out, c)
			queue = append(queue, c.Pid)
		}
	}
	return out
}

// HasEnv reports whether pid's environment holds the entry kv ("K=V").
// Zombies and processes of other users have no readable environment.
func HasEnv(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(b, []byte{0}) {
		if string(e) == kv {
			return true
		}
	}
	return false
}

// WithEnv lists the live processes whose environment holds kv: a test run
// exports a unique entry, and every process it starts, directly or through
// a daemon, inherits it.
func WithEnv(kv string) []Proc {
	var out []Proc
	self := os.Getpid()
	for _, p := range Procs() {
		if p.Pid != self && !p.Zombie() && HasEnv(p.Pid, kv) {
			out = append(out, p)
		}
	}
	return out
}
