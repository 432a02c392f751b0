package config

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"super/core/pyrepr"
)

// eventTypes are the names [eventlistener:x] events= accepts (4.2's
// supervisor.events.EventTypes).
var eventTypes = map[string]bool{
	"EVENT": true, "PROCESS_COMMUNICATION": true, "PROCESS_COMMUNICATION_STDERR": true,
	"PROCESS_COMMUNICATION_STDOUT": true, "PROCESS_GROUP": true, "PROCESS_GROUP_ADDED": true,
	"PROCESS_GROUP_REMOVED": true, "PROCESS_LOG": true, "PROCESS_LOG_STDERR": true,
	"PROCESS_LOG_STDOUT": true, "PROCESS_STATE": true, "PROCESS_STATE_BACKOFF": true,
	"PROCESS_STATE_EXITED": true, "PROCESS_STATE_FATAL": true, "PROCESS_STATE_RUNNING": true,
	"PROCESS_STATE_STARTING": true, "PROCESS_STATE_STOPPED": true, "PROCESS_STATE_STOPPING": true,
	"PROCESS_STATE_UNKNOWN": true, "REMOTE_COMMUNICATION": true, "SUPERVISOR_STATE_CHANGE": true,
	"SUPERVISOR_STATE_CHANGE_RUNNING": true, "SUPERVISOR_STATE_CHANGE_STOPPING": true,
	"TICK": true, "TICK_3600": true, "TICK_5": true, "TICK_60": true,
}

// groups is process_groups_from_parser: heterogeneous groups first, then
// programs, event listener pools and FastCGI pools, sorted by priority then
// name (a stable sort, as Python's).
func (l *loader) groups() ([]*GroupConfig, error) {
	var groups []*GroupConfig
	sections := l.doc.Sections()
	exclude := map[string]bool{}
	claimedBy := map[string]string{}
	common := map[string]any{"here": l.here}

	for _, section := range sections {
		if !strings.HasPrefix(section, "group:") {
			continue
		}
		groupSec := section
		_, rest, _ := strings.Cut(section, ":")
		name, err := processOrGroupName(rest)
		if err != nil {
			return nil, l.errAt(groupSec, "", err.Error())
		}
		progs, err := l.value(groupSec, "programs", "", common)
		if err != nil {
			return nil, err
		}
		priority, err := l.integer(groupSec, "priority", "999", common)
		if err != nil {
			return nil, err
		}
		g := &GroupConfig{Name: name, Kind: KindGroup, Priority: priority}
		// 4.2 reuses its loop variable here, so after the first program its
		// messages name the previous program's section; kept verbatim.
		msgSec := groupSec
		for _, prog := range listOfStrings(progs) {
			ps, fs := "program:"+prog, "fcgi-program:"+prog
			hasP, hasF := l.doc.HasSection(ps), l.doc.HasSection(fs)
			if !hasP && !hasF {
				return nil, l.errAt(groupSec, "programs", fmt.Sprintf("[%s] names unknown program or fcgi-program %s", msgSec, prog))
			}
			if hasP && hasF {
				return nil, l.errAt(groupSec, "programs", fmt.Sprintf("[%s] name %s is ambiguous (exists as program and fcgi-program)", msgSec, prog))
			}
			msgSec = ps
			if hasF {
				msgSec = fs
			}
			if other, ok := claimedBy[msgSec]; ok && other != name {
				// 4.2 would run the program once in each group; two
				// copies of one program is never what a config means.
				return nil, l.errAt(groupSec, "programs", fmt.Sprintf("[%s] is named in both [group:%s] and [group:%s]", msgSec, other, name))
			}
			claimedBy[msgSec] = name
			exclude[msgSec] = true
			procs, err := l.processes(msgSec, name, false)
			if err != nil {
				return nil, err
			}
			g.Processes = append(g.Processes, procs...)
		}
		groups = append(groups, g)
	}

	for _, section := range sections {
		if !strings.HasPrefix(section, "program:") || exclude[section] {
			continue
		}
		_, rest, _ := strings.Cut(section, ":")
		name, err := processOrGroupName(rest)
		if err != nil {
			return nil, l.errAt(section, "", err.Error())
		}
		priority, err := l.integer(section, "priority", "999", common)
		if err != nil {
			return nil, err
		}
		procs, err := l.processes(section, name, false)
		if err != nil {
			return nil, err
		}
		groups = append(groups, &GroupConfig{Name: name, Kind: KindProgram, Priority: priority, Processes: procs})
	}

	for _, section := range sections {
		if !strings.HasPrefix(section, "eventlistener:") {
			continue
		}
		g, err := l.eventListener(section, common)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}

	for _, section := range sections {
		if !strings.HasPrefix(section, "fcgi-program:") || exclude[section] {
			continue
		}
		g, err := l.fcgiProgram(section, common)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}

	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Priority != groups[j].Priority {
			return groups[i].Priority < groups[j].Priority
		}
		return groups[i].Name < groups[j].Name
	})
	return groups, nil
}

