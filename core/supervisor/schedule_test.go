package supervisor

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"super/core/config"
	"super/core/process"
)

func schedule(spec string) func(*config.ProcessConfig) {
	return func(c *config.ProcessConfig) { c.Schedule = spec }
}

// scheduledWorld is a fake world whose schedules read its clock.
func scheduledWorld(t *testing.T, procs ...*config.ProcessConfig) *fakeWorld {
	w := newFakeWorld(t, cfgOf(procs...))
	w.s.sched.clock = func() time.Time { return w.now }
	return w
}

// The ticks of "@every 10s" from a clock at a whole 10 s: each starts the
// job when it is not running, is skipped (and logged) when it is, and is
// the loop's next deadline meanwhile.
func TestScheduleTicks(t *testing.T) {
	w := scheduledWorld(t, prog("job", "sleep 1", schedule("@every 10s")))
	job := w.proc("job")
	w.pass()
	if st := job.State(); st != process.Stopped {
		t.Fatalf("job is %s before its first tick (autostart must be ignored)", st)
	}
	if d := w.s.nextDeadline(); !d.Equal(w.now.Add(10 * time.Second)) {
		t.Fatalf("next deadline +%v, want the first tick at +10s", d.Sub(w.now))
	}
	w.elapse(10 * time.Second)
	w.pass()
	if st := job.State(); st != process.Starting {
		t.Fatalf("job is %s after its tick, want STARTING", st)
	}
	w.elapse(2 * time.Second)
	w.pass() // RUNNING after startsecs
	w.elapse(8 * time.Second)
	w.pass() // the second tick finds it running
	if n := w.log.count("INFO skipped scheduled run of job: still RUNNING"); n != 1 {
		t.Errorf("%d skip lines, want 1:\n%s", n, strings.Join(w.log.snapshot(), "\n"))
	}
	w.exit("job", 0, 0)
	if st := job.State(); st != process.Exited {
		t.Fatalf("job is %s after its exit", st)
	}
	w.elapse(5 * time.Second)
	w.pass()
	if st := job.State(); st != process.Exited {
		t.Fatalf("job is %s between ticks: it was restarted", st)
	}
	w.elapse(5 * time.Second)
	w.pass()
	if st := job.State(); st != process.Starting {
		t.Fatalf("job is %s after the third tick, want STARTING", st)
	}
	if job.starts != 2 {
		t.Errorf("%d starts, want 2", job.starts)
	}
	info := w.s.info(job)
	if !strings.HasSuffix(info.Description, ", "+NextRunText(w.now.Add(10*time.Second))) {
		t.Errorf("description %q does not end with the next run", info.Description)
	}
}

// stop disables the schedule until start: an idle job goes STOPPED and no
// tick starts it; start runs it at once and the ticks resume.
func TestScheduleStopAndStart(t *testing.T) {
	w := scheduledWorld(t, prog("job", "sleep 1", schedule("@every 10s")))
	job := w.proc("job")
	w.pass() // the daemon's first pass: the schedule's first tick is 10 s away
	w.elapse(10 * time.Second)
	w.pass()
	w.exit("job", 0, 0)
	if !stoppable(job) {
		t.Fatal("stop all would leave a running schedule alone")
	}
	if _, err := w.s.stopOne("job", job, false); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if stoppable(job) {
		t.Error("stop all would stop a stopped schedule again")
	}
	if st := job.State(); st != process.Stopped {
		t.Fatalf("job is %s after stop, want STOPPED", st)
	}
	if w.log.count("INFO schedule of job stopped until it is started") != 1 {
		t.Errorf("log:\n%s", strings.Join(w.log.snapshot(), "\n"))
	}
	if d := w.s.nextDeadline(); !d.IsZero() {
		t.Errorf("a deadline (+%v) with the schedule stopped", d.Sub(w.now))
	}
	w.elapse(time.Hour)
	w.pass()
	if st := job.State(); st != process.Stopped || job.starts != 1 {
		t.Fatalf("job is %s with %d starts: a stopped schedule ran it", st, job.starts)
	}
	if _, err := w.s.stopOne("job", job, false); err == nil {
		t.Error("a second stop succeeded (it has nothing left to stop)")
	}
	if _, err := w.s.startOne("job", job, false); err != nil {
		t.Fatalf("start: %v", err)
	}
	if st := job.State(); st != process.Starting {
		t.Fatalf("job is %s after start", st)
	}
	w.exit("job", 0, 0)
	w.elapse(10 * time.Second)
	w.pass()
	if job.starts != 3 {
		t.Errorf("%d starts, want 3: the schedule did not resume", job.starts)
	}
	// A stop while it runs stops it and the schedule.
	if _, err := w.s.stopOne("job", job, false); err != nil || job.State() != process.Stopping {
		t.Fatalf("stop of a running job: %v, %s", err, job.State())
	}
	w.exit("job", 0, syscall.SIGTERM)
	w.elapse(time.Hour)
	w.pass()
	if st := job.State(); st != process.Stopped {
		t.Errorf("job is %s: the schedule went on after a stop", st)
	}
}

// A tick finding a dependency not ready skips the run and says why.
func TestScheduleWaitsForDependencies(t *testing.T) {
	w := scheduledWorld(t,
		prog("db", "sleep 1", func(c *config.ProcessConfig) { c.Autostart = false }),
		prog("report", "sleep 1", schedule("@every 10s"), dependsOn("db")))
	w.pass()
	w.elapse(10 * time.Second)
	w.pass()
	if st := w.proc("report").State(); st != process.Stopped {
		t.Fatalf("report is %s with db stopped", st)
	}
	if w.log.count("INFO skipped scheduled run of report: db is not ready") != 1 {
		t.Errorf("log:\n%s", strings.Join(w.log.snapshot(), "\n"))
	}
	w.running("db")
	w.elapse(10 * time.Second)
	w.pass()
	if st := w.proc("report").State(); st != process.Starting {
		t.Errorf("report is %s with db RUNNING", st)
	}
}

// exit_when_done waits while a schedule will start something; critical
// ends the daemon on a failed run, not on a good one.
func TestSchedulePolicies(t *testing.T) {
	w := scheduledWorld(t, prog("job", "sleep 1", schedule("@every 10s"), func(c *config.ProcessConfig) { c.Critical = true }))
	job := w.proc("job")
	w.pass()
	if w.s.allDone() {
		t.Error("all done with a schedule to come")
	}
	w.elapse(10 * time.Second)
	w.pass()
	w.exit("job", 0, 0)
	if criticalEnd(job) {
		t.Error("a run's expected exit ends a critical scheduled program")
	}
	w.elapse(10 * time.Second)
	w.pass()
	w.exit("job", 3, 0)
	if !criticalEnd(job) {
		t.Error("a failed run does not end a critical scheduled program")
	}
}
