package stress

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// long reports whether the long variants were asked for (make stress).
func long() bool { return os.Getenv("SUPER_STRESS") != "" }

// pick returns quick in `make test` and full under SUPER_STRESS.
func pick[T any](quick, full T) T {
	if long() {
		return full
	}
	return quick
}

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skipf("needs root: %s", why)
	}
}

// usage is the daemon's resource use as /proc shows it.
type usage struct {
	cpuTicks int64 // utime+stime, in clock ticks
	rssKiB   int64
	fds      int
}

// clkTck is USER_HZ; 100 on every Linux architecture Go supports.
const clkTck = 100

func readUsage(pid int) (usage, error) {
	var u usage
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	// Fields after the comm: state is [0], utime [11], stime [12].
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u.cpuTicks = ut + st
	sf, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	defer sf.Close()
	sc := bufio.NewScanner(sf)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			u.rssKiB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	u.fds = len(ents)
	return u, nil
}

// daemon is a supervisord started through a wrapper command (umask,
// ulimit, unshare …) that ends by exec'ing it, so the pid is the daemon's.
type daemon struct {
	dir, conf, sock string
	cmd             *exec.Cmd
	out             *testbin.SyncBuffer
	waited          chan struct{}
}

// startWrapped writes conf to dir/supervisord.conf and runs
// `sh -c "PREFIX; exec supervisord -n -c CONF"` (or wrapper + sh when
// wrapper is not empty), waiting until dir/s.sock answers.
func startWrapped(t *testing.T, dir, conf string, wrapper []string, prefix string) *daemon {
	t.Helper()
	d := &daemon{dir: dir, conf: filepath.Join(dir, "supervisord.conf"), sock: filepath.Join(dir, "s.sock"),
		out: &testbin.SyncBuffer{}, waited: make(chan struct{})}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `exec "$0" -n -c "$1"`
	if prefix != "" {
		script = prefix + " && " + script
	}
	args := append(append([]string(nil), wrapper...), "sh", "-c", script, testbin.Path(t, "supervisord"), d.conf)
	d.cmd = exec.Command(args[0], args[1:]...)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.waited) }()
	t.Cleanup(d.stop)
	if err := testbin.Poll(15*time.Second, func() bool {
		c, err := net.Dial("unix", d.sock)
		if err == nil {
			c.Close()
		}
		return err == nil || d.exited()
	}); err != nil || d.exited() {
		t.Fatalf("supervisord did not answer on %s: %v\n%s", d.sock, err, d.out)
	}
	return d
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

func (d *daemon) exited() bool {
	select {
	case <-d.waited:
		return true
	default:
		return false
	}
}

func (d *daemon) stop() {
	if d.exited() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.waited:
	case <-time.After(20 * time.Second):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.waited
	}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
	return string(b)
}

func (d *daemon) call(t testing.TB, method string, params ...any) any {
	t.Helper()
	return call(t, "unix://"+d.sock, method, params...)
}

// call makes one XML-RPC call on a fresh client and fails the test on an
// error.
func call(t testing.TB, url, method string, params ...any) any {
	t.Helper()
	c, err := xmlrpc.NewClient(url, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := c.Call(ctx, method, params...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

// states counts the processes per state name.
func states(t testing.TB, url string) map[string]int {
	t.Helper()
	out := map[string]int{}
	infos, _ := call(t, url, "supervisor.getAllProcessInfo").([]any)
	for _, i := range infos {
		m, _ := i.(map[string]any)
		s, _ := m["statename"].(string)
		out[s]++
	}
	return out
}

// latencies summarises call durations.
type latencies []time.Duration

func (l latencies) String() string {
	if len(l) == 0 {
		return "no calls"
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[int(float64(len(s)-1)*p)] }
	return fmt.Sprintf("%d calls, p50 %v, p99 %v, max %v", len(s), q(0.5), q(0.99), s[len(s)-1])
}

func (l latencies) max() time.Duration {
	var m time.Duration
	for _, d := range l {
		m = max(m, d)
	}
	return m
}

// count returns how many lines of text match the prefix after the
// activity log's "date time LEVEL " head.
func countLines(text, msgPrefix string) int {
	n := 0
	for _, line := range strings.Split(text, "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) == 4 && strings.HasPrefix(f[3], msgPrefix) {
			n++
		}
	}
	return n
}
