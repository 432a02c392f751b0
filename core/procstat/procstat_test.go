package procstat

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	line := []byte("1234 (a (weird) name) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000000 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n")
	st, ok := Parse(line)
	if !ok || st.PPid != 77 || st.Ticks != 250+50+7+3 || st.RSS != 321 {
		t.Fatalf("Parse = %+v %v", st, ok)
	}
	for _, bad := range []string{"", "1234 no parens 1 2 3", "1234 (x) S 77 1 1"} {
		if st, ok := Parse([]byte(bad)); ok {
			t.Errorf("Parse(%q) = %+v, want not ok", bad, st)
		}
	}
}

// The live /proc: a child's parent is this process, and this process has
// resident memory.
func TestReadLive(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	if ppid, ok := Parent(c.Process.Pid); !ok || ppid != os.Getpid() {
		t.Errorf("Parent(child) = %d %v, want %d", ppid, ok, os.Getpid())
	}
	st, ok := Read(os.Getpid(), make([]byte, BufSize))
	if !ok || st.PPid != os.Getppid() || st.RSS <= 0 {
		t.Errorf("Read(self) = %+v %v", st, ok)
	}
	if _, ok := Parent(1 << 30); ok {
		t.Error("Parent of no process is ok")
	}
}

// FuzzParse: a process's name (comm) is the program's to choose and may
// hold spaces and parentheses; whatever it is, the fields after it are
// read right, and no input makes the parser fail other than by saying so.
func FuzzParse(f *testing.F) {
	f.Add("sleep", int64(1), int64(2), int64(3))
	f.Add("a) (b", int64(0), int64(99), int64(12345))
	f.Add(") S 1 2 3", int64(7), int64(0), int64(1))
	f.Fuzz(func(t *testing.T, comm string, ppid, utime, rss int64) {
		Parse([]byte(comm)) // anything: no panic
		if ppid < 0 || utime < 0 || rss < 0 || len(comm) > 64 || strings.ContainsRune(comm, '\n') {
			return
		}
		line := "42 (" + comm + ") S " + strconv.FormatInt(ppid, 10) + " 42 42 0 -1 4194560 100 0 0 0 " +
			strconv.FormatInt(utime, 10) + " 0 0 0 20 0 1 0 100 1000000 " + strconv.FormatInt(rss, 10) + " 18446744073709551615 1 1\n"
		st, ok := Parse([]byte(line))
		if !ok || int64(st.PPid) != ppid || st.Ticks != utime || st.RSS != rss {
			t.Fatalf("Parse(%q) = %+v %v", line, st, ok)
		}
	})
}
