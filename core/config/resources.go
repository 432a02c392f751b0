package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall"
)

// Resource control keys (issue 23). Every key is off by default, so a 4.2
// config loads and runs exactly as before.
//
// [supervisord]
//
//	cgroups = false          give every program a control group (else only
//	                         programs that set a cgroup key below get one)
//
// [program:x] (and [eventlistener:x], [fcgi-program:x])
//
//	rlimit_nofile, rlimit_nproc          SOFT[:HARD] counts, or unlimited
//	rlimit_core, rlimit_as,
//	rlimit_memlock, rlimit_stack         SOFT[:HARD] byte sizes (KB/MB/GB), or unlimited
//	memory_max, memory_high  byte sizes: the cgroup's hard limit (OOM kill
//	                         above it) and throttling threshold
//	cpu_quota                percent of one CPU, e.g. 50% or 150%
//	cpu_weight               1..10000 (100 is the default share)
//	pids_max                 most processes and threads the program's tree may have
//	killmode = process       process: 4.2's stop (stopasgroup/killasgroup);
//	                         cgroup: stop signals every process of the
//	                         program's cgroup, SIGKILL kills all of it, and
//	                         the program is STOPPED once the cgroup is empty
//	memory_restart           byte size: restart the program when its tree's
//	                         memory stays above it for three samples

// KillMode is how a stop reaches a program's processes.
type KillMode int

const (
	KillProcess KillMode = iota // 4.2: the child (or its process group)
	KillCgroup                  // every process of the program's cgroup
)

func (k KillMode) String() string {
	if k == KillCgroup {
		return "cgroup"
	}
	return "process"
}

// RlimInfinity is "unlimited" in an Rlimit.
const RlimInfinity = ^uint64(0)

// Rlimit is one rlimit_* key.
type Rlimit struct {
	Key      string // "rlimit_nofile"
	Resource int    // syscall.RLIMIT_NOFILE
	Soft     uint64 // RlimInfinity for unlimited
	Hard     uint64
}

// Resources are a process's resource control keys; the zero value is
// 4.2's behaviour (no limits, no cgroup, killmode=process).
type Resources struct {
	Rlimits []Rlimit // in rlimitKeys' order; nil when none is set

	// Cgroup: the process gets a control group of its own, because a key
	// below that needs one is set or [supervisord] cgroups=true.
	Cgroup     bool
	MemoryMax  int64   // bytes; 0 = no limit
	MemoryHigh int64   // bytes; 0 = no limit
	CPUQuota   float64 // percent of one CPU; 0 = no limit
	CPUWeight  int     // 1..10000; 0 = the system's default
	PidsMax    int     // 0 = no limit
	KillMode   KillMode

	MemoryRestart int64 // bytes; 0 = off
}

// HasCgroupLimit reports whether a key that only a cgroup can enforce is set.
func (r *Resources) HasCgroupLimit() bool {
	return r.MemoryMax > 0 || r.MemoryHigh > 0 || r.CPUQuota > 0 || r.CPUWeight > 0 || r.PidsMax > 0 || r.KillMode == KillCgroup
}

// rlimitKeys are the rlimit_* keys, in the order they are applied; bytes
// says the value is a byte size.
var rlimitKeys = []struct {
	key      string
	resource int
	bytes    bool
}{
	{"rlimit_nofile", syscall.RLIMIT_NOFILE, false},
	{"rlimit_nproc", 6 /* RLIMIT_NPROC */, false},
	{"rlimit_core", syscall.RLIMIT_CORE, true},
	{"rlimit_as", syscall.RLIMIT_AS, true},
	{"rlimit_memlock", 8 /* RLIMIT_MEMLOCK */, true},
	{"rlimit_stack", syscall.RLIMIT_STACK, true},
}

