package ctl

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"super/core/xmlrpc"
)

// upcheck is 4.2's connection check before most commands: getVersion must
// answer with API 3.0. It prints the connection problems and sets their
// exit statuses; errors it cannot explain are returned.
func (c *controller) upcheck() (bool, error) {
	v, err := c.call("getVersion")
	if err != nil {
		if f, ok := asFault(err); ok {
			if f.Code == faultUnknownMethod {
				c.output("Sorry, supervisord responded but did not recognize the supervisor " +
					"namespace commands that supervisorctl uses to control it.  Please check " +
					"that the [rpcinterface:supervisor] section is enabled in the configuration " +
					"file (see sample.conf).")
				c.exit = exitUnimplemented
				return false, nil
			}
			c.exit = exitGeneric
			return false, err
		}
		if _, ok := httpStatus(err); ok {
			return false, err
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			c.output(c.opts.ServerURL + " refused connection")
			c.exit = exitNoPrivileges
			return false, nil
		case errors.Is(err, syscall.ENOENT):
			c.output(c.opts.ServerURL + " no such file")
			c.exit = exitNotRunning
			return false, nil
		}
		c.exit = exitGeneric
		return false, err
	}
	if api := toString(v); api != supportedAPIVesion {
		c.output(fmt.Sprintf("Sorry, this version of supervisorctl expects to talk to a server "+
			"with API version %s, but the remote version is %s.", supportedAPIVesion, api))
		c.exit = exitNotInstalled
		return false, nil
	}
	return true, nil
}

// setExitFromFault is 4.2's set_exitstatus_from_xmlrpc_fault.
func (c *controller) setExitFromFault(code, ignored int) {
	switch code {
	case ignored, faultSuccess:
	case faultSpawnError, faultAbnormalTermination, faultNotRunning:
		c.exit = exitNotRunning
	default:
		c.exit = exitGeneric
	}
}

func (c *controller) doEOF(string) (bool, error) {
	c.output("")
	return true, nil
}

func (c *controller) doQuit(arg string) (bool, error) { return c.doEOF(arg) }

func (c *controller) doStatus(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		if err == nil {
			c.exit = statusUnknown
		}
		return false, err
	}
	all, err := c.statusInfos()
	if err != nil {
		return false, err
	}
	names := strings.Fields(arg)
	matching := all
	if len(names) > 0 && !contains(names, "all") {
		matching = nil
		for _, name := range names {
			group, process, isGroup := splitNamespec(name)
			found := false
			for _, info := range all {
				if info.Group == group && (isGroup || info.Name == process) {
					found = true
					matching = append(matching, info)
				}
			}
			if !found {
				if isGroup {
					c.output(group + ": ERROR (no such group)")
				} else {
					c.output(name + ": ERROR (no such process)")
				}
				c.exit = statusUnknown
			}
		}
	}
	c.showStatuses(matching)
	for _, info := range matching {
		if stoppedState(info.State) {
			c.exit = statusNotRunning
		}
	}
	return false, nil
}

// statusMembers are the struct members status reads: procInfo's, the
// health verdict's, and a fault's inside the multicall. Decoding only them
// keeps a status of 500 programs from building 4,000 values it never reads.
var statusMembers = []string{"name", "group", "statename", "description", "state", "pid",
	"health", "status", "faultCode", "faultString"}

