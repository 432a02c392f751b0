package cgroup

import (
	"path/filepath"
	"syscall"
)

// Reading figures: the files are small, read with one read(2) into the
// caller's buffer, and scanned without allocating, so sampling a thousand
// programs costs a few thousand system calls and nothing for the GC.

// readInto reads a whole small file into buf; nil on error.
func readInto(path string, buf []byte) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			break
		}
		n += m
	}
	return buf[:n]
}

// field finds "key value" at the start of a line of b.
func field(b []byte, key string) (int64, bool) {
	for i := 0; i < len(b); {
		end := i
		for end < len(b) && b[end] != '\n' {
			end++
		}
		line := b[i:end]
		if len(line) > len(key) && string(line[:len(key)]) == key && line[len(key)] == ' ' {
			return number(line[len(key)+1:])
		}
		i = end + 1
	}
	return 0, false
}

// number parses a decimal at the start of b (spaces skipped).
func number(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	var n int64
	start := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	return n, i > start
}

// Usage is a group's CPU time and resident memory.
type Usage struct {
	CPUNanos  int64 // user+system CPU time of every process that ran in it
	Memory    int64 // resident memory in bytes: anonymous plus mapped files
	Processes int   // processes in it (as many as fit in the caller's buffer)
	Pids      []int // the processes, when HasMemory is false: their memory is read from /proc
	HasCPU    bool
	HasMemory bool
}

// Usage reads the group's figures; buf (4 KiB or more) is scratch space
// the caller may reuse across calls. Figures the hierarchies here do not
// keep are left out (Has* false): the caller then takes them from /proc.
func (g *Group) Usage(buf []byte) Usage {
	var u Usage
	t := g.tree
	procs := readInto(filepath.Join(g.membersDir(), "cgroup.procs"), buf)
	for _, c := range procs {
		if c == '\n' {
			u.Processes++
		}
	}
	// Only v2's memory.stat is exact when read (reading it flushes the
	// per-CPU counters); v1 batches charges per CPU, so a small program
	// reads as 0 for a while. There, the members' resident sets are
	// summed from /proc instead (the caller does it).
	if !t.v2[Memory] {
		u.Pids = make([]int, 0, u.Processes)
		for i := 0; i < len(procs); {
			n, ok := number(procs[i:])
			if ok {
				u.Pids = append(u.Pids, int(n))
			}
			for i < len(procs) && procs[i] != '\n' {
				i++
			}
			i++
		}
	}
	if d, ok := g.dir(""); ok {
		if b := readInto(filepath.Join(d, "cpu.stat"), buf); b != nil {
			if v, ok := field(b, "usage_usec"); ok {
				u.CPUNanos, u.HasCPU = v*1000, true
			}
		}
	}
	if !u.HasCPU {
		if d, ok := g.dir(CPUAcct); ok {
			if b := readInto(filepath.Join(d, "cpuacct.usage"), buf); b != nil {
				u.CPUNanos, u.HasCPU = number(b)
			}
		}
	}
	if d, ok := g.dir(Memory); ok && t.v2[Memory] {
		if b := readInto(filepath.Join(d, "memory.stat"), buf); b != nil {
			var anon, mapped int64
			var ok1, ok2 bool
			anon, ok1 = field(b, "anon")
			mapped, ok2 = field(b, "file_mapped")
			if ok1 && ok2 {
				u.Memory, u.HasMemory = anon+mapped, true
			}
		}
	}
	return u
}
