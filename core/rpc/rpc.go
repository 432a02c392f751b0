// Package rpc is supervisord's XML-RPC API: the supervisor.* and system.*
// methods of Supervisor 4.2 with their names (aliases included), argument
// shapes, result structs, fault codes and fault strings, served through a
// core/xmlrpc Registry on top of a core/supervisor engine.
package rpc

import (
	"context"
	"errors"
	"os"
	"sort"
	"sync"

	"super/core/config"
	"super/core/logging"
	"super/core/supervisor"
	"super/core/version"
	"super/core/xmlrpc"
)

// APIVersion is what getAPIVersion answers (4.2's API_VERSION).
const APIVersion = "3.0"

// Options are what the API serves.
type Options struct {
	// Engine runs the processes; every supervisor.* call but
	// sendRemoteCommEvent goes through it.
	Engine *supervisor.Supervisor
	// Config is the configuration Engine was made from: the group configs
	// addProcessGroup and getAllConfigInfo see until reloadConfig reads
	// the file again.
	Config *config.Config
	// Reread loads the configuration again for reloadConfig (with the
	// command line's values applied). nil: config.Load(Config.File).
	Reread func() (*config.Config, error)
	// Logger is the activity log behind readLog and clearLog (nil: no log
	// file, NO_FILE).
	Logger *logging.Logger
	// RemoteCommEvent receives sendRemoteCommEvent's type and data: the
	// REMOTE_COMMUNICATION event for listeners. nil: the call is accepted
	// and the event dropped.
	RemoteCommEvent func(typ, data string)
}

// API serves one running engine. Its only state is the configuration read
// last (4.2's options.process_group_configs), which reloadConfig replaces.
type API struct {
	opts Options

	mu  sync.Mutex
	cfg *config.Config

	allInfo infoAnswer // getAllProcessInfo's last answer (allinfo.go)
}

// New returns the API over opts.Engine.
func New(opts Options) *API {
	if opts.Reread == nil {
		file := opts.Config.File
		opts.Reread = func() (*config.Config, error) { return config.Load(file) }
	}
	return &API{opts: opts, cfg: opts.Config}
}

// NewRegistry returns a Registry serving every method of the API.
func NewRegistry(opts Options) *xmlrpc.Registry {
	r := xmlrpc.NewRegistry()
	New(opts).Register(r)
	return r
}

// Config is the configuration read last: the one the engine started with,
// or the one the last successful reloadConfig read.
func (a *API) Config() *config.Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg
}

type method struct {
	name     string
	min, max int
	fn       func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error)
}

// Register adds every supervisor.* and system.* method of 4.2 to r, and
// super's own super.* methods (super.go).
func (a *API) Register(r *xmlrpc.Registry) {
	for _, m := range a.methods(r) {
		m := m
		r.Register(m.name, func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
			if err := xmlrpc.CheckArity(p, m.min, m.max); err != nil {
				return nil, err
			}
			v, err := m.fn(ctx, p)
			if err != nil {
				return nil, toFault(err)
			}
			return v, nil
		})
	}
}

