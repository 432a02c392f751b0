package rpc

import (
	"context"
	"reflect"
	"sort"

	"super/core/config"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// Diff is 4.2's diff_to_active: the names of the groups of next that are
// not running (added), of those whose config differs from the running one
// (changed), and of the running groups next no longer has (removed).
// added and changed follow next's order, removed active's.
func Diff(active, next []*config.GroupConfig) (added, changed, removed []string) {
	cur := make(map[string]*config.GroupConfig, len(active))
	for _, g := range active {
		cur[g.Name] = g
	}
	inNext := make(map[string]bool, len(next))
	added, changed, removed = []string{}, []string{}, []string{}
	for _, g := range next {
		inNext[g.Name] = true
		old, ok := cur[g.Name]
		switch {
		case !ok:
			added = append(added, g.Name)
		case !SameGroup(old, g):
			changed = append(changed, g.Name)
		}
	}
	for _, g := range active {
		if !inNext[g.Name] {
			removed = append(removed, g.Name)
		}
	}
	return added, changed, removed
}

// kindClass groups the kinds 4.2 compares as one class: [program:x] and
// [group:x] are both ProcessGroupConfig.
func kindClass(k config.GroupKind) config.GroupKind {
	if k == config.KindGroup {
		return config.KindProgram
	}
	return k
}

// SameGroup is 4.2's group config equality: name, priority and every
// process's settings, plus the pool settings of listener and FastCGI
// groups. A log file set to AUTO on either side matches any path, since
// the running side has it resolved to a file name.
func SameGroup(a, b *config.GroupConfig) bool {
	if a.Name != b.Name || a.Priority != b.Priority || kindClass(a.Kind) != kindClass(b.Kind) {
		return false
	}
	if len(a.Processes) != len(b.Processes) {
		return false
	}
	for i := range a.Processes {
		if !sameProcess(a.Processes[i], b.Processes[i]) {
			return false
		}
	}
	switch a.Kind {
	case config.KindEventListener:
		return a.BufferSize == b.BufferSize && a.ResultHandler == b.ResultHandler &&
			reflect.DeepEqual(a.Events, b.Events)
	case config.KindFCGI:
		return reflect.DeepEqual(a.Socket, b.Socket)
	}
	return true
}

func sameProcess(a, b *config.ProcessConfig) bool {
	x, y := *a, *b
	for _, pair := range [][2]*string{{&x.Stdout.Logfile, &y.Stdout.Logfile}, {&x.Stderr.Logfile, &y.Stderr.Logfile}} {
		if *pair[0] == config.LogAuto || *pair[1] == config.LogAuto {
			*pair[0], *pair[1] = "", ""
		}
	}
	return reflect.DeepEqual(x, y)
}

// none is how 4.2 shows Python's None in getAllConfigInfo.
func none(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// logName is a process log file as getAllConfigInfo shows it: "auto" for
// an AUTO file not yet created, "none" for no file. The deprecated
// "syslog" value means no file (the stream goes to syslog).
func logName(configured, resolved string) string {
	switch configured {
	case config.LogAuto:
		if resolved != "" {
			return resolved
		}
		return "auto"
	case config.LogNone, config.LogSyslog:
		return "none"
	}
	return configured
}

// getAllConfigInfo describes every process of the configuration read last,
// sorted by process name. A running group made from that very config shows
// its AUTO log files resolved, as 4.2 shows the config objects it resolved
// them in.
func (a *API) getAllConfigInfo(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	cfg := a.Config()
	inuse := map[string]*config.GroupConfig{}
	for _, g := range a.opts.Engine.Groups() {
		inuse[g.Name] = g
	}
	var resolved map[string]supervisor.ProcessInfo
	type row struct {
		name string
		s    xmlrpc.Struct
	}
	var rows []row
	for _, gc := range cfg.Groups {
		running, isInuse := inuse[gc.Name]
		for _, pc := range gc.Processes {
			outLog, errLog := "", ""
			if running == gc && (pc.Stdout.Logfile == config.LogAuto || pc.Stderr.Logfile == config.LogAuto) {
				if resolved == nil {
					resolved = map[string]supervisor.ProcessInfo{}
					all, err := a.opts.Engine.AllProcessInfo()
					if err != nil {
						return nil, err
					}
					for _, pi := range all {
						resolved[supervisor.Namespec(pi.Group, pi.Name)] = pi
					}
				}
				pi := resolved[supervisor.Namespec(gc.Name, pc.Name)]
				outLog, errLog = pi.StdoutLogfile, pi.StderrLogfile
			}
			uid := any("none")
			if pc.UID >= 0 && pc.User != "" {
				uid = pc.UID
			}
			serverURL := pc.ServerURL
			if serverURL == "AUTO" {
				serverURL = ""
			}
			exitcodes := make([]any, len(pc.Exitcodes))
			for i, c := range pc.Exitcodes {
				exitcodes[i] = c
			}
			rows = append(rows, row{pc.Name, xmlrpc.Struct{
				{Name: "autostart", Value: pc.Autostart},
				{Name: "directory", Value: none(pc.Directory)},
				{Name: "uid", Value: uid},
				{Name: "command", Value: pc.Command},
				{Name: "exitcodes", Value: exitcodes},
				{Name: "group", Value: gc.Name},
				{Name: "group_prio", Value: gc.Priority},
				{Name: "inuse", Value: isInuse},
				{Name: "killasgroup", Value: pc.Killasgroup},
				{Name: "name", Value: pc.Name},
				{Name: "process_prio", Value: pc.Priority},
				{Name: "redirect_stderr", Value: pc.RedirectStderr},
				{Name: "startretries", Value: pc.Startretries},
				{Name: "startsecs", Value: pc.Startsecs},
				{Name: "stdout_capture_maxbytes", Value: capped(pc.Stdout.CaptureMaxbytes)},
				{Name: "stdout_events_enabled", Value: pc.Stdout.EventsEnabled},
				{Name: "stdout_logfile", Value: logName(pc.Stdout.Logfile, outLog)},
				{Name: "stdout_logfile_backups", Value: pc.Stdout.Backups},
				{Name: "stdout_logfile_maxbytes", Value: capped(pc.Stdout.Maxbytes)},
				{Name: "stdout_syslog", Value: pc.Stdout.Syslog || pc.Stdout.Logfile == config.LogSyslog},
				{Name: "stopsignal", Value: int(pc.Stopsignal)},
				{Name: "stopwaitsecs", Value: pc.Stopwaitsecs},
				{Name: "stderr_capture_maxbytes", Value: capped(pc.Stderr.CaptureMaxbytes)},
				{Name: "stderr_events_enabled", Value: pc.Stderr.EventsEnabled},
				{Name: "stderr_logfile", Value: logName(pc.Stderr.Logfile, errLog)},
				{Name: "stderr_logfile_backups", Value: pc.Stderr.Backups},
				{Name: "stderr_logfile_maxbytes", Value: capped(pc.Stderr.Maxbytes)},
				{Name: "stderr_syslog", Value: pc.Stderr.Syslog || pc.Stderr.Logfile == config.LogSyslog},
				{Name: "serverurl", Value: none(serverURL)},
			}})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.s
	}
	return out, nil
}
