package web

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// TestExampleConfig runs the config `make run` uses (examples/, moved to a
// temp dir and a free port) and reads the pages a person opens first: the
// status page and the clock's tail.
func TestExampleConfig(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "examples", "supervisord.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(src)
	port := testbin.FreePort(t)
	for old, repl := range map[string]string{
		"port=127.0.0.1:9001": fmt.Sprintf("port=127.0.0.1:%d", port),
		// testbin waits for the unix socket under its own name.
		"supervisor.sock": "s.sock",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("examples/supervisord.conf has no %q any more", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	d := testbin.StartConf(t, false, t.TempDir(), conf)
	d.WaitState(t, "clock", "RUNNING", 10*time.Second)
	ld := &liveDaemon{Daemon: d, Base: fmt.Sprintf("http://127.0.0.1:%d", port)}

	resp, body := ld.do(t, "GET", "/", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/: %d", resp.StatusCode)
	}
	for _, row := range []string{`<tr data-name="clock">`, `<tr data-name="flaky">`, `<tr data-name="worker:worker_00">`, `<tr data-name="worker:worker_01">`} {
		if !strings.Contains(body, row) {
			t.Errorf("/ has no %s", row)
		}
	}
	// The clock prints the date every second.
	year := fmt.Sprint(time.Now().Year())
	var tail string
	if err := testbin.Poll(10*time.Second, func() bool {
		resp, body := ld.do(t, "GET", "/tail.html?processname=clock", "")
		tail = body
		return resp.StatusCode == 200 && strings.Contains(tailOf(t, body), year)
	}); err != nil {
		t.Fatalf("the clock's tail page shows no date: %v\n%s", err, tail)
	}
}
