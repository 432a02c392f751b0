package supervisor

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

const python = "/usr/bin/python3"

// listenerScript is the example listener shipped in examples/.
func listenerScript(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is not installed: listener tests need it", python)
	}
	p, err := filepath.Abs("../../examples/listener.py")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listenerGroup is an [eventlistener:name] pool of numprocs processes
// running command (%d in it becomes the process number).
func listenerGroup(name string, numprocs int, events []string, bufsize int, command string) *config.GroupConfig {
	g := &config.GroupConfig{Name: name, Kind: config.KindEventListener, Priority: -1,
		Events: events, BufferSize: bufsize, ResultHandler: "supervisor.dispatchers:default_handler"}
	for i := range numprocs {
		pname := name
		cmd := command
		if numprocs > 1 {
			pname = fmt.Sprintf("%s_%d", name, i)
			cmd = strings.ReplaceAll(command, "%d", fmt.Sprint(i))
		}
		p := prog(pname, cmd, func(c *config.ProcessConfig) {
			c.Group = name
			c.Section = "eventlistener:" + name
			c.IsEventListener = true
			c.Startsecs = 0
			c.Autorestart = config.RestartAlways
		})
		g.Processes = append(g.Processes, p)
	}
	return g
}

// record is one event as the example listener writes it.
type record struct{ header, payload string }

var headerRE = regexp.MustCompile(`^ver:3\.0 server:(\S+) serial:(\d+) pool:(\S+) poolserial:(\d+) eventname:(\S+) len:(\d+)$`)

// readRecords parses the example listener's --out file.
func readRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []record
	for _, chunk := range strings.SplitAfter(string(b), "\n--\n") {
		if chunk == "" {
			continue
		}
		chunk = strings.TrimSuffix(chunk, "\n--\n")
		header, payload, _ := strings.Cut(chunk, "\n")
		m := headerRE.FindStringSubmatch(header)
		if m == nil {
			t.Fatalf("bad header %q", header)
		}
		if want := fmt.Sprint(len([]rune(payload))); m[6] != want {
			t.Errorf("header %q: len is not the payload's length %s", header, want)
		}
		out = append(out, record{header, payload})
	}
	return out
}

func field(r record, name string) string {
	for _, f := range strings.Fields(r.header) {
		if v, ok := strings.CutPrefix(f, name+":"); ok {
			return v
		}
	}
	return ""
}

func waitRecords(t *testing.T, path string, n int, d time.Duration) []record {
	t.Helper()
	var recs []record
	waitFor(t, fmt.Sprintf("%d events in %s", n, filepath.Base(path)), d, func() bool {
		recs = readRecords(t, path)
		return len(recs) >= n
	})
	return recs
}

func TestListenerFailIsRequeued(t *testing.T) {
	script := listenerScript(t)
	out := filepath.Join(t.TempDir(), "events.txt")
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	cfg.Groups = []*config.GroupConfig{listenerGroup("rec", 1, []string{"REMOTE_COMMUNICATION"}, 10,
		python+" "+script+" --fail 1 --out "+out)}
	s, log := start(t, cfg)
	waitState(t, s, "rec", process.Running, 5*time.Second)
	s.SendRemoteCommEvent("kind", "hello")
	recs := waitRecords(t, out, 2, 5*time.Second)
	if recs[0] != recs[1] {
		t.Errorf("redelivery differs:\n%v\n%v", recs[0], recs[1])
	}
	if field(recs[0], "eventname") != "REMOTE_COMMUNICATION" || recs[0].payload != "type:kind\nhello" {
		t.Errorf("got %+v", recs[0])
	}
	log.waitLine(t, "WARN rec: event was rejected", time.Second)
	log.waitLine(t, "DEBG rec: event was processed", time.Second)
}