func (a *API) methods(r *xmlrpc.Registry) []method {
	e := a.opts.Engine
	ms := []method{
		{"getAPIVersion", 0, 0, a.constant(APIVersion)},
		{"getVersion", 0, 0, a.constant(APIVersion)},
		{"getSupervisorVersion", 0, 0, a.constant(version.Supervisor)},
		{"getIdentification", 0, 0, a.identification},
		{"getState", 0, 0, a.getState},
		{"getPID", 0, 0, a.getPID},
		{"readLog", 2, 2, a.readLog},
		{"readMainLog", 2, 2, a.readLog},
		{"clearLog", 0, 0, a.clearLog},
		{"shutdown", 0, 0, func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) { return true, e.Shutdown() }},
		{"restart", 0, 0, func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) { return true, e.Restart() }},
		{"reloadConfig", 0, 0, a.reloadConfig},
		{"addProcessGroup", 1, 1, a.addProcessGroup},
		{"removeProcessGroup", 1, 1, a.removeProcessGroup},
		{"startProcess", 1, 2, a.startStop(e.StartProcess, e.StartGroup)},
		{"startProcessGroup", 1, 2, a.group(e.StartGroup)},
		{"startAllProcesses", 0, 1, a.all(e.StartAll)},
		{"stopProcess", 1, 2, a.startStop(e.StopProcess, e.StopGroup)},
		{"stopProcessGroup", 1, 2, a.group(e.StopGroup)},
		{"stopAllProcesses", 0, 1, a.all(e.StopAll)},
		{"signalProcess", 2, 2, a.signalProcess},
		{"signalProcessGroup", 2, 2, a.signalProcessGroup},
		{"signalAllProcesses", 1, 1, a.signalAllProcesses},
		{"getAllConfigInfo", 0, 0, a.getAllConfigInfo},
		{"getProcessInfo", 1, 1, a.getProcessInfo},
		{"getAllProcessInfo", 0, 0, a.getAllProcessInfo},
		{"readProcessStdoutLog", 3, 3, a.readProcessLog(stdout)},
		{"readProcessLog", 3, 3, a.readProcessLog(stdout)},
		{"readProcessStderrLog", 3, 3, a.readProcessLog(stderr)},
		{"tailProcessStdoutLog", 3, 3, a.tailProcessLog(stdout)},
		{"tailProcessLog", 3, 3, a.tailProcessLog(stdout)},
		{"tailProcessStderrLog", 3, 3, a.tailProcessLog(stderr)},
		{"clearProcessLogs", 1, 1, a.clearProcessLogs},
		{"clearProcessLog", 1, 1, a.clearProcessLogs},
		{"clearAllProcessLogs", 0, 0, a.clearAllProcessLogs},
		{"sendProcessStdin", 2, 2, a.sendProcessStdin},
		{"sendRemoteCommEvent", 2, 2, a.sendRemoteCommEvent},
	}
	for i := range ms {
		ms[i].name = "supervisor." + ms[i].name
	}
	ms = append(ms, a.superMethods()...)
	return append(ms,
		method{"system.listMethods", 0, 0, func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
			return r.Methods(), nil
		}},
		method{"system.methodHelp", 1, 1, a.methodHelp(r)},
		method{"system.methodSignature", 1, 1, a.methodSignature(r)},
		method{"system.multicall", 1, 1, func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
			calls, ok := p[0].([]any)
			if !ok {
				return nil, incorrect()
			}
			return r.Multicall(ctx, calls)
		}},
	)
}

// toFault turns the engine's typed errors into XML-RPC faults with the same
// code and text; other errors pass through (HTTP 500, or the client is gone).
func toFault(err error) error {
	var se *supervisor.Error
	if errors.As(err, &se) {
		return &xmlrpc.Fault{Code: int(se.Fault), String: se.Error()}
	}
	return err
}

// The exported methods below are the calls whose decisions live here
// rather than in the engine (the configuration read last, the log
// readers); the JSON API (core/api) calls them, so both surfaces answer
// alike. Their errors are *xmlrpc.Fault or *supervisor.Error.

// Ready is 4.2's _update: SHUTDOWN_STATE once supervisord is shutting down
// or restarting.
func (a *API) Ready() error { return a.ready() }

// ready is 4.2's _update: once supervisord is shutting down or restarting
// every method (but a few) answers SHUTDOWN_STATE.
func (a *API) ready() error {
	if a.opts.Engine.State() < supervisor.StateRunning {
		return xmlrpc.NewFault(xmlrpc.FaultShutdownState)
	}
	return nil
}

func (a *API) constant(v xmlrpc.Value) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
		if err := a.ready(); err != nil {
			return nil, err
		}
		return v, nil
	}
}

func (a *API) identification(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	return a.opts.Config.Supervisord.Identifier, nil
}

func (a *API) getState(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	st := a.opts.Engine.State()
	if st < supervisor.StateRunning {
		return nil, xmlrpc.NewFault(xmlrpc.FaultShutdownState)
	}
	return xmlrpc.Struct{{Name: "statecode", Value: int(st)}, {Name: "statename", Value: st.String()}}, nil
}

func (a *API) getPID(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	return os.Getpid(), nil
}

// mainLogName is the activity log's path and how 4.2 names it in a NO_FILE
// fault: the path, or nothing when there is no file (4.2 passes None as the
// fault's extra, which leaves the bare "NO_FILE").
func (a *API) mainLogName() (path, name string) {
	if a.opts.Logger != nil {
		if p := a.opts.Logger.Path(); p != "" {
			return p, p
		}
	}
	return "", a.opts.Config.Supervisord.Logfile
}