// statusInfos is getAllProcessInfo for status, with super's health
// verdicts and notify STATUS= texts: all come in one system.multicall, a
// RUNNING process with a healthcheck gets ", health: <verdict>" after its
// description, and one whose program sent a STATUS= gets ", status:
// <text>". A 4.2 daemon answers the super.* calls with faults, which just
// means neither: its output is 4.2's.
func (c *controller) statusInfos() ([]procInfo, error) {
	v, err := c.callKeep(statusMembers, "system.multicall", []any{
		map[string]any{"methodName": "supervisor.getAllProcessInfo", "params": []any{}},
		// Only the processes that have a healthcheck: the others need no
		// answer, and a hundred of them cost status ~0.4 ms.
		map[string]any{"methodName": "super.getAllProcessHealth", "params": []any{true}},
		// The STATUS= texts of notify=true and watchdog programs (notify.go).
		map[string]any{"methodName": "super.getAllProcessNotify", "params": []any{true}},
	})
	if f, ok := asFault(err); ok && f.Code == faultUnknownMethod {
		// A server without system.multicall: ask for the infos alone.
		v, err = c.callKeep(statusMembers, "getAllProcessInfo")
		if err != nil {
			return nil, err
		}
		return toProcInfos(v), nil
	}
	if err != nil {
		return nil, err
	}
	res := toSlice(v)
	if len(res) == 0 {
		return nil, nil
	}
	// 4.2's multicall gives each call's bare value, or its fault as a
	// {faultCode, faultString} struct.
	if f, ok := multicallFault(res[0]); ok {
		return nil, f
	}
	infos := toProcInfos(res[0])
	if len(res) > 1 {
		addHealth(infos, res[1])
	}
	if len(res) > 2 {
		addNotifyStatus(infos, res[2])
	}
	return infos, nil
}

// addHealth appends ", health: <verdict>" to the description of each
// RUNNING process with a healthcheck (super.getAllProcessHealth's
// answer; a fault changes nothing).
func addHealth(infos []procInfo, res any) {
	if _, ok := multicallFault(res); ok {
		return
	}
	var health map[string]string
	for _, x := range toSlice(res) {
		m, _ := x.(map[string]any)
		if h := toString(m["health"]); h != "" && h != "none" {
			if health == nil {
				health = map[string]string{}
			}
			health[namespec(toString(m["group"]), toString(m["name"]))] = h
		}
	}
	if health == nil {
		return
	}
	for i := range infos {
		if infos[i].State != stateRunning {
			continue
		}
		if h, ok := health[namespec(infos[i].Group, infos[i].Name)]; ok {
			infos[i].Description += ", health: " + h
		}
	}
}

// addNotifyStatus appends ", status: <text>" to the description of each
// process whose program sent a STATUS= (super.getAllProcessNotify's
// answer; a fault or no text changes nothing).
func addNotifyStatus(infos []procInfo, res any) {
	if _, ok := multicallFault(res); ok {
		return
	}
	var status map[string]string
	for _, x := range toSlice(res) {
		m, _ := x.(map[string]any)
		if st := toString(m["status"]); st != "" {
			if status == nil {
				status = map[string]string{}
			}
			status[namespec(toString(m["group"]), toString(m["name"]))] = st
		}
	}
	for i := range infos {
		if st, ok := status[namespec(infos[i].Group, infos[i].Name)]; ok {
			if infos[i].Description == "" {
				infos[i].Description = "status: " + st
			} else {
				infos[i].Description += ", status: " + st
			}
		}
	}
}

// multicallFault is the fault of one system.multicall result, if it is one.
func multicallFault(v any) (*xmlrpc.Fault, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	code, ok := m["faultCode"]
	if !ok {
		return nil, false
	}
	return &xmlrpc.Fault{Code: toInt(code), String: toString(m["faultString"])}, true
}

// showStatuses prints the status table: the name column is as wide as the
// longest name (at least 30) plus 3, the state column 10.
func (c *controller) showStatuses(infos []procInfo) {
	width := 30
	specs := make([]string, len(infos))
	for i, info := range infos {
		specs[i] = namespec(info.Group, info.Name)
		if n := pyLen(specs[i]); n > width {
			width = n
		}
	}
	// One write for the whole table, not one system call per line.
	var b strings.Builder
	b.Grow(len(infos) * (width + 3 + 10 + 40))
	for i, info := range infos {
		b.WriteString(specs[i])
		pad(&b, width+3-pyLen(specs[i]))
		b.WriteString(info.StateName)
		pad(&b, 10-pyLen(info.StateName))
		b.WriteString(info.Description)
		b.WriteByte('\n')
	}
	io.WriteString(c.out, b.String())
}

// pyLen is Python's len of a str: code points.
func pyLen(s string) int { return utf8.RuneCountInString(s) }

func pad(b *strings.Builder, n int) {
	for ; n > 0; n-- {
		b.WriteByte(' ')
	}
}