func TestListenerCrashMidEventIsRequeued(t *testing.T) {
	script := listenerScript(t)
	out := filepath.Join(t.TempDir(), "events.txt")
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	// The first child exits on its first event; the restarted one (a
	// new process, counting afresh) would crash on it too, so crash
	// only while a marker file is absent.
	marker := filepath.Join(t.TempDir(), "crashed")
	cmd := fmt.Sprintf(`sh -c 'if [ -e %[1]s ]; then exec %[2]s %[3]s --out %[4]s; else touch %[1]s; exec %[2]s %[3]s --crash 1; fi'`,
		marker, python, script, out)
	cfg.Groups = []*config.GroupConfig{listenerGroup("rec", 1, []string{"REMOTE_COMMUNICATION"}, 10, cmd)}
	s, log := start(t, cfg)
	waitState(t, s, "rec", process.Running, 5*time.Second)
	s.SendRemoteCommEvent("kind", "survives a crash")
	recs := waitRecords(t, out, 1, 10*time.Second)
	if recs[0].payload != "type:kind\nsurvives a crash" || field(recs[0], "serial") != "0" || field(recs[0], "poolserial") != "0" {
		t.Errorf("got %+v", recs[0])
	}
	if n := log.count("DEBG event 0 sent to listener rec"); n != 2 {
		t.Errorf("event 0 sent %d times, want 2", n)
	}
}

func TestListenerBufferOverflow(t *testing.T) {
	script := listenerScript(t)
	out := filepath.Join(t.TempDir(), "events.txt")
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	g := listenerGroup("rec", 1, []string{"REMOTE_COMMUNICATION"}, 2, python+" "+script+" --out "+out)
	g.Processes[0].Autostart = false
	cfg.Groups = []*config.GroupConfig{g}
	s, log := start(t, cfg)
	for i := range 5 {
		s.SendRemoteCommEvent("n", fmt.Sprint(i))
	}
	for i := range 3 {
		log.waitLine(t, fmt.Sprintf("ERRO pool rec event buffer overflowed, discarding event %d", i), time.Second)
	}
	if err := s.StartProcess(t.Context(), "rec", false); err != nil {
		t.Fatal(err)
	}
	recs := waitRecords(t, out, 2, 5*time.Second)
	if recs[0].payload != "type:n\n3" || recs[1].payload != "type:n\n4" {
		t.Errorf("kept %q and %q, want the two newest", recs[0].payload, recs[1].payload)
	}
}

func TestListenerPoolSpreadsEvents(t *testing.T) {
	script := listenerScript(t)
	dir := t.TempDir()
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	cfg.Groups = []*config.GroupConfig{listenerGroup("pool", 3, []string{"REMOTE_COMMUNICATION"}, 10,
		python+" "+script+" --delay 0.5 --out "+dir+"/%d.txt")}
	s, _ := start(t, cfg)
	for i := range 3 {
		waitState(t, s, fmt.Sprintf("pool:pool_%d", i), process.Running, 5*time.Second)
	}
	g := s.groupPool(t, "pool")
	waitFor(t, "3 READY listeners", 5*time.Second, func() bool {
		for i := range 3 {
			if g.Listener(fmt.Sprintf("pool_%d", i)).State().String() != "READY" {
				return false
			}
		}
		return true
	})
	for i := range 3 {
		s.SendRemoteCommEvent("n", fmt.Sprint(i))
	}
	seen := map[string]bool{}
	for i := range 3 {
		recs := waitRecords(t, fmt.Sprintf("%s/%d.txt", dir, i), 1, 5*time.Second)
		if len(recs) != 1 {
			t.Errorf("pool_%d got %d events, want 1", i, len(recs))
		}
		seen[recs[0].payload] = true
		if field(recs[0], "pool") != "pool" {
			t.Errorf("header %q", recs[0].header)
		}
	}
	if len(seen) != 3 {
		t.Errorf("events seen: %v", seen)
	}
}

// A listener written against 4.2's own supervisor.childutils works as is.
func TestChildutilsListener(t *testing.T) {
	listenerScript(t)
	if err := exec.Command(python, "-c", "import supervisor.childutils").Run(); err != nil {
		t.Skipf("the oracle's supervisor module is not importable by %s: %v", python, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "events.txt")
	script := filepath.Join(dir, "cu.py")
	os.WriteFile(script, []byte(`import sys
from supervisor import childutils
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    with open(sys.argv[1], "a") as f:
        f.write(headers["eventname"] + " " + headers["pool"] + "\n" + payload + "\n--\n")
    childutils.listener.ok(sys.stdout)
`), 0o644)
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	cfg.Groups = []*config.GroupConfig{listenerGroup("cu", 1, []string{"REMOTE_COMMUNICATION", "PROCESS_GROUP"}, 10,
		python+" "+script+" "+out)}
	s, _ := start(t, cfg)
	waitState(t, s, "cu", process.Running, 5*time.Second)
	s.SendRemoteCommEvent("caf\u00e9", "d\u00e9j\u00e0 vu")
	want := "PROCESS_GROUP_ADDED cu\ngroupname:cu\n\n--\nREMOTE_COMMUNICATION cu\ntype:caf\u00e9\nd\u00e9j\u00e0 vu\n--\n"
	waitFor(t, "both events", 5*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == want
	})
}

