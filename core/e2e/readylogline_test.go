package e2e

import (
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// ready_log_line on the real daemon: db is STARTING until a line of its
// output (here its stderr, the line written in two pieces) matches, and
// web (depends_on=db) waits for that as for RUNNING; a program whose line
// never comes fails its start when startsecs pass (BACKOFF, then FATAL);
// one that prints its line and exits at once was ready (EXITED).
func TestReadyLogLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := testbin.BaseConf(dir) + `
[program:db]
command=sh -c 'echo "starting up"; echo "waiting for data: ready to accept connections? no"; read x; printf "ready to accept " >&2; read y; echo "connections on port 5432" >&2; exec sleep 300'
ready_log_line=^ready to accept connections on port \d+$
startsecs=60

[program:web]
command=sleep 300
startsecs=0
depends_on=db

[program:silent]
command=sleep 300
ready_log_line=never printed
startsecs=1
startretries=0

[program:quick]
command=sh -c 'echo ready; exit 0'
ready_log_line=^ready$
startsecs=30
autorestart=false
`
	d := testbin.StartConf(t, false, dir, conf)
	d.WaitState(t, "db", "STARTING", 10*time.Second)
	d.Call(t, "supervisor.sendProcessStdin", "db", "go\n")
	waitFor(t, 10*time.Second, "db's first piece of the line", func() bool {
		b := d.Call(t, "supervisor.readProcessStderrLog", "db", 0, 0).(string)
		return b == "ready to accept "
	})
	for _, name := range []string{"db", "web"} { // not a line yet: still waiting
		if st, want := d.StateOf(t, name), map[string]string{"db": "STARTING", "web": "STOPPED"}[name]; st != want {
			t.Fatalf("%s is %s before db's line, want %s", name, st, want)
		}
	}
	d.Call(t, "supervisor.sendProcessStdin", "db", "go\n")
	d.WaitState(t, "db", "RUNNING", 10*time.Second)
	waitLog(t, d, `^success: db entered RUNNING state, a line of its output matched ready_log_line$`, 1, 5*time.Second)
	d.WaitState(t, "web", "RUNNING", 10*time.Second)
	entries := parseLog(d.Log())
	ready, webStart := find(entries, `^success: db entered RUNNING`), find(entries, `^spawned: 'web'`)
	if len(ready) != 1 || len(webStart) != 1 || webStart[0].At.Before(ready[0].At) {
		t.Errorf("web was spawned before db was ready:\n%s", d.Log())
	}

	d.WaitState(t, "silent", "FATAL", 20*time.Second)
	waitLog(t, d, `^silent printed no line matching ready_log_line within 1 seconds \(startsecs\); stopping it$`, 1, 5*time.Second)
	if info := infoOf(t, d, "silent"); !strings.HasPrefix(info["description"].(string), "no line matching ready_log_line within 1 seconds") {
		t.Errorf("silent's description: %q", info["description"])
	}

	d.WaitState(t, "quick", "EXITED", 20*time.Second)
	waitLog(t, d, `^success: quick entered RUNNING state, a line of its output matched ready_log_line$`, 1, 5*time.Second)
}
