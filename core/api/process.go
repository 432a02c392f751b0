package api

import (
	"time"

	"super/core/process"
	"super/core/supervisor"
)

// Process is a process as the API shows it: getProcessInfo's fields
// (same names where 4.2 has them), super's counters and health, and
// figures that may be unknown (null). Add new fields in their own block,
// with a comment naming the feature: the event stream's "process" events
// carry the same object, and openapi.json's Process schema lists every
// field (a test checks both).
type Process struct {
	// 4.2's getProcessInfo.
	Name          string `json:"name"`
	Group         string `json:"group"`
	Namespec      string `json:"namespec"` // "name" or "group:name", what every other call takes
	State         string `json:"statename"`
	StateCode     int    `json:"state"`
	Description   string `json:"description"`
	Pid           int    `json:"pid"`
	Start         int64  `json:"start"` // unix seconds of the last start, 0 if never
	Stop          int64  `json:"stop"`  // unix seconds of the last stop, 0 if never
	Now           int64  `json:"now"`   // the daemon's clock when this was read
	ExitStatus    int    `json:"exitstatus"`
	SpawnErr      string `json:"spawnerr"`
	StdoutLogfile string `json:"stdout_logfile"`
	StderrLogfile string `json:"stderr_logfile"`

	// super's counters (super.getAllProcessStats).
	Uptime   int64 `json:"uptime"` // seconds since the start while RUNNING, else 0
	Starts   int   `json:"starts"`
	Restarts int   `json:"restarts"`
	Exits    int   `json:"exits"`

	// Health checks (healthcheck=): null without one.
	Health         *string `json:"health"` // "starting", "healthy", "unhealthy"
	HealthFailures int     `json:"health_failures"`
	HealthOutput   string  `json:"health_output"`

	// Resource figures of the process's tree (usage.go): null while it
	// does not run; cpu_percent needs two readings.
	CPUSeconds     *float64 `json:"cpu_seconds"`
	CPUPercent     *float64 `json:"cpu_percent"`
	MemoryBytes    *int64   `json:"memory_bytes"`
	MemoryMaxBytes *int64   `json:"memory_max_bytes"` // memory_max; null without one
	OOMKills       *int64   `json:"oom_kills"`        // null without a cgroup

	// Lifecycle policies: null while none is pending.
	RestartAt *int64 `json:"restart_at"` // unix seconds when a delayed automatic restart (restart_delay) is due
	NextStart *int64 `json:"next_start"` // unix seconds of the schedule's next run (schedule=)

	// Readiness notification (notify=, watchdog_secs=; sd_notify).
	NotifyStatus     *string `json:"notify_status"`     // the last STATUS= since the spawn; null without notify or watchdog_secs
	WatchdogTimeouts *int    `json:"watchdog_timeouts"` // null without watchdog_secs
}

// newProcess builds the object from the engine's two records of a process
// (st may be nil when the counters could not be had).
func newProcess(pi *supervisor.ProcessInfo, st *supervisor.ProcessStats) Process {
	p := Process{
		Name:          pi.Name,
		Group:         pi.Group,
		Namespec:      supervisor.Namespec(pi.Group, pi.Name),
		State:         pi.StateName,
		StateCode:     int(pi.State),
		Description:   pi.Description,
		Pid:           pi.Pid,
		Start:         pi.Start,
		Stop:          pi.Stop,
		Now:           pi.Now,
		ExitStatus:    pi.ExitStatus,
		SpawnErr:      pi.SpawnErr,
		StdoutLogfile: pi.StdoutLogfile,
		StderrLogfile: pi.StderrLogfile,
	}
	if pi.State == process.Running && pi.Start > 0 {
		p.Uptime = max(pi.Now-pi.Start, 0)
	}
	if st != nil {
		p.setStats(st)
	}
	return p
}

// setStats copies the counters and the health verdict.
func (p *Process) setStats(st *supervisor.ProcessStats) {
	p.Starts, p.Restarts, p.Exits = st.Starts, st.Restarts(), st.Exits
	p.Health, p.HealthFailures, p.HealthOutput = nil, 0, ""
	if st.Health != supervisor.HealthNone {
		h := st.Health.String()
		p.Health = &h
		p.HealthFailures, p.HealthOutput = st.HealthFailures, st.HealthOutput
	}
	p.NotifyStatus, p.WatchdogTimeouts = nil, nil
	if st.Notify || st.WatchdogSecs > 0 {
		status := st.NotifyStatus
		p.NotifyStatus = &status
	}
	if st.WatchdogSecs > 0 {
		n := st.WatchdogTimeouts
		p.WatchdogTimeouts = &n
	}
	p.MemoryMaxBytes, p.OOMKills = nil, nil
	if st.Resources != nil && st.Resources.MemoryMax > 0 {
		m := st.Resources.MemoryMax
		p.MemoryMaxBytes = &m
	}
	if st.Cgroup {
		n := st.OOMKills
		p.OOMKills = &n
	}
	p.RestartAt, p.NextStart = nil, nil
	if !st.RestartAt.IsZero() {
		at := st.RestartAt.Unix()
		p.RestartAt = &at
	}
	if !st.NextRun.IsZero() {
		next := st.NextRun.Unix()
		p.NextStart = &next
	}
}

// processes joins the engine's process list with its counters, by name:
// the two are read one after the other, and a group may come or go
// in between.
func (h *Handler) processes() ([]Process, error) {
	infos, err := h.eng.AllProcessInfo()
	if err != nil {
		return nil, err
	}
	stats, _ := h.eng.Stats(supervisor.WithUsage)
	now := time.Now()
	byName := make(map[string]*supervisor.ProcessStats, len(stats))
	for i := range stats {
		byName[supervisor.Namespec(stats[i].Group, stats[i].Name)] = &stats[i]
	}
	out := make([]Process, len(infos))
	for i := range infos {
		pi := &infos[i]
		st := byName[supervisor.Namespec(pi.Group, pi.Name)]
		out[i] = newProcess(pi, st)
		if st != nil {
			out[i].setUsage(h.meter, st, now)
		}
	}
	return out, nil
}

// oneProcess is one process by namespec; BAD_NAME for an unknown name or a
// whole group ("g:*"), as getProcessInfo.
func (h *Handler) oneProcess(spec string) (Process, error) {
	pi, err := h.eng.ProcessInfo(spec)
	if err != nil {
		return Process{}, err
	}
	stats, _ := h.eng.Stats(supervisor.WithUsage)
	for i := range stats {
		if stats[i].Group == pi.Group && stats[i].Name == pi.Name {
			p := newProcess(&pi, &stats[i])
			p.setUsage(h.meter, &stats[i], time.Now())
			return p, nil
		}
	}
	return newProcess(&pi, nil), nil
}
