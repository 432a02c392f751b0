package web

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"super/core/process"
	"super/core/supervisor"
)

// fakeBackend is a Backend whose processes change state when told to and
// whose logs are real files, so pages and streams can be checked end to end.
type fakeBackend struct {
	mu      sync.Mutex
	procs   []*fakeProc
	mainLog string
	calls   []string
	down    bool // supervisord is shutting down: Stats fails
}

type fakeProc struct {
	group, name    string
	state          process.State
	stdout, stderr string
	startErr       error

	// What Stats reports beyond the state.
	health    supervisor.Health
	start     time.Time
	starts    int
	exits     int
	lastExit  int
	autostart bool
}

func newFake(t *testing.T) *fakeBackend {
	dir := t.TempDir()
	f := &fakeBackend{mainLog: filepath.Join(dir, "supervisord.log")}
	writeFile(t, f.mainLog, "2026-01-01 00:00:00,000 INFO supervisord started with pid 1\n")
	return f
}

// add registers a process with its stdout log (created with content, or
// absent when content is "-") and an empty stderr log.
func (f *fakeBackend) add(t *testing.T, group, name string, state process.State, content string) *fakeProc {
	dir := t.TempDir()
	p := &fakeProc{group: group, name: name, state: state,
		stdout: filepath.Join(dir, "out.log"), stderr: filepath.Join(dir, "err.log")}
	if content != "-" {
		writeFile(t, p.stdout, content)
	}
	writeFile(t, p.stderr, "")
	f.mu.Lock()
	f.procs = append(f.procs, p)
	// Ordered by group and name, as getAllProcessInfo is.
	slices.SortFunc(f.procs, func(a, b *fakeProc) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.name, b.name))
	})
	f.mu.Unlock()
	return p
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeBackend) lookup(spec string) (*fakeProc, error) {
	g, n := supervisor.SplitNamespec(spec)
	for _, p := range f.procs {
		if p.group == g && p.name == n {
			return p, nil
		}
	}
	return nil, &Fault{Code: int(supervisor.BadName), Text: "BAD_NAME: " + spec}
}

func (f *fakeBackend) record(call string) {
	f.calls = append(f.calls, call)
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Processes() ([]supervisor.ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []supervisor.ProcessInfo
	for _, p := range f.procs {
		desc := "Not started"
		if p.state == process.Running {
			desc = "pid 42, uptime 0:00:01"
		}
		out = append(out, supervisor.ProcessInfo{
			Name: p.name, Group: p.group, State: p.state, StateName: p.state.String(),
			Description: desc, StdoutLogfile: p.stdout, StderrLogfile: p.stderr,
		})
	}
	return out, nil
}

func (f *fakeBackend) StartProcess(_ context.Context, spec string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start " + spec)
	p, err := f.lookup(spec)
	if err != nil {
		return err
	}
	if p.startErr != nil {
		return p.startErr
	}
	if p.state == process.Running {
		return &Fault{Code: int(supervisor.AlreadyStarted), Text: "ALREADY_STARTED: " + spec}
	}
	p.state = process.Running
	return nil
}

func (f *fakeBackend) StopProcess(_ context.Context, spec string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stop " + spec)
	p, err := f.lookup(spec)
	if err != nil {
		return err
	}
	if p.state != process.Running {
		return &Fault{Code: int(supervisor.NotRunning), Text: "NOT_RUNNING: " + spec}
	}
	p.state = process.Stopped
	return nil
}

func (f *fakeBackend) StartAll(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("startall")
	for _, p := range f.procs {
		p.state = process.Running
	}
	return nil
}

func (f *fakeBackend) StopAll(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stopall")
	for _, p := range f.procs {
		p.state = process.Stopped
	}
	return nil
}

func (f *fakeBackend) ClearProcessLogs(spec string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("clearlog " + spec)
	p, err := f.lookup(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(p.stdout, nil, 0o644)
}

func (f *fakeBackend) LogFile(spec, channel string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.lookup(spec)
	if err != nil {
		return "", err
	}
	switch channel {
	case "stdout":
		return p.stdout, nil
	case "stderr":
		return p.stderr, nil
	}
	return "", nil
}

func (f *fakeBackend) MainLogFile() string { return f.mainLog }

func (f *fakeBackend) Stats() ([]supervisor.ProcessStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, &Fault{Code: int(supervisor.ShutdownState), Text: "SHUTDOWN_STATE"}
	}
	var out []supervisor.ProcessStats
	for _, p := range f.procs {
		out = append(out, supervisor.ProcessStats{Name: p.name, Group: p.group, State: p.state, Start: p.start,
			Starts: p.starts, Exits: p.exits, LastExitStatus: p.lastExit, Health: p.health})
	}
	return out, nil
}

func (f *fakeBackend) Autostarts() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	auto := map[string]bool{}
	for _, p := range f.procs {
		if p.autostart {
			auto[supervisor.Namespec(p.group, p.name)] = true
		}
	}
	return auto
}
