package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/testbin"
)

// POST …/rotate: a process's, a group's, and every log rotated now;
// the answer has an outcome per process (and the activity log's for all);
// an unknown name is BAD_NAME.
func TestAPIRotateLogs(t *testing.T) {
	t.Parallel()
	d := startAPI(t, "[program:talk]\ncommand=sh -c 'echo hello; exec sleep 1000'\nstartsecs=0\n\n"+
		"[program:quiet]\ncommand=sleep 1000\nstdout_logfile=NONE\nstderr_logfile=NONE\nstartsecs=0\n")
	d.WaitState(t, "talk", "RUNNING", 10*time.Second)
	log := d.Call(t, "supervisor.getProcessInfo", "talk").(map[string]any)["stdout_logfile"].(string)
	if err := testbin.Poll(10*time.Second, func() bool { b, _ := os.ReadFile(log); return string(b) == "hello\n" }); err != nil {
		t.Fatalf("talk's log: %v", err)
	}
	r := d.call(t, "POST", "/api/v1/processes/talk/rotate", map[string]any{})
	if r.Status != 200 || len(asSlice(r.field("results"))) != 1 {
		t.Fatalf("rotate talk: %d %s", r.Status, r.Raw)
	}
	if res := asSlice(r.field("results"))[0].(map[string]any); res["name"] != "talk" || res["status"] != "SUCCESS" {
		t.Fatalf("rotate talk: %s", r.Raw)
	}
	if b, _ := os.ReadFile(log + ".1"); string(b) != "hello\n" {
		t.Fatalf("%s.1 = %q", log, b)
	}
	if b, err := os.ReadFile(log); err != nil || len(b) != 0 {
		t.Fatalf("the live log after the rotation: %q, %v", b, err)
	}

	r = d.call(t, "POST", "/api/v1/groups/quiet/rotate", map[string]any{})
	if res := asSlice(r.field("results")); r.Status != 200 || len(res) != 1 || res[0].(map[string]any)["status"] != "NO_FILE" {
		t.Fatalf("rotate quiet's group (no log files): %d %s", r.Status, r.Raw)
	}

	r = d.call(t, "POST", "/api/v1/all/rotate", map[string]any{})
	var names []string
	for _, x := range asSlice(r.field("results")) {
		m := x.(map[string]any)
		names = append(names, m["group"].(string)+"/"+m["name"].(string)+"="+m["status"].(string))
	}
	if r.Status != 200 || strings.Join(names, " ") != "quiet/quiet=NO_FILE talk/talk=SUCCESS /supervisord=SUCCESS" {
		t.Fatalf("rotate all: %d %v %s", r.Status, names, r.Raw)
	}
	if _, err := os.Stat(filepath.Join(d.Dir, "supervisord.log.1")); err != nil {
		t.Fatalf("the activity log was not rotated: %v", err)
	}

	if r := d.call(t, "POST", "/api/v1/processes/nope/rotate", map[string]any{}); r.Status != 404 || r.errName() != "BAD_NAME" {
		t.Fatalf("rotate nope: %d %s", r.Status, r.Raw)
	}
}