// ljust is Python's "%-Ns".
func ljust(s string, n int) string {
	var b strings.Builder
	b.WriteString(s)
	pad(&b, n-pyLen(s))
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *controller) doPid(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		v, err := c.call("getPID")
		if err != nil {
			return false, err
		}
		c.output(pyStr(v))
	case contains(names, "all"):
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return false, err
		}
		for _, x := range toSlice(v) {
			m, _ := x.(map[string]any)
			c.output(pyStr(m["pid"]))
		}
	default:
		for _, name := range names {
			v, err := c.call("getProcessInfo", name)
			if err != nil {
				c.exit = exitGeneric
				if faultCode(err) == faultBadName {
					c.output("No such process " + name)
					continue
				}
				return false, err
			}
			m, _ := v.(map[string]any)
			c.output(pyStr(m["pid"]))
			if toInt(m["pid"]) == 0 {
				c.exit = exitNotRunning
			}
		}
	}
	return false, nil
}

func (c *controller) startResult(r result) (string, error) {
	name := namespec(r.Group, r.Name)
	switch r.Status {
	case faultBadName:
		return name + ": ERROR (no such process)", nil
	case faultNoFile:
		return name + ": ERROR (no such file)", nil
	case faultNotExecutable:
		return name + ": ERROR (file is not executable)", nil
	case faultAlreadyStarted:
		return name + ": ERROR (already started)", nil
	case faultSpawnError:
		return name + ": ERROR (spawn error)", nil
	case faultAbnormalTermination:
		return name + ": ERROR (abnormal termination)", nil
	case faultSuccess:
		return name + ": started", nil
	}
	return "", &valueError{fmt.Sprintf("Unknown result code %d for %s", r.Status, name), 761, ""}
}

func (c *controller) signalResult(r result, success string, line int) (string, error) {
	name := namespec(r.Group, r.Name)
	switch r.Status {
	case faultBadName:
		return name + ": ERROR (no such process)", nil
	case faultBadSignal:
		return name + ": ERROR (bad signal name)", nil
	case faultNotRunning:
		return name + ": ERROR (not running)", nil
	case faultSuccess:
		return name + ": " + success, nil
	case faultFailed:
		return r.Description, nil
	}
	return "", &valueError{fmt.Sprintf("Unknown result code %d for %s", r.Status, name), line, ""}
}

func (c *controller) clearResult(r result) (string, error) {
	name := namespec(r.Group, r.Name)
	switch r.Status {
	case faultBadName:
		return name + ": ERROR (no such process)", nil
	case faultFailed:
		return name + ": ERROR (failed)", nil
	case faultSuccess:
		return name + ": cleared", nil
	}
	return "", &valueError{fmt.Sprintf("Unknown result code %d for %s", r.Status, name), 1260, ""}
}

// faultResult turns a single-process fault into the result 4.2 formats.
func faultResult(err error, group, process string) (result, bool) {
	f, ok := asFault(err)
	if !ok {
		return result{}, false
	}
	return result{Name: process, Group: group, Description: f.String, Status: f.Code}, true
}

// outputResults prints a multi-process answer with format and folds each
// status into the exit status.
func (c *controller) outputResults(v any, format func(result) (string, error), ignored int) error {
	for _, r := range toResults(v) {
		s, err := format(r)
		if err != nil {
			return err
		}
		c.output(s)
		c.setExitFromFault(r.Status, ignored)
	}
	return nil
}

// processCommand is the shape shared by start, stop and signal: "all", a
// group ("g:*"), or single processes.
type processCommand struct {
	all, group, one string // method names
	extra           []any  // extra parameters (the signal)
	format          func(result) (string, error)
	success         string
	ignored         int
	badGroupExit    int
	groupFaultExit  bool // exit 1 before re-raising other group faults
}