func (l *loader) eventListener(section string, common map[string]any) (*GroupConfig, error) {
	_, name, _ := strings.Cut(section, ":")
	priority, err := l.integer(section, "priority", "-1", common)
	if err != nil {
		return nil, err
	}
	bufsize, err := l.integer(section, "buffer_size", "10", common)
	if err != nil {
		return nil, err
	}
	if bufsize < 1 {
		return nil, l.errAt(section, "buffer_size", fmt.Sprintf("[%s] section sets invalid buffer_size (%d)", section, bufsize))
	}
	handler, err := l.value(section, "result_handler", DefaultResultHandler, common)
	if err != nil {
		return nil, err
	}
	if err := l.checkResultHandler(section, handler); err != nil {
		return nil, err
	}
	evs, err := l.value(section, "events", "", common)
	if err != nil {
		return nil, err
	}
	var events []string
	seen := map[string]bool{}
	for _, e := range listOfStrings(evs) {
		e = strings.ToUpper(e)
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return nil, l.errAt(section, "events", fmt.Sprintf("[%s] section requires an \"events\" line", section))
	}
	for _, e := range events {
		if !eventTypes[e] {
			return nil, l.errAt(section, "events", fmt.Sprintf("Unknown event type %s in [%s] events", e, section))
		}
	}
	redirect, err := l.boolean(section, "redirect_stderr", "false", common)
	if err != nil {
		return nil, err
	}
	if redirect {
		return nil, l.errAt(section, "redirect_stderr", fmt.Sprintf("[%s] section sets redirect_stderr=true "+
			"but this is not allowed because it will interfere with the eventlistener protocol", section))
	}
	procs, err := l.processes(section, name, true)
	if err != nil {
		return nil, err
	}
	return &GroupConfig{Name: name, Kind: KindEventListener, Priority: priority, Processes: procs,
		Events: events, BufferSize: bufsize, ResultHandler: handler}, nil
}

var tcpSocketRE = regexp.MustCompile(`^tcp://([^\s:]+):(\d+)$`)

