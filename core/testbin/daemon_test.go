package testbin

import (
	"syscall"
	"testing"
	"time"
)

// The harness itself: our daemon starts, answers, runs a program and exits
// 0 on SIGTERM, taking the program with it.
func TestStartRunsProgramsAndStops(t *testing.T) {
	d := Start(t, false, "[program:sleeper]\ncommand=sleep 60\nstartsecs=0\n")
	d.WaitState(t, "sleeper", "RUNNING", 10*time.Second)
	if err := d.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, err := d.Wait(10 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
}