func (c *controller) runProcessCommand(pc processCommand, names []string) error {
	if contains(names, "all") {
		v, err := c.call(pc.all, pc.extra...)
		if err != nil {
			return err
		}
		return c.outputResults(v, pc.format, pc.ignored)
	}
	for _, name := range names {
		group, process, isGroup := splitNamespec(name)
		if isGroup {
			v, err := c.call(pc.group, append([]any{group}, pc.extra...)...)
			if err != nil {
				if faultCode(err) == faultBadName {
					c.output(group + ": ERROR (no such group)")
					c.exit = pc.badGroupExit
					continue
				}
				if pc.groupFaultExit {
					c.exit = exitGeneric
				}
				return err
			}
			if err := c.outputResults(v, pc.format, pc.ignored); err != nil {
				return err
			}
			continue
		}
		_, err := c.call(pc.one, append([]any{name}, pc.extra...)...)
		if err != nil {
			r, ok := faultResult(err, group, process)
			if !ok {
				return err
			}
			s, ferr := pc.format(r)
			if ferr != nil {
				return ferr
			}
			c.output(s)
			c.setExitFromFault(r.Status, pc.ignored)
			continue
		}
		c.output(namespec(group, process) + ": " + pc.success)
	}
	return nil
}

func (c *controller) doStart(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: start requires a process name")
		c.exit = exitInvalidArgs
		c.helpTopic("start")
		return false, nil
	}
	return false, c.runProcessCommand(processCommand{
		all: "startAllProcesses", group: "startProcessGroup", one: "startProcess",
		format: c.startResult, success: "started", ignored: faultAlreadyStarted,
		badGroupExit: exitInvalidArgs, groupFaultExit: true,
	}, names)
}

func (c *controller) stopResult(r result) (string, error) { return c.signalResult(r, "stopped", 835) }

func (c *controller) doStop(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: stop requires a process name")
		c.exit = exitGeneric
		c.helpTopic("stop")
		return false, nil
	}
	return false, c.runProcessCommand(processCommand{
		all: "stopAllProcesses", group: "stopProcessGroup", one: "stopProcess",
		format: c.stopResult, success: "stopped", ignored: faultNotRunning,
		badGroupExit: exitGeneric, groupFaultExit: true,
	}, names)
}

func (c *controller) doSignal(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 2 {
		c.output("Error: signal requires a signal name and a process name")
		c.helpTopic("signal")
		c.exit = exitGeneric
		return false, nil
	}
	format := func(r result) (string, error) { return c.signalResult(r, "signalled", 835) }
	return false, c.runProcessCommand(processCommand{
		all: "signalAllProcesses", group: "signalProcessGroup", one: "signalProcess",
		extra: []any{args[0]}, format: format, success: "signalled", ignored: faultSuccess,
		badGroupExit: exitGeneric,
	}, args[1:])
}

func (c *controller) doRestart(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	if len(strings.Fields(arg)) == 0 {
		c.output("Error: restart requires a process name")
		c.exit = exitGeneric
		c.helpTopic("restart")
		return false, nil
	}
	if _, err := c.doStop(arg); err != nil {
		return false, err
	}
	return c.doStart(arg)
}

func (c *controller) doShutdown(arg string) (bool, error) {
	if arg != "" {
		c.output("Error: shutdown accepts no arguments")
		c.exit = exitGeneric
		c.helpTopic("shutdown")
		return false, nil
	}
	if c.interactive {
		really, err := c.confirm("Really shut the remote supervisord process down y/N? ")
		if err != nil || !really {
			return false, err
		}
	}
	if _, err := c.call("shutdown"); err != nil {
		if f, ok := asFault(err); ok {
			if f.Code == faultShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
			c.exit = exitGeneric
			return false, err
		}
		if _, ok := httpStatus(err); ok {
			return false, err
		}
		c.exit = exitGeneric
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			c.output("ERROR: " + c.opts.ServerURL + " refused connection (already shut down?)")
			return false, nil
		case errors.Is(err, syscall.ENOENT):
			c.output("ERROR: " + c.opts.ServerURL + " no such file (already shut down?)")
			return false, nil
		}
		return false, err
	}
	c.output("Shut down")
	return false, nil
}

// confirm asks a y/N question on the shell's input, like raw_input.
func (c *controller) confirm(question string) (bool, error) {
	answer, err := c.lines.Prompt(question)
	if err != nil {
		return false, errEOF
	}
	return strings.HasPrefix(strings.ToLower(answer), "y"), nil
}

func (c *controller) doReload(arg string) (bool, error) {
	if arg != "" {
		c.output("Error: reload accepts no arguments")
		c.exit = exitGeneric
		c.helpTopic("reload")
		return false, nil
	}
	if c.interactive {
		really, err := c.confirm("Really restart the remote supervisord process y/N? ")
		if err != nil || !really {
			return false, err
		}
	}
	if _, err := c.call("restart"); err != nil {
		if f, ok := asFault(err); ok {
			c.exit = exitGeneric
			if f.Code == faultShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
		}
		return false, err
	}
	c.output("Restarted supervisord")
	return false, nil
}

