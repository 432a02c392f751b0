package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Keys super adds beside Supervisor 4.2's (issue 12: containers,
// dependencies, health checks). They are read after every 4.2 key of a
// section, so a config that 4.2 rejects fails with 4.2's message first, and
// a 4.2 config without them loads exactly as before: every new key defaults
// to "off".
//
// [supervisord]
//
//	container_logs = false   every program's output lines also go to the
//	                         daemon's stdout/stderr as "name | line"; unset
//	                         *_logfile keys mean NONE instead of AUTO
//	exit_when_done = false   once every program that ran is done (none
//	                         running, starting or due to restart), stop and exit
//
// [program:x] (and the other process sections)
//
//	critical = false         when this process goes FATAL, or exits and is not
//	                         restarted, stop everything and exit with its status
//	depends_on =             programs (group or group:process) that must be
//	                         RUNNING, healthy when checked, before an automatic
//	                         start; stopped in reverse order
//	healthcheck =            http://…, https://…, tcp://host:port, or a command
//	healthcheck_interval = 10, healthcheck_timeout = 5 (seconds, fractions allowed)
//	healthcheck_retries = 3, healthcheck_start_period = 0
//	healthcheck_action = restart | none

// HealthKind says how a health check probes its process.
type HealthKind int

const (
	HealthExec HealthKind = iota // run a command; exit status 0 is healthy
	HealthHTTP                   // GET a URL; a 2xx or 3xx answer is healthy
	HealthTCP                    // connect to host:port
)

func (k HealthKind) String() string {
	switch k {
	case HealthHTTP:
		return "http"
	case HealthTCP:
		return "tcp"
	}
	return "exec"
}

// HealthAction is what an unhealthy verdict does to the process.
type HealthAction int

const (
	HealthRestart HealthAction = iota // stop and start the process again
	HealthNone                        // only report it (status, RPC, metrics)
)

// HealthCheck is one process's healthcheck* keys.
type HealthCheck struct {
	Kind HealthKind
	// Target is the command line (HealthExec, split as command= is), the
	// URL (HealthHTTP) or host:port (HealthTCP).
	Target      string
	Interval    time.Duration // between the end of one probe and the next
	Timeout     time.Duration // a probe taking longer fails
	Retries     int           // consecutive failures that make it unhealthy
	StartPeriod time.Duration // after a spawn, failures here do not count
	Action      HealthAction
}

// Dependency is one depends_on entry, resolved: the group and, when the
// entry named one process, that process ("" = every process of the group).
type Dependency struct {
	Group   string
	Process string
}

func (d Dependency) String() string {
	if d.Process == "" {
		return d.Group
	}
	return d.Group + ":" + d.Process
}

// readSupervisordExtras reads super's own [supervisord] keys.
func (l *loader) readSupervisordExtras(s *Supervisord, exp map[string]any) error {
	const sec = "supervisord"
	var err error
	if s.ContainerLogs, err = l.boolean(sec, "container_logs", "false", exp); err != nil {
		return err
	}
	if s.ExitWhenDone, err = l.boolean(sec, "exit_when_done", "false", exp); err != nil {
		return err
	}
	if s.Cgroups, err = l.boolean(sec, "cgroups", "false", exp); err != nil {
		return err
	}
	return nil
}

// processExtras reads super's own keys of a process section into p.
func (l *loader) processExtras(section string, p *ProcessConfig, exp map[string]any) error {
	var err error
	if p.Critical, err = l.boolean(section, "critical", "false", exp); err != nil {
		return err
	}
	v, err := l.value(section, "depends_on", "", exp)
	if err != nil {
		return err
	}
	p.DependsOn = nil
	for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || pyIsSpace(r) }) {
		g, proc, _ := strings.Cut(name, ":")
		if g == "" || strings.Contains(proc, ":") {
			return l.errAt(section, "depends_on", fmt.Sprintf("bad depends_on entry %q: expected a group or group:process name", name))
		}
		p.DependsOn = append(p.DependsOn, Dependency{Group: g, Process: proc})
	}
	p.Healthcheck, err = l.healthcheck(section, exp)
	return err
}