func (a *API) readLog(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	path, name := a.mainLogName()
	return readFile(path, name, p[0], p[1])
}

// ReadMainLog is readLog: the activity log's bytes by ReadLogFile's rules.
func (a *API) ReadMainLog(offset, length int64) ([]byte, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	path, name := a.mainLogName()
	return ReadLogFile(path, name, offset, length)
}

// readFile is 4.2's readFile behind readLog and readProcess*Log; name is
// the log's name for a NO_FILE fault.
func readFile(path, name string, offset, length xmlrpc.Value) (xmlrpc.Value, error) {
	if path == "" {
		return nil, noFile(name)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, noFile(name)
	}
	off, err := intArg(offset)
	if err != nil {
		return nil, err
	}
	n, err := intArg(length)
	if err != nil {
		return nil, err
	}
	data, err := ReadLogFile(path, name, off, n)
	if err != nil {
		return nil, err
	}
	return string(data), nil
}

func noFile(name string) error {
	if name == "" {
		return xmlrpc.NewFault(xmlrpc.FaultNoFile)
	}
	return xmlrpc.NewFaultf(xmlrpc.FaultNoFile, "%s", name)
}

// ReadLogFile is 4.2's readFile on a log at path (logging.ReadLog's
// offset and length rules) with its faults: NO_FILE naming name,
// BAD_ARGUMENTS, FAILED.
func ReadLogFile(path, name string, offset, length int64) ([]byte, error) {
	if path == "" {
		return nil, noFile(name)
	}
	data, err := logging.ReadLog(path, offset, length)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, logging.ErrBadArguments):
		return nil, xmlrpc.NewFault(xmlrpc.FaultBadArguments)
	case errors.Is(err, logging.ErrNoFile):
		return nil, noFile(name)
	}
	return nil, xmlrpc.NewFault(xmlrpc.FaultFailed)
}

func (a *API) clearLog(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return true, a.ClearMainLog()
}

// ClearMainLog is clearLog: the activity log emptied.
func (a *API) ClearMainLog() error {
	if err := a.ready(); err != nil {
		return err
	}
	if a.opts.Logger == nil {
		return xmlrpc.NewFault(xmlrpc.FaultNoFile)
	}
	switch err := a.opts.Logger.Clear(); {
	case err == nil:
		return nil
	case errors.Is(err, logging.ErrNoFile):
		return xmlrpc.NewFault(xmlrpc.FaultNoFile)
	default:
		return xmlrpc.NewFault(xmlrpc.FaultFailed)
	}
}

// MainLogFile is the activity log's path, "" when there is none.
func (a *API) MainLogFile() string {
	path, _ := a.mainLogName()
	return path
}

func (a *API) reloadConfig(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	added, changed, removed, err := a.Reread()
	if err != nil {
		return nil, err
	}
	return []any{[]any{added, changed, removed}}, nil
}

// Reread is reloadConfig: the configuration file read again (it becomes
// the one addProcessGroup takes groups from) and the names of the groups
// it adds, changes and removes compared with the running ones.
func (a *API) Reread() (added, changed, removed []string, err error) {
	if err := a.ready(); err != nil {
		return nil, nil, nil, err
	}
	cfg, err := a.opts.Reread()
	if err != nil {
		return nil, nil, nil, xmlrpc.NewFaultf(xmlrpc.FaultCantReread, "%s", rereadError(err))
	}
	a.mu.Lock()
	a.cfg = cfg
	a.mu.Unlock()
	added, changed, removed = Diff(a.opts.Engine.Groups(), cfg.Groups)
	return added, changed, removed, nil
}

// rereadError is the CANT_REREAD text as 4.2 words it: the config
// package's errors also name the key and line, which 4.2's fault strings
// (and so the scripts matching them) do not carry.
func rereadError(err error) string {
	var ce *config.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	bare := *ce
	bare.Key, bare.Line = "", 0
	return bare.Error()
}

func (a *API) addProcessGroup(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	name, isString, err := groupArg(p[0])
	if err != nil {
		return nil, err
	}
	if !isString {
		return nil, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", name)
	}
	return true, a.AddGroup(name)
}

