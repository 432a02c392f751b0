package web

import (
	"context"

	"super/core/logging"
	"super/core/supervisor"
)

// Engine is the Backend of a running daemon: its supervisor and its
// activity log.
type Engine struct {
	Sup *supervisor.Supervisor
	Log *logging.Logger // nil: no /mainlogtail
}

var _ Backend = Engine{}

func (e Engine) Processes() ([]supervisor.ProcessInfo, error) { return e.Sup.AllProcessInfo() }

func (e Engine) StartProcess(ctx context.Context, namespec string) error {
	return e.Sup.StartProcess(ctx, namespec, true)
}

func (e Engine) StopProcess(ctx context.Context, namespec string) error {
	return e.Sup.StopProcess(ctx, namespec, true)
}

func (e Engine) StartAll(ctx context.Context) error {
	_, err := e.Sup.StartAll(ctx, true)
	return err
}

func (e Engine) StopAll(ctx context.Context) error {
	_, err := e.Sup.StopAll(ctx, true)
	return err
}

func (e Engine) ClearProcessLogs(namespec string) error { return e.Sup.ClearProcessLogs(namespec) }

func (e Engine) LogFile(namespec, channel string) (string, error) {
	info, err := e.Sup.ProcessInfo(namespec)
	if err != nil {
		return "", err
	}
	switch channel {
	case "stdout":
		return info.StdoutLogfile, nil
	case "stderr":
		return info.StderrLogfile, nil
	}
	return "", nil
}

func (e Engine) MainLogFile() string {
	if e.Log == nil {
		return ""
	}
	return e.Log.Path()
}

func (e Engine) Stats() ([]supervisor.ProcessStats, error) { return e.Sup.Stats() }

// StatsWithUsage is Stats with every process's CPU and memory figures
// (resources.go): read for a scrape or a status page, not for probes.
func (e Engine) StatsWithUsage() ([]supervisor.ProcessStats, error) {
	return e.Sup.Stats(supervisor.WithUsage)
}

// NotifyStats is the notify socket's counters (for /metrics).
func (e Engine) NotifyStats() (supervisor.NotifyStats, error) { return e.Sup.NotifyStats() }

func (e Engine) Autostarts() map[string]bool {
	auto := map[string]bool{}
	for _, gc := range e.Sup.Groups() {
		for _, pc := range gc.Processes {
			if pc.Autostart && pc.Schedule == "" { // a schedule starts it, not autostart
				auto[supervisor.Namespec(gc.Name, pc.Name)] = true
			}
		}
	}
	return auto
}