// formatChanges prints reloadConfig's [added, changed, removed] as 4.2's
// reread does: one sorted line per group.
func (c *controller) formatChanges(v any) {
	lists := toSlice(v)
	kinds := []string{"available", "changed", "disappeared"}
	changes := map[string]string{}
	for i, kind := range kinds {
		if i < len(lists) {
			for _, name := range toStrings(lists[i]) {
				changes[name] = kind
			}
		}
	}
	if len(changes) == 0 {
		c.output("No config updates to processes")
		return
	}
	for _, name := range sortedKeys(changes) {
		c.output(name + ": " + changes[name])
	}
}

func (c *controller) doAvail(arg string) (bool, error) {
	if arg != "" {
		c.output("Error: avail accepts no arguments")
		c.exit = exitGeneric
		c.helpTopic("avail")
		return false, nil
	}
	v, err := c.call("getAllConfigInfo")
	if err != nil {
		if faultCode(err) != 0 {
			c.exit = exitGeneric
			if faultCode(err) == faultShutdownState {
				c.output("ERROR: supervisor shutting down")
				return false, nil
			}
		}
		return false, err
	}
	for _, x := range toSlice(v) {
		m, _ := x.(map[string]any)
		inuse, auto := "avail", "manual"
		if toBool(m["inuse"]) {
			inuse = "in use"
		}
		if toBool(m["autostart"]) {
			auto = "auto"
		}
		name := namespec(toString(m["group"]), toString(m["name"]))
		c.output(ljust(name, 32) + " " + ljust(inuse, 9) + " " + ljust(auto, 9) + " " +
			pyStr(m["group_prio"]) + ":" + pyStr(m["process_prio"]))
	}
	return false, nil
}

func (c *controller) doReread(arg string) (bool, error) {
	if arg != "" {
		c.output("Error: reread accepts no arguments")
		c.exit = exitGeneric
		c.helpTopic("reread")
		return false, nil
	}
	v, err := c.call("reloadConfig")
	if err != nil {
		if f, ok := asFault(err); ok {
			c.exit = exitGeneric
			switch f.Code {
			case faultShutdownState:
				c.output("ERROR: supervisor shutting down")
				return false, nil
			case faultCantReread:
				c.output("ERROR: " + f.String)
				return false, nil
			}
		}
		return false, err
	}
	c.formatChanges(first(v))
	return false, nil
}

func first(v any) any {
	if s := toSlice(v); len(s) > 0 {
		return s[0]
	}
	return nil
}

func (c *controller) doAdd(arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call("addProcessGroup", name); err != nil {
			switch faultCode(err) {
			case faultShutdownState:
				c.output("ERROR: shutting down")
				c.exit = exitGeneric
			case faultAlreadyAdded:
				c.output("ERROR: process group already active")
			case faultBadName:
				c.output("ERROR: no such process/group: " + name)
				c.exit = exitGeneric
			default:
				if _, ok := asFault(err); ok {
					c.exit = exitGeneric
				}
				return false, err
			}
			continue
		}
		c.output(name + ": added process group")
	}
	return false, nil
}

func (c *controller) doRemove(arg string) (bool, error) {
	for _, name := range strings.Fields(arg) {
		if _, err := c.call("removeProcessGroup", name); err != nil {
			if _, ok := asFault(err); !ok {
				return false, err
			}
			c.exit = exitGeneric
			switch faultCode(err) {
			case faultStillRunning:
				c.output("ERROR: process/group still running: " + name)
			case faultBadName:
				c.output("ERROR: no such process/group: " + name)
			default:
				return false, err
			}
			continue
		}
		c.output(name + ": removed process group")
	}
	return false, nil
}