// AddGroup is addProcessGroup: the group of that name in the configuration
// read last is added (BAD_NAME when it has none, ALREADY_ADDED when it is
// running already).
func (a *API) AddGroup(name string) error {
	if err := a.ready(); err != nil {
		return err
	}
	for _, gc := range a.Config().Groups {
		if gc.Name == name {
			return a.opts.Engine.AddGroup(gc)
		}
	}
	return xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", name)
}

// readyGroup starts every call on an existing group: the daemon must be
// running and v must be a string (a list or struct is INCORRECT_PARAMETERS,
// any other value BAD_NAME with its str(), as in 4.2).
func (a *API) readyGroup(v xmlrpc.Value) (string, error) {
	if err := a.ready(); err != nil {
		return "", err
	}
	name, isString, err := groupArg(v)
	if err != nil {
		return "", err
	}
	if !isString {
		return "", xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", name)
	}
	return name, nil
}

func (a *API) removeProcessGroup(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	name, err := a.readyGroup(p[0])
	if err != nil {
		return nil, err
	}
	return true, a.opts.Engine.RemoveGroup(name)
}

type groupFunc func(ctx context.Context, name string, wait bool) ([]supervisor.Result, error)

// wait is the optional wait flag (default true) at p[i].
func wait(p []xmlrpc.Value, i int) bool {
	return len(p) <= i || truth(p[i])
}

// startStop is startProcess/stopProcess: a whole-group spec ("g:*")
// answers with the group's result array, as 4.2 delegates to
// startProcessGroup; a single process answers true.
func (a *API) startStop(one func(context.Context, string, bool) error, grp groupFunc) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		if err := a.ready(); err != nil {
			return nil, err
		}
		spec, err := specArg(p[0])
		if err != nil {
			return nil, err
		}
		w := wait(p, 1)
		if supervisor.IsGroupSpec(spec) {
			g, _ := supervisor.SplitNamespec(spec)
			res, err := grp(ctx, g, w)
			return results(res), renameBadName(err, spec)
		}
		return true, one(ctx, spec, w)
	}
}

// renameBadName makes a BAD_NAME about a group name the fault 4.2 raises
// for the whole spec ("BAD_NAME: g:*").
func renameBadName(err error, spec string) error {
	var se *supervisor.Error
	if errors.As(err, &se) && se.Fault == supervisor.BadName {
		return xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%s", spec)
	}
	return err
}

func (a *API) group(fn groupFunc) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		name, err := a.readyGroup(p[0])
		if err != nil {
			return nil, err
		}
		res, err := fn(ctx, name, wait(p, 1))
		return results(res), err
	}
}

func (a *API) all(fn func(context.Context, bool) ([]supervisor.Result, error)) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(ctx context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		if err := a.ready(); err != nil {
			return nil, err
		}
		res, err := fn(ctx, wait(p, 0))
		return results(res), err
	}
}

func (a *API) signalProcess(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	spec, err := specArg(p[0])
	if err != nil {
		return nil, err
	}
	sig, err := signalArg(p[1])
	if err != nil {
		return nil, err
	}
	if supervisor.IsGroupSpec(spec) {
		g, _ := supervisor.SplitNamespec(spec)
		res, err := a.opts.Engine.SignalGroup(g, sig)
		return results(res), renameBadName(err, spec)
	}
	return true, a.opts.Engine.SignalProcess(spec, sig)
}

func (a *API) signalProcessGroup(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	name, err := a.readyGroup(p[0])
	if err != nil {
		return nil, err
	}
	sig, err := signalArg(p[1])
	if err != nil {
		return nil, err
	}
	res, err := a.opts.Engine.SignalGroup(name, sig)
	return results(res), err
}

func (a *API) signalAllProcesses(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	sig, err := signalArg(p[0])
	if err != nil {
		return nil, err
	}
	res, err := a.opts.Engine.SignalAll(sig)
	return results(res), err
}

// results is 4.2's array of status structs.
func results(res []supervisor.Result) []any {
	out := make([]any, len(res))
	for i, r := range res {
		out[i] = xmlrpc.Struct{
			{Name: "name", Value: r.Name},
			{Name: "group", Value: r.Group},
			{Name: "status", Value: int(r.Status)},
			{Name: "description", Value: r.Description},
		}
	}
	return out
}

