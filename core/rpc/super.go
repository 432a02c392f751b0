package rpc

import (
	"context"
	"time"

	"super/core/supervisor"
	"super/core/xmlrpc"
)

// The super.* namespace: what super tracks beyond Supervisor 4.2 (start
// and exit counters, healthcheck verdicts), beside 4.2's namespaces so
// that none of 4.2's answers change. A 4.2 server answers these with
// UNKNOWN_METHOD, which is how clients (supervisorctl status) tell the two
// apart.

func (a *API) superMethods() []method {
	return []method{
		{"super.getProcessHealth", 1, 1, a.getProcessHealth},
		{"super.getAllProcessHealth", 0, 1, a.getAllProcessHealth},
		{"super.getAllProcessStats", 0, 0, a.getAllProcessStats},
		{"super.getProcessNotify", 1, 1, a.getProcessNotify},
		{"super.getAllProcessNotify", 0, 1, a.getAllProcessNotify},
		{"super.getAllProcessResources", 0, 0, a.getAllProcessResources}, // resources.go
		{"super.rotateLogs", 1, 1, a.rotateLogs},                         // rotate.go
	}
}

// superDocs are system.methodHelp's and system.methodSignature's answers
// for the super.* methods, in the shape of 4.2's docstrings.
var superDocs = map[string]methodDoc{
	"super.getProcessHealth": {" Get the healthcheck state of a process named name\n\n" +
		"        @param string name The name of the process (or 'group:name')\n" +
		"        @return struct result  {name, group, health, failures, output, checked}\n        ",
		[]string{"struct", "string"}},
	"super.getAllProcessHealth": {" Get the healthcheck state of every process\n\n" +
		"        @param boolean checked  Only the processes that have a healthcheck (default false)\n" +
		"        @return array result  An array of process health structs\n        ",
		[]string{"array", "boolean"}},
	"super.getAllProcessStats": {" Get the start and exit counters, health, pending restart and next scheduled run of every process\n\n" +
		"        @return array result  An array of process stats structs\n        ",
		[]string{"array"}},
	"super.getProcessNotify": {" Get the readiness notification state (sd_notify) of a process named name\n\n" +
		"        @param string name The name of the process (or 'group:name')\n" +
		"        @return struct result  {name, group, notify, watchdog_secs, status, watchdog_timeouts}\n        ",
		[]string{"struct", "string"}},
	"super.rotateLogs": {" Rotate log files now, as their size or time rule would\n\n" +
		"        @param string name  A process (or 'group:name'), a group ('group:*'), or 'all' (every process and the main log)\n" +
		"        @return array result  An array of process status info structs\n        ",
		[]string{"array", "string"}},
	"super.getAllProcessNotify": {" Get the readiness notification state (sd_notify) of every process\n\n" +
		"        @param boolean active  Only the processes with notify or watchdog_secs set (default false)\n" +
		"        @return array result  An array of process notify structs\n        ",
		[]string{"array", "boolean"}},
}

// docOf is the help and signature of a registered method of either
// namespace.
func docOf(name string) (methodDoc, bool) {
	if d, ok := methodDocs[name]; ok {
		return d, true
	}
	d, ok := superDocs[name]
	return d, ok
}

// unix is t in unix seconds for an XML-RPC int (0 for the zero time).
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return capped(t.Unix())
}

// healthStruct is getProcessHealth's struct.
func healthStruct(ps *supervisor.ProcessStats) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: ps.Name},
		{Name: "group", Value: ps.Group},
		{Name: "health", Value: ps.Health.String()},
		{Name: "failures", Value: ps.HealthFailures},
		{Name: "output", Value: ps.HealthOutput},
		{Name: "checked", Value: unix(ps.HealthChecked)},
	}
}

// statsStruct is one element of getAllProcessStats.
func statsStruct(ps *supervisor.ProcessStats) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: ps.Name},
		{Name: "group", Value: ps.Group},
		{Name: "state", Value: int(ps.State)},
		{Name: "statename", Value: ps.State.String()},
		{Name: "start", Value: unix(ps.Start)},
		{Name: "starts", Value: ps.Starts},
		{Name: "restarts", Value: ps.Restarts()},
		{Name: "exits", Value: ps.Exits},
		{Name: "exitstatus", Value: ps.LastExitStatus},
		{Name: "health", Value: ps.Health.String()},
		{Name: "restart_at", Value: unix(ps.RestartAt)},
		{Name: "next_run", Value: unix(ps.NextRun)},
	}
}