// readResources reads the resource keys of a process section into p.
func (l *loader) readResources(section string, p *ProcessConfig, exp map[string]any) error {
	r := &p.Resources
	*r = Resources{}
	for _, k := range rlimitKeys {
		v, ok := l.doc.Get(section, k.key)
		if !ok {
			continue
		}
		v, err := l.value(section, k.key, v, exp)
		if err != nil {
			return err
		}
		soft, hard, err := parseRlimit(v, k.bytes)
		if err != nil {
			return l.errAt(section, k.key, fmt.Sprintf("%s: %v", k.key, err))
		}
		r.Rlimits = append(r.Rlimits, Rlimit{Key: k.key, Resource: k.resource, Soft: soft, Hard: hard})
	}
	var err error
	positiveBytes := func(key string) (int64, error) {
		n, err := l.byteSize(section, key, "0", exp)
		if err == nil && n < 0 {
			err = l.errAt(section, key, fmt.Sprintf("%s must not be negative", key))
		}
		return n, err
	}
	if r.MemoryMax, err = positiveBytes("memory_max"); err != nil {
		return err
	}
	if r.MemoryHigh, err = positiveBytes("memory_high"); err != nil {
		return err
	}
	if r.MemoryRestart, err = positiveBytes("memory_restart"); err != nil {
		return err
	}
	// "150%" is read as written: a lone % would otherwise be a bad
	// %-expansion, and 150%% is not what anyone types. A value with an
	// expansion in it is expanded as usual.
	if raw, ok := l.doc.Get(section, "cpu_quota"); ok && isPlainPercent(raw) {
		r.CPUQuota, err = parseCPUQuota(raw)
		err = l.conv(section, "cpu_quota", err)
	} else {
		r.CPUQuota, err = parsed(l, section, "cpu_quota", "0", exp, parseCPUQuota)
	}
	if err != nil {
		return err
	}
	if r.CPUWeight, err = l.integer(section, "cpu_weight", "0", exp); err != nil {
		return err
	}
	if _, set := l.doc.Get(section, "cpu_weight"); set && (r.CPUWeight < 1 || r.CPUWeight > 10000) {
		return l.errAt(section, "cpu_weight", fmt.Sprintf("cpu_weight must be between 1 and 10000, not %d", r.CPUWeight))
	}
	if r.PidsMax, err = l.integer(section, "pids_max", "0", exp); err != nil {
		return err
	}
	if _, set := l.doc.Get(section, "pids_max"); set && r.PidsMax < 1 {
		return l.errAt(section, "pids_max", fmt.Sprintf("pids_max must be at least 1, not %d", r.PidsMax))
	}
	if r.KillMode, err = parsed(l, section, "killmode", "process", exp, parseKillMode); err != nil {
		return err
	}
	r.Cgroup = l.cgroups || r.HasCgroupLimit()
	return nil
}

// parseRlimit reads "SOFT[:HARD]"; HARD defaults to SOFT.
func parseRlimit(v string, bytes bool) (soft, hard uint64, err error) {
	one := func(s string) (uint64, error) {
		s = strings.TrimSpace(s)
		if strings.EqualFold(s, "unlimited") || strings.EqualFold(s, "infinity") {
			return RlimInfinity, nil
		}
		if bytes {
			n, err := parseByteSize(s)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("%q is not a byte size (e.g. 64MB) or unlimited", s)
			}
			return uint64(n), nil
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number or unlimited", s)
		}
		return n, nil
	}
	s, h, both := strings.Cut(v, ":")
	if soft, err = one(s); err != nil {
		return 0, 0, err
	}
	hard = soft
	if both {
		if hard, err = one(h); err != nil {
			return 0, 0, err
		}
	}
	if soft > hard {
		return 0, 0, fmt.Errorf("the soft limit %s is above the hard limit %s", RlimitText(soft), RlimitText(hard))
	}
	return soft, hard, nil
}

// RlimitText is an rlimit value as written in a config ("unlimited" or the number).
func RlimitText(v uint64) string {
	if v == RlimInfinity {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// isPlainPercent reports whether v is a number followed by "%", nothing else.
func isPlainPercent(v string) bool {
	t, ok := strings.CutSuffix(strings.TrimSpace(v), "%")
	t = strings.TrimSpace(t)
	return ok && t != "" && strings.Trim(t, "0123456789.") == ""
}

// parseCPUQuota reads "150%" (or "150"): percent of one CPU.
func parseCPUQuota(s string) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("invalid cpu_quota %q: expected a percentage of one CPU, e.g. 50%%", s)
	}
	if f > 1e6 {
		return 0, fmt.Errorf("invalid cpu_quota %q: more than 10000 CPUs", s)
	}
	if t := strings.TrimSpace(s); t != "0" && t != "" && f == 0 {
		return 0, fmt.Errorf("invalid cpu_quota %q: must be more than 0%%", s)
	}
	return f, nil
}

func parseKillMode(s string) (KillMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "process":
		return KillProcess, nil
	case "cgroup", "control-group":
		return KillCgroup, nil
	}
	return 0, fmt.Errorf("invalid killmode %q: expected process or cgroup", s)
}
