package procstat

import (
	"os"
	"os/exec"
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