func (c *controller) doUpdate(arg string) (bool, error) {
	v, err := c.call("reloadConfig")
	if err != nil {
		if f, ok := asFault(err); ok {
			c.exit = exitGeneric
			if f.Code == faultShutdownState {
				c.output("ERROR: already shutting down")
				return false, nil
			}
		}
		return false, err
	}
	lists := toSlice(first(v))
	var added, changed, removed []string
	if len(lists) == 3 {
		added, changed, removed = toStrings(lists[0]), toStrings(lists[1]), toStrings(lists[2])
	}
	// 4.2 keeps the names in a set; "all" means no filter.
	var valid []string
	for _, name := range strings.Fields(arg) {
		if !contains(valid, name) {
			valid = append(valid, name)
		}
	}
	if contains(valid, "all") {
		valid = nil
	}
	if len(valid) > 0 {
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return false, err
		}
		groups := map[string]bool{}
		for _, info := range toProcInfos(v) {
			groups[info.Group] = true
		}
		for _, g := range added {
			groups[g] = true
		}
		for _, g := range valid {
			if !groups[g] {
				c.output("ERROR: no such group: " + g)
				c.exit = exitGeneric
			}
		}
	}
	skip := func(g string) bool { return len(valid) > 0 && !contains(valid, g) }
	for _, g := range removed {
		if skip(g) {
			continue
		}
		v, err := c.call("stopProcessGroup", g)
		if err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		failed := false
		for _, r := range toResults(v) {
			failed = failed || r.Status == faultFailed
		}
		if failed {
			c.output(g + ": has problems; not removing")
			c.exit = exitGeneric
			continue
		}
		if _, err := c.call("removeProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": removed process group")
	}
	for _, g := range changed {
		if skip(g) {
			continue
		}
		if _, err := c.call("stopProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": stopped")
		if _, err := c.call("removeProcessGroup", g); err != nil {
			return false, err
		}
		if _, err := c.call("addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": updated process group")
	}
	for _, g := range added {
		if skip(g) {
			continue
		}
		if _, err := c.call("addProcessGroup", g); err != nil {
			return false, err
		}
		c.output(g + ": added process group")
	}
	return false, nil
}

func (c *controller) doClear(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("Error: clear requires a process name")
		c.exit = exitGeneric
		c.helpTopic("clear")
		return false, nil
	}
	if contains(names, "all") {
		v, err := c.call("clearAllProcessLogs")
		if err != nil {
			return false, err
		}
		return false, c.outputResults(v, c.clearResult, faultSuccess)
	}
	for _, name := range names {
		group, process, _ := splitNamespec(name)
		if _, err := c.call("clearProcessLogs", name); err != nil {
			r, ok := faultResult(err, group, process)
			if !ok {
				return false, err
			}
			s, ferr := c.clearResult(r)
			if ferr != nil {
				return false, ferr
			}
			c.output(s)
			c.setExitFromFault(r.Status, faultSuccess)
			continue
		}
		c.output(namespec(group, process) + ": cleared")
	}
	return false, nil
}

func (c *controller) doOpen(arg string) (bool, error) {
	u := strings.TrimFunc(arg, isPySpace)
	if scheme := urlScheme(u); scheme != "unix" && scheme != "http" {
		c.output("ERROR: url must be http:// or unix://")
		c.exit = exitGeneric
		return false, nil
	}
	c.opts.ServerURL = u
	old := c.exit
	_, err := c.doStatus("")
	c.exit = old
	return false, err
}

func isPySpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// urlScheme is the scheme Python's urlparse finds: lower-cased, and only
// when it is a valid scheme.
func urlScheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	if u, err := url.Parse(s[:i] + ":"); err != nil || u.Scheme == "" {
		return ""
	}
	return strings.ToLower(s[:i])
}

func (c *controller) doVersion(arg string) (bool, error) {
	if arg != "" {
		c.output("Error: version accepts no arguments")
		c.exit = exitGeneric
		c.helpTopic("version")
		return false, nil
	}
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	v, err := c.call("getSupervisorVersion")
	if err != nil {
		return false, err
	}
	c.output(toString(v))
	return false, nil
}

// names of groups, for completion and sorting helpers.
func groupNames(infos []procInfo) []string {
	var out []string
	seen := map[string]bool{}
	for _, info := range infos {
		if !seen[info.Group] {
			seen[info.Group] = true
			out = append(out, info.Group)
		}
	}
	return out
}

var _ = sort.Strings