// infoStruct is getProcessInfo's struct, keys in 4.2's order.
func infoStruct(pi *supervisor.ProcessInfo) xmlrpc.Struct {
	return xmlrpc.Struct{
		{Name: "name", Value: pi.Name},
		{Name: "group", Value: pi.Group},
		{Name: "start", Value: pi.Start},
		{Name: "stop", Value: pi.Stop},
		{Name: "now", Value: pi.Now},
		{Name: "state", Value: int(pi.State)},
		{Name: "statename", Value: pi.StateName},
		{Name: "spawnerr", Value: pi.SpawnErr},
		{Name: "exitstatus", Value: pi.ExitStatus},
		{Name: "logfile", Value: pi.Logfile},
		{Name: "stdout_logfile", Value: pi.StdoutLogfile},
		{Name: "stderr_logfile", Value: pi.StderrLogfile},
		{Name: "pid", Value: pi.Pid},
		{Name: "description", Value: pi.Description},
	}
}

func (a *API) getProcessInfo(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	spec, err := specArg(p[0])
	if err != nil {
		return nil, err
	}
	pi, err := a.opts.Engine.ProcessInfo(spec)
	if err != nil {
		return nil, err
	}
	return infoStruct(&pi), nil
}

// processInfos is getAllProcessInfo's array of infoStructs, written
// straight from the engine's records: building a Struct of 14 boxed values
// per process was the largest allocator under getAllProcessInfo load.
type processInfos []supervisor.ProcessInfo

func (l processInfos) MarshalXMLRPC(w *xmlrpc.Writer) error {
	w.Grow(l.sizeHint())
	w.BeginArray()
	for i := range l {
		if err := writeInfo(w, &l[i]); err != nil {
			return err
		}
	}
	w.EndArray()
	return nil
}

// infoMarkup is what an infoStruct takes besides its strings' text: the
// markup of its 14 members and its integers at their longest.
const infoMarkup = 1100

// sizeHint is about the size of the encoded array (a little more when no
// text needs escaping).
func (l processInfos) sizeHint() int {
	n := 64
	for i := range l {
		pi := &l[i]
		n += infoMarkup + len(pi.Name) + len(pi.Group) + len(pi.StateName) + len(pi.SpawnErr) +
			len(pi.Logfile) + len(pi.StdoutLogfile) + len(pi.StderrLogfile) + len(pi.Description)
	}
	return n
}

// writeInfo writes the members of infoStruct, in its order.
func writeInfo(w *xmlrpc.Writer, pi *supervisor.ProcessInfo) error {
	w.BeginStruct()
	w.StringMember("name", pi.Name)
	w.StringMember("group", pi.Group)
	for _, m := range [...]struct {
		name string
		v    int64
	}{{"start", pi.Start}, {"stop", pi.Stop}, {"now", pi.Now}, {"state", int64(pi.State)}} {
		if err := w.IntMember(m.name, m.v); err != nil {
			return err
		}
	}
	w.StringMember("statename", pi.StateName)
	w.StringMember("spawnerr", pi.SpawnErr)
	if err := w.IntMember("exitstatus", int64(pi.ExitStatus)); err != nil {
		return err
	}
	w.StringMember("logfile", pi.Logfile)
	w.StringMember("stdout_logfile", pi.StdoutLogfile)
	w.StringMember("stderr_logfile", pi.StderrLogfile)
	if err := w.IntMember("pid", int64(pi.Pid)); err != nil {
		return err
	}
	w.StringMember("description", pi.Description)
	w.EndStruct()
	return nil
}

type channel int

const (
	stdout channel = iota
	stderr
)

// processLog is the log file of a process's channel ("" when none), or
// BAD_NAME for a whole-group spec as in 4.2.
func (a *API) processLog(spec xmlrpc.Value, ch channel) (string, error) {
	s, err := specArg(spec)
	if err != nil {
		return "", err
	}
	return a.ProcessLogFile(s, ch == stderr)
}

// ProcessLogFile is the path of a process's stdout (or stderr) log, ""
// when it has none; BAD_NAME for an unknown name or a whole-group spec.
func (a *API) ProcessLogFile(spec string, stderr bool) (string, error) {
	if err := a.ready(); err != nil {
		return "", err
	}
	pi, err := a.opts.Engine.ProcessInfo(spec)
	if err != nil {
		return "", err
	}
	if stderr {
		return pi.StderrLogfile, nil
	}
	return pi.StdoutLogfile, nil
}