func (l *loader) fcgiProgram(section string, common map[string]any) (*GroupConfig, error) {
	_, rest, _ := strings.Cut(section, ":")
	name, err := processOrGroupName(rest)
	if err != nil {
		return nil, l.errAt(section, "", err.Error())
	}
	priority, err := l.integer(section, "priority", "999", common)
	if err != nil {
		return nil, err
	}
	procUID := -1
	if _, ok := l.raw(section, "user"); ok {
		u, err := l.value(section, "user", "", common)
		if err != nil {
			return nil, err
		}
		if procUID, err = lookupUID(u); err != nil {
			return nil, l.conv(section, "user", err)
		}
	}
	sock := &FCGISocket{OwnerUID: -1, OwnerGID: -1}
	if _, ok := l.raw(section, "socket_backlog"); ok {
		if sock.Backlog, err = l.integer(section, "socket_backlog", "", common); err != nil {
			return nil, err
		}
		if sock.Backlog < 1 || sock.Backlog > 65535 {
			return nil, l.errAt(section, "socket_backlog", fmt.Sprintf("Invalid socket_backlog value %d", sock.Backlog))
		}
	}
	ownerSet, modeSet := false, false
	if _, ok := l.raw(section, "socket_owner"); ok {
		v, err := l.value(section, "socket_owner", "", common)
		if err != nil {
			return nil, err
		}
		if sock.OwnerUID, sock.OwnerGID, err = parseUserGroup(v); err != nil {
			return nil, l.errAt(section, "socket_owner", fmt.Sprintf("Invalid socket_owner value %s", v))
		}
		ownerSet = true
	}
	if _, ok := l.raw(section, "socket_mode"); ok {
		v, err := l.value(section, "socket_mode", "", common)
		if err != nil {
			return nil, err
		}
		if sock.Mode, err = parseOctal(v); err != nil {
			return nil, l.errAt(section, "socket_mode", fmt.Sprintf("Invalid socket_mode value %s", v))
		}
		modeSet = true
	}
	exp := map[string]any{"program_name": name, "here": l.here}
	url, err := l.value(section, "socket", "", exp)
	if err != nil {
		return nil, err
	}
	if url == "" {
		return nil, l.errAt(section, "socket", fmt.Sprintf("[%s] section requires a \"socket\" line", section))
	}
	bad := func(msg string) error {
		return l.errAt(section, "socket", fmt.Sprintf("%s in [%s] socket", msg, section))
	}
	if path, ok := strings.CutPrefix(url, "unix://"); ok {
		if !strings.HasPrefix(path, "/") {
			// 4.2 raises ValueError with two arguments; its text is the tuple.
			return nil, bad(fmt.Sprintf("('Unix socket path %%s is not an absolute path', %s)", pyrepr.Str(path)))
		}
		sock.URL = "unix://" + normalizePath(path)
		if !ownerSet && procUID >= 0 && procUID != os.Getuid() {
			sock.OwnerUID, sock.OwnerGID = procUID, gidForUID(procUID)
		}
		if !modeSet {
			sock.Mode = 0o700
		}
	} else {
		if ownerSet || modeSet {
			return nil, bad("socket_owner and socket_mode params should only be used with a Unix domain socket")
		}
		m := tcpSocketRE.FindStringSubmatch(url)
		if m == nil {
			return nil, bad(fmt.Sprintf("('Bad socket format %%s', %s)", pyrepr.Str(url)))
		}
		port, err := portNumber(m[2])
		if err != nil {
			return nil, bad(err.Error())
		}
		sock.URL = "tcp://" + strings.ToLower(m[1]) + ":" + strconv.Itoa(port)
	}
	procs, err := l.processes(section, name, false)
	if err != nil {
		return nil, err
	}
	return &GroupConfig{Name: name, Kind: KindFCGI, Priority: priority, Processes: procs, Socket: sock}, nil
}