func (l *loader) healthcheck(section string, exp map[string]any) (*HealthCheck, error) {
	v, err := l.value(section, "healthcheck", "", exp)
	if err != nil {
		return nil, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		for _, k := range []string{"interval", "timeout", "retries", "start_period", "action"} {
			if _, ok := l.raw(section, "healthcheck_"+k); ok {
				return nil, l.errAt(section, "healthcheck_"+k, "healthcheck_"+k+" is set but healthcheck is not")
			}
		}
		return nil, nil
	}
	h := &HealthCheck{Target: v}
	if h.Kind, h.Target, err = parseHealthTarget(v); err != nil {
		return nil, l.conv(section, "healthcheck", err)
	}
	if h.Interval, err = parsed(l, section, "healthcheck_interval", "10", exp, positiveSeconds); err != nil {
		return nil, err
	}
	if h.Timeout, err = parsed(l, section, "healthcheck_timeout", "5", exp, positiveSeconds); err != nil {
		return nil, err
	}
	if h.StartPeriod, err = parsed(l, section, "healthcheck_start_period", "0", exp, seconds); err != nil {
		return nil, err
	}
	if h.Retries, err = l.integer(section, "healthcheck_retries", "3", exp); err != nil {
		return nil, err
	}
	if h.Retries < 1 {
		return nil, l.errAt(section, "healthcheck_retries", fmt.Sprintf("healthcheck_retries must be at least 1, not %d", h.Retries))
	}
	if h.Action, err = parsed(l, section, "healthcheck_action", "restart", exp, parseHealthAction); err != nil {
		return nil, err
	}
	return h, nil
}

// parseHealthTarget tells the probe kind from the healthcheck value.
func parseHealthTarget(v string) (HealthKind, string, error) {
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return 0, "", fmt.Errorf("bad healthcheck URL %q", v)
		}
		return HealthHTTP, v, nil
	case strings.HasPrefix(lower, "tcp://"):
		addr := v[len("tcp://"):]
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return 0, "", fmt.Errorf("bad healthcheck address %q: expected tcp://host:port", v)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return 0, "", fmt.Errorf("bad healthcheck port in %q", v)
		}
		return HealthTCP, addr, nil
	}
	return HealthExec, v, nil
}

func parseHealthAction(s string) (HealthAction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "restart":
		return HealthRestart, nil
	case "none":
		return HealthNone, nil
	}
	return 0, fmt.Errorf("invalid healthcheck_action %q: expected restart or none", s)
}

// seconds reads a number of seconds, fractions allowed ("0.5").
func seconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 365*24*3600 {
		return 0, fmt.Errorf("not a number of seconds: %q", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func positiveSeconds(s string) (time.Duration, error) {
	d, err := seconds(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("must be more than 0 seconds: %q", s)
	}
	return d, err
}

// checkDependencies checks every depends_on entry names a configured
// group (and process), and that no process depends on itself through a
// chain; the error names the whole cycle.
func (l *loader) checkDependencies(cfg *Config) error {
	byGroup := map[string]*GroupConfig{}
	for _, g := range cfg.Groups {
		byGroup[g.Name] = g
	}
	type key struct{ group, name string }
	deps := map[key][]key{}
	var all []*ProcessConfig
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			all = append(all, p)
			k := key{p.Group, p.Name}
			for _, d := range p.DependsOn {
				dg := byGroup[d.Group]
				if dg == nil {
					return l.errAt(p.Section, "depends_on", fmt.Sprintf("depends_on names %s, which is not a configured program or group", d))
				}
				found := false
				for _, q := range dg.Processes {
					if d.Process == "" || q.Name == d.Process {
						deps[k] = append(deps[k], key{q.Group, q.Name})
						found = true
					}
				}
				if !found {
					return l.errAt(p.Section, "depends_on", fmt.Sprintf("depends_on names %s, which is not a process of group %s", d, d.Group))
				}
			}
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	mark := map[key]int{}
	var path []key
	var visit func(k key) []key
	visit = func(k key) []key {
		switch mark[k] {
		case onPath:
			for i, x := range path {
				if x == k {
					return append(append([]key(nil), path[i:]...), k)
				}
			}
		case done:
			return nil
		}
		mark[k] = onPath
		path = append(path, k)
		for _, d := range deps[k] {
			if c := visit(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		mark[k] = done
		return nil
	}
	for _, p := range all {
		if cycle := visit(key{p.Group, p.Name}); cycle != nil {
			names := make([]string, len(cycle))
			for i, k := range cycle {
				names[i] = k.name
				if k.group != k.name {
					names[i] = k.group + ":" + k.name
				}
			}
			var sec string
			for _, q := range all {
				if q.Group == cycle[0].group && q.Name == cycle[0].name {
					sec = q.Section
				}
			}
			return l.errAt(sec, "depends_on", "depends_on cycle: "+strings.Join(names, " -> "))
		}
	}
	return nil
}
