package supervisor

import (
	"testing"
	"time"

	"super/core/process"
)

// A kept description is the one describe would make: it changes with the
// uptime's second, the pid, the state, the stop time and the spawn error,
// and costs no allocation while none of them changes.
func TestDescriptionKept(t *testing.T) {
	p := &proc{}
	info := ProcessInfo{Name: "web", State: process.Running, Pid: 42, Start: 1000, Now: 1062}
	check := func(what string) {
		t.Helper()
		if got, want := p.description(&info), describe(&info); got != want {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	check("running")
	if n := testing.AllocsPerRun(100, func() { p.description(&info) }); n != 0 {
		t.Errorf("the same description cost %v allocations", n)
	}
	info.Now++
	check("a second later")
	info.Pid, info.Start = 43, 1063
	check("restarted")
	info.State, info.Pid, info.Stop = process.Exited, 0, 1070
	check("exited")
	info.Stop = 1070 + int64(24*time.Hour/time.Second)
	check("exited a day later")
	info.State, info.SpawnErr = process.Backoff, "can't find command 'x'"
	check("backoff")
	info.SpawnErr = "Exited too quickly (process log may have details)"
	check("another spawn error")
	info.SpawnErr = ""
	check("no spawn error")
}