func (a *API) readProcessLog(ch channel) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		path, err := a.processLog(p[0], ch)
		if err != nil {
			return nil, err
		}
		return readFile(path, path, p[1], p[2])
	}
}

func (a *API) tailProcessLog(ch channel) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		path, err := a.processLog(p[0], ch)
		if err != nil {
			return nil, err
		}
		if path == "" {
			return []any{"", 0, false}, nil
		}
		if _, err := os.Stat(path); err != nil {
			return []any{"", 0, false}, nil
		}
		off, err := intArg(p[1])
		if err != nil {
			return nil, err
		}
		n, err := intArg(p[2])
		if err != nil {
			return nil, err
		}
		data, next, overflow := logging.TailLog(path, off, n)
		return []any{string(data), capped(next), overflow}, nil
	}
}

// capped is 4.2's capped_int: XML-RPC integers are 32-bit.
func capped(v int64) int64 {
	const maxInt, minInt = 1<<31 - 1, -1 << 31
	if v > maxInt {
		return maxInt
	}
	if v < minInt {
		return minInt
	}
	return v
}

func (a *API) clearProcessLogs(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	spec, err := specArg(p[0])
	if err != nil {
		return nil, err
	}
	return true, a.opts.Engine.ClearProcessLogs(spec)
}

// clearAllProcessLogs clears every process's logs in priority order and
// reports each outcome.
func (a *API) clearAllProcessLogs(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	res, err := a.ClearAllProcessLogs()
	if err != nil {
		return nil, err
	}
	return results(res), nil
}

// ClearAllProcessLogs is clearAllProcessLogs: every process's logs
// cleared, in priority order, with each outcome.
func (a *API) ClearAllProcessLogs() ([]supervisor.Result, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	var res []supervisor.Result
	for _, gc := range a.opts.Engine.Groups() {
		procs := append([]*config.ProcessConfig(nil), gc.Processes...)
		sort.SliceStable(procs, func(i, j int) bool {
			if procs[i].Priority != procs[j].Priority {
				return procs[i].Priority < procs[j].Priority
			}
			return procs[i].Name < procs[j].Name
		})
		for _, pc := range procs {
			r := supervisor.Result{Name: pc.Name, Group: gc.Name, Status: supervisor.Success, Description: "OK"}
			if err := a.opts.Engine.ClearProcessLogs(supervisor.Namespec(gc.Name, pc.Name)); err != nil {
				var se *supervisor.Error
				if !errors.As(err, &se) {
					return nil, err
				}
				r.Status, r.Description = se.Fault, se.Error()
			}
			res = append(res, r)
		}
	}
	return res, nil
}

func (a *API) sendProcessStdin(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	chars, ok := p[1].(string)
	if !ok {
		return nil, xmlrpc.NewFaultf(xmlrpc.FaultIncorrectParameters, "%s", pyStr(p[1]))
	}
	spec, err := specArg(p[0])
	if err != nil {
		return nil, err
	}
	return true, a.opts.Engine.SendStdin(spec, []byte(chars))
}

// sendRemoteCommEvent accepts anything, even while shutting down, as 4.2
// does (it does not check the state).
func (a *API) sendRemoteCommEvent(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	if a.opts.RemoteCommEvent != nil {
		a.opts.RemoteCommEvent(pyStr(p[0]), pyStr(p[1]))
	}
	return true, nil
}

type methodDoc struct {
	help      string
	signature []string // nil: no @return tag, SIGNATURE_UNSUPPORTED
}

func (a *API) methodHelp(r *xmlrpc.Registry) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		name, _ := p[0].(string)
		if _, ok := r.Lookup(name); ok {
			if d, ok := docOf(name); ok {
				return d.help, nil
			}
			return "None", nil // 4.2's str(None) for a method without a docstring
		}
		return nil, xmlrpc.NewFault(xmlrpc.FaultSignatureUnsupported)
	}
}

func (a *API) methodSignature(r *xmlrpc.Registry) func(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	return func(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
		name, _ := p[0].(string)
		if _, ok := r.Lookup(name); ok {
			if d, ok := docOf(name); ok && d.signature != nil {
				return d.signature, nil
			}
		}
		return nil, xmlrpc.NewFault(xmlrpc.FaultSignatureUnsupported)
	}
}