// healthList is getAllProcessHealth's array, written straight from the
// engine's records: supervisorctl status asks for it on every run.
type healthList []supervisor.ProcessStats

func (l healthList) MarshalXMLRPC(w *xmlrpc.Writer) error {
	w.BeginArray()
	for i := range l {
		ps := &l[i]
		w.BeginStruct()
		w.StringMember("name", ps.Name)
		w.StringMember("group", ps.Group)
		w.StringMember("health", ps.Health.String())
		if err := w.IntMember("failures", int64(ps.HealthFailures)); err != nil {
			return err
		}
		w.StringMember("output", ps.HealthOutput)
		if err := w.IntMember("checked", unix(ps.HealthChecked)); err != nil {
			return err
		}
		w.EndStruct()
	}
	w.EndArray()
	return nil
}

func (a *API) getProcessHealth(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	ps, err := a.processStats(p[0])
	if err != nil {
		return nil, err
	}
	return healthStruct(ps), nil
}

// processStats is the engine's record of the process a super.get* call
// names, found as getProcessInfo finds it: "name" is the process of group
// "name", and a whole-group spec names no process (BAD_NAME).
func (a *API) processStats(arg xmlrpc.Value) (*supervisor.ProcessStats, error) {
	spec, err := specArg(arg)
	if err != nil {
		return nil, err
	}
	all, err := a.opts.Engine.Stats()
	if err != nil {
		return nil, err
	}
	group, name := supervisor.SplitNamespec(spec)
	for i := range all {
		if name != "" && all[i].Group == group && all[i].Name == name {
			return &all[i], nil
		}
	}
	return nil, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", spec)
}

// getAllProcessHealth answers for every process, or (its optional flag
// true) only for those with a healthcheck: supervisorctl status asks on
// every run, and with a hundred processes and no healthcheck the full
// array would add 40% to its answer for nothing.
func (a *API) getAllProcessHealth(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	all, err := a.opts.Engine.Stats()
	if err != nil {
		return nil, err
	}
	if len(p) > 0 && truth(p[0]) {
		checked := all[:0]
		for _, ps := range all {
			if ps.Health != supervisor.HealthNone {
				checked = append(checked, ps)
			}
		}
		all = checked
	}
	return healthList(all), nil
}

func (a *API) getAllProcessStats(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	all, err := a.opts.Engine.Stats()
	if err != nil {
		return nil, err
	}
	out := make([]any, len(all))
	for i := range all {
		out[i] = statsStruct(&all[i])
	}
	return out, nil
}

// notifyStruct is getProcessNotify's struct: notify=true and
// watchdog_secs as configured, the last STATUS= text since the spawn ("" when
// none) and the watchdog timeouts so far.
func notifyStruct(ps *supervisor.ProcessStats) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: ps.Name},
		{Name: "group", Value: ps.Group},
		{Name: "notify", Value: ps.Notify},
		{Name: "watchdog_secs", Value: ps.WatchdogSecs},
		{Name: "status", Value: ps.NotifyStatus},
		{Name: "watchdog_timeouts", Value: ps.WatchdogTimeouts},
	}
}

func (a *API) getProcessNotify(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	ps, err := a.processStats(p[0])
	if err != nil {
		return nil, err
	}
	return notifyStruct(ps), nil
}

// getAllProcessNotify answers for every process, or (its optional flag
// true) only for those with notify or watchdog_secs: supervisorctl status
// asks on every run, and most processes have neither.
func (a *API) getAllProcessNotify(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	all, err := a.opts.Engine.Stats()
	if err != nil {
		return nil, err
	}
	active := len(p) > 0 && truth(p[0])
	out := []any{}
	for i := range all {
		if active && !all[i].Notify && all[i].WatchdogSecs == 0 {
			continue
		}
		out = append(out, notifyStruct(&all[i]))
	}
	return out, nil
}