// groupPool returns the listener pool of a group (test access).
func (s *Supervisor) groupPool(t *testing.T, name string) interface {
	Listener(string) interface{ State() fmt.Stringer }
} {
	t.Helper()
	var g *group
	s.do(t.Context(), func() { g = s.groups[name] })
	return poolView{g}
}

type poolView struct{ g *group }

func (v poolView) Listener(name string) interface{ State() fmt.Stringer } {
	return listenerView{v.g, name}
}

type listenerView struct {
	g    *group
	name string
}

func (v listenerView) State() fmt.Stringer { return v.g.pool.Listener(v.name).State() }

// fcgiGroup is a [fcgi-program:name] pool of 3 processes that each accept
// one connection on fd 0, answer with their name and wait.
func fcgiGroup(t *testing.T, url string, mode int) *config.GroupConfig {
	listenerScript(t)
	g := &config.GroupConfig{Name: "fc", Kind: config.KindFCGI, Priority: 999,
		Socket: &config.FCGISocket{URL: url, OwnerUID: -1, OwnerGID: -1, Mode: mode}}
	code := `import os, socket, time
s = socket.socket(fileno=0)
c, _ = s.accept()
c.sendall(os.environ["SUPERVISOR_PROCESS_NAME"].encode())
c.close()
time.sleep(100)`
	for i := range 3 {
		p := prog(fmt.Sprintf("fc_%d", i), python+" -c '"+code+"'", func(c *config.ProcessConfig) {
			c.Group = "fc"
			c.Section = "fcgi-program:fc"
			c.Startsecs = 0
		})
		g.Processes = append(g.Processes, p)
	}
	return g
}

func askFCGI(t *testing.T, network, addr string) string {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && b == "" {
		t.Fatalf("read: %v", err)
	}
	return b
}

func testFCGIPool(t *testing.T, cfg *config.Config, network, addr string) (*Supervisor, *memLog) {
	s, log := start(t, cfg)
	for i := range 3 {
		waitState(t, s, fmt.Sprintf("fc:fc_%d", i), process.Running, 5*time.Second)
	}
	var names []string
	for range 3 {
		names = append(names, askFCGI(t, network, addr))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "fc_0 fc_1 fc_2" {
		t.Errorf("answers %v: each process should accept once on fd 0", names)
	}
	if _, err := s.StopGroup(t.Context(), "fc", true); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout(network, addr, time.Second); err == nil {
		c.Close()
		t.Error("socket still accepts connections with every process stopped")
	}
	return s, log
}

func TestFCGISocketTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "tcp://" + addr
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	cfg.Groups = []*config.GroupConfig{fcgiGroup(t, url, 0)}
	s, log := testFCGIPool(t, cfg, "tcp", addr)
	log.waitLine(t, "INFO Creating socket "+url, time.Second)
	log.waitLine(t, "INFO Closing socket "+url, time.Second)
	if err := s.RemoveGroup("fc"); err != nil {
		t.Fatal(err)
	}
}

func TestFCGISocketUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fc.sock")
	cfg := &config.Config{}
	cfg.Supervisord.Identifier = "supervisor"
	cfg.Groups = []*config.GroupConfig{fcgiGroup(t, "unix://"+path, 0o660)}
	s, _ := start(t, cfg)
	waitState(t, s, "fc:fc_0", process.Running, 5*time.Second)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o660 {
		t.Errorf("socket file mode %v, want a socket with 0660", st.Mode())
	}
	s.Shutdown()
	<-s.Done()

	s2, _ := testFCGIPool(t, cfg, "unix", path)
	if err := s2.RemoveGroup("fc"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file still there after the group was removed: %v", err)
	}
}
