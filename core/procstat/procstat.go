// Package procstat reads /proc/<pid>/stat: the daemon's one reader of
// that line, for the CPU and memory figures of a program's tree
// (core/usage) and a notify sender's ancestry (core/notify). It parses
// without allocating, so a pass over every process of the machine costs
// one read per process. A leaf.
package procstat

import (
	"strconv"
	"syscall"
)

// Stat is what super reads of a /proc/<pid>/stat line.
type Stat struct {
	PPid  int
	Ticks int64 // utime+stime+cutime+cstime: the process's and its reaped children's, in USER_HZ
	RSS   int64 // resident set, in pages
}

// ClockTicks is USER_HZ, the unit of Ticks: 100 on every Linux
// architecture Go supports.
const ClockTicks = 100

// BufSize is enough for any stat line (comm is at most 16 bytes, the 52
// numeric fields at most 20 digits each).
const BufSize = 2048

// Read reads pid's stat line into buf (at least BufSize bytes) and parses
// it; ok is false when the process does not exist (any more).
func Read(pid int, buf []byte) (st Stat, ok bool) {
	var path [32]byte
	p := strconv.AppendInt(append(path[:0], "/proc/"...), int64(pid), 10)
	return Parse(ReadFile(string(append(p, "/stat"...)), buf))
}

// Parent is pid's parent pid; ok is false when pid does not exist.
func Parent(pid int) (ppid int, ok bool) {
	var buf [BufSize]byte
	st, ok := Read(pid, buf[:])
	return st.PPid, ok
}

// ReadFile reads a small file of /proc into buf with one read, returning
// what was read (nil when it cannot be opened).
func ReadFile(path string, buf []byte) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	n, _ := syscall.Read(fd, buf)
	syscall.Close(fd)
	if n < 0 {
		n = 0
	}
	return buf[:n]
}

// Parse reads ppid, utime, stime, cutime, cstime and rss from a
// /proc/<pid>/stat line ("pid (comm) S ppid …"; comm may hold spaces and
// parentheses, so fields are counted from the last ')').
func Parse(b []byte) (st Stat, ok bool) {
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	if i < 0 {
		return Stat{}, false
	}
	// Fields after ')', 1-based: 1 state, 2 ppid, 12 utime, 13 stime,
	// 14 cutime, 15 cstime, 22 rss.
	field := 0
	var cur int64
	in := false
	for j := i + 1; j <= len(b); j++ {
		c := byte(' ')
		if j < len(b) {
			c = b[j]
		}
		if c == ' ' || c == '\n' {
			if in {
				switch field {
				case 2:
					st.PPid = int(cur)
				case 12, 13, 14, 15:
					st.Ticks += cur
				case 22:
					st.RSS = cur
					return st, true
				}
			}
			in, cur = false, 0
			continue
		}
		if !in {
			in = true
			field++
		}
		if c >= '0' && c <= '9' {
			cur = cur*10 + int64(c-'0')
		}
	}
	return Stat{}, false
}