// processes is processes_from_section: the process configs one [program:x]
// (or listener / fcgi) section expands to, sorted by priority then name.
// Values are read and expanded in 4.2's order and with its expansion sets,
// because that decides which %(name)s a key may use.
func (l *loader) processes(section, group string, listener bool) ([]*ProcessConfig, error) {
	_, rest, _ := strings.Cut(section, ":")
	progName, err := processOrGroupName(rest)
	if err != nil {
		return nil, l.errAt(section, "", err.Error())
	}
	// common is shared and grows inside the loop (4.2 aliases it), so keys
	// read after the first process see process_num, numprocs and ENV_x.
	// supervisord's ENV_x are not in it: expansions read them from the
	// base layer (vars), as 4.2's saneget adds the parser's expansions.
	common := make(map[string]any, 8)
	common["here"], common["program_name"] = l.here, progName
	common["host_node_name"], common["group_name"] = l.hostname, group
	p := ProcessConfig{Group: group, Section: section, IsEventListener: listener, Umask: -1, UID: -1, GID: -1}
	if p.Priority, err = l.integer(section, "priority", "999", common); err != nil {
		return nil, err
	}
	if p.Autostart, err = l.boolean(section, "autostart", "true", common); err != nil {
		return nil, err
	}
	if p.Autorestart, err = parsed(l, section, "autorestart", "unexpected", common, parseAutorestart); err != nil {
		return nil, err
	}
	if p.Startsecs, err = l.integer(section, "startsecs", "1", common); err != nil {
		return nil, err
	}
	if p.Startretries, err = parsed(l, section, "startretries", "3", common, parseStartretries); err != nil {
		return nil, err
	}
	if p.Stopsignal, err = parsed(l, section, "stopsignal", "TERM", common, parseSignal); err != nil {
		return nil, err
	}
	if p.Stopwaitsecs, err = l.integer(section, "stopwaitsecs", "10", common); err != nil {
		return nil, err
	}
	if p.Stopasgroup, err = l.boolean(section, "stopasgroup", "false", common); err != nil {
		return nil, err
	}
	p.Killasgroup = p.Stopasgroup
	if _, ok := l.raw(section, "killasgroup"); ok {
		if p.Killasgroup, err = l.boolean(section, "killasgroup", "", common); err != nil {
			return nil, err
		}
	}
	if p.Exitcodes, err = parsed(l, section, "exitcodes", "0", common, parseExitcodes); err != nil {
		return nil, err
	}
	if p.RedirectStderr, err = l.boolean(section, "redirect_stderr", "false", common); err != nil {
		return nil, err
	}
	numprocs, err := l.integer(section, "numprocs", "1", common)
	if err != nil {
		return nil, err
	}
	numprocsStart, err := l.integer(section, "numprocs_start", "0", common)
	if err != nil {
		return nil, err
	}
	envTemplate, _ := l.raw(section, "environment")
	if p.Stdout.CaptureMaxbytes, err = l.byteSize(section, "stdout_capture_maxbytes", "0", common); err != nil {
		return nil, err
	}
	if p.Stdout.EventsEnabled, err = l.boolean(section, "stdout_events_enabled", "false", common); err != nil {
		return nil, err
	}
	if p.Stderr.CaptureMaxbytes, err = l.byteSize(section, "stderr_capture_maxbytes", "0", common); err != nil {
		return nil, err
	}
	if p.Stderr.EventsEnabled, err = l.boolean(section, "stderr_events_enabled", "false", common); err != nil {
		return nil, err
	}
	var v string
	p.ServerURL = "AUTO"
	if _, ok := l.raw(section, "serverurl"); ok {
		if v, err = l.value(section, "serverurl", "", common); err != nil {
			return nil, err
		}
		if v != "" && strings.ToUpper(pyStrip(v)) != "AUTO" {
			p.ServerURL = v
		}
	}
	if _, ok := l.raw(section, "user"); ok {
		if p.User, err = l.value(section, "user", "", common); err != nil {
			return nil, err
		}
		if p.UID, err = lookupUID(p.User); err != nil {
			return nil, l.conv(section, "user", err)
		}
		p.GID = gidForUID(p.UID)
	}
	if _, ok := l.raw(section, "umask"); ok {
		if p.Umask, err = parsed(l, section, "umask", "", common, parseOctal); err != nil {
			return nil, err
		}
	}
	nameTemplate, ok := l.raw(section, "process_name")
	if !ok {
		nameTemplate = "%(program_name)s"
	}
	if nameTemplate, err = processOrGroupName(nameTemplate); err != nil {
		return nil, l.conv(section, "process_name", err)
	}
	if numprocs > 1 && !strings.Contains(nameTemplate, "%(process_num)") {
		return nil, l.errAt(section, "process_name", "%(process_num) must be present within process_name when numprocs > 1")
	}
	if p.Stopasgroup && !p.Killasgroup {
		return nil, l.errAt(section, "killasgroup", "Cannot set stopasgroup=true and killasgroup=false")
	}

	var procs []*ProcessConfig
	var progEnv []string // the ENV_x the last process's environment set
	for num := numprocsStart; num < numprocsStart+numprocs; num++ {
		exp := common
		exp["process_num"], exp["numprocs"] = num, numprocs
		// 4.2 updates the aliased dict with supervisord's ENV_x here, so
		// a name the previous process's environment set goes back to
		// supervisord's value: dropped from exp, the base shows through.
		// (Copying the hundred-odd ENV_x into exp for every process was a
		// third of loading 500 programs.)
		for _, k := range progEnv {
			if _, ok := l.envExp[k]; ok {
				delete(exp, k)
			}
		}
		progEnv = progEnv[:0]
		ev, err := l.expandAs(section, "environment", envTemplate, exp, "environment")
		if err != nil {
			return nil, err
		}
		env, err := parseKeyValuePairs(ev)
		if err != nil {
			return nil, l.conv(section, "environment", err)
		}
		for k, x := range env {
			exp["ENV_"+k] = x
			progEnv = append(progEnv, "ENV_"+k)
		}
		q := p
		q.Exitcodes = append([]int(nil), p.Exitcodes...)
		if len(env) > 0 {
			q.Environment = env
		}
		if q.Directory, err = l.value(section, "directory", "", exp); err != nil {
			return nil, err
		}
		for _, ch := range []struct {
			name string
			lc   *LogConfig
		}{{"stdout", &q.Stdout}, {"stderr", &q.Stderr}} {
			key := ch.name + "_logfile"
			lf := LogAuto
			if l.containerLogs {
				lf = LogNone
			}
			if _, ok := l.raw(section, key); ok {
				// Expanded twice, as in 4.2: once by saneget, once more here.
				if v, err = l.value(section, key, "", exp); err != nil {
					return nil, err
				}
				if v, err = l.expandAs(section, key, v, exp, key); err != nil {
					return nil, err
				}
				if lf, err = parseLogfile(v); err != nil {
					return nil, l.conv(section, key, err)
				}
			}
			if ch.lc.Backups, err = l.integer(section, ch.name+"_logfile_backups", "10", exp); err != nil {
				return nil, err
			}
			if ch.lc.Maxbytes, err = l.byteSize(section, ch.name+"_logfile_maxbytes", "50MB", exp); err != nil {
				return nil, err
			}
			ch.lc.Syslog = false
			if _, ok := l.raw(section, ch.name+"_syslog"); ok {
				if ch.lc.Syslog, err = l.boolean(section, ch.name+"_syslog", "", exp); err != nil {
					return nil, err
				}
			}
			if lf == LogSyslog {
				l.warnings = append(l.warnings, fmt.Sprintf("For [%s], %s=syslog but this is deprecated and will "+
					"be removed.  Use %s_syslog=true to enable syslog instead.", section, key, ch.name))
				lf, ch.lc.Syslog = LogNone, true
			}
			if lf == LogAuto && ch.lc.Maxbytes == 0 {
				l.warnings = append(l.warnings, fmt.Sprintf("For [%s], AUTO logging used for %s without "+
					"rollover, set maxbytes > 0 to avoid filling up filesystem unintentionally", section, key))
			}
			ch.lc.Logfile = lf
		}
		if q.RedirectStderr {
			if q.Stderr.Logfile != LogAuto && q.Stderr.Logfile != LogNone {
				l.warnings = append(l.warnings, fmt.Sprintf("For [%s], redirect_stderr=true but stderr_logfile has "+
					"also been set to a filename, the filename has been ignored", section))
			}
			q.Stderr.Logfile = LogNone
		}
		if _, ok := l.raw(section, "command"); !ok {
			return nil, l.errAt(section, "command", fmt.Sprintf("program section %s does not specify a command", section))
		}
		if q.Command, err = l.value(section, "command", "", exp); err != nil {
			return nil, err
		}
		if q.Name, err = l.expandAs(section, "process_name", nameTemplate, exp, "process_name"); err != nil {
			return nil, err
		}
		if err := l.processExtras(section, &q, exp); err != nil {
			return nil, err
		}
		if err := l.processEnviron(section, &q, exp); err != nil {
			return nil, err
		}
		if err := l.processNotify(section, &q, exp); err != nil {
			return nil, err
		}
		if err := l.processLifecycle(section, &q, exp); err != nil {
			return nil, err
		}
		if err := l.processLogs(section, &q, exp); err != nil {
			return nil, err
		}
		if err := l.readResources(section, &q, exp); err != nil { // resources.go
			return nil, err
		}
		procs = append(procs, &q)
	}
	sort.SliceStable(procs, func(i, j int) bool {
		if procs[i].Priority != procs[j].Priority {
			return procs[i].Priority < procs[j].Priority
		}
		return procs[i].Name < procs[j].Name
	})
	return procs, nil
}
