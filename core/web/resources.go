package web

import (
	"strconv"

	"super/core/config"
	"super/core/supervisor"
)

// Resource figures (issue 23) on /metrics and the status page: CPU time
// and memory of every program's tree, OOM kills and the configured
// limits. They are read only for a scrape or a page view, through a
// backend that can (the engine's StatsWithUsage); other backends show
// none.

// usageBackend is a Backend that can read the CPU and memory figures.
type usageBackend interface {
	StatsWithUsage() ([]supervisor.ProcessStats, error)
}

// usageStats is the backend's Stats with the figures when it has them.
func (h *Handler) usageStats() func() ([]supervisor.ProcessStats, error) {
	if u, ok := h.b.(usageBackend); ok {
		return u.StatsWithUsage
	}
	return h.b.Stats
}

// resourceFamily is a process metric with a float value.
type resourceFamily struct {
	name, typ, help string
	value           func(ps *supervisor.ProcessStats, r *config.Resources) (v float64, ok bool)
}

var resourceFamilies = [...]resourceFamily{
	{"super_process_cpu_seconds_total", "counter", "CPU time (user+system) of the process and all its descendants, from its cgroup or /proc.",
		func(ps *supervisor.ProcessStats, _ *config.Resources) (float64, bool) {
			if ps.Usage == nil {
				return 0, false
			}
			return ps.Usage.CPUSeconds, true
		}},
	{"super_process_memory_bytes", "gauge", "Resident memory of the process and all its descendants, from its cgroup or /proc.",
		func(ps *supervisor.ProcessStats, _ *config.Resources) (float64, bool) {
			if ps.Usage == nil {
				return 0, false
			}
			return float64(ps.Usage.MemoryBytes), true
		}},
	{"super_process_oom_kills_total", "counter", "Processes of the program's cgroup killed by the OOM killer (only programs with a cgroup).",
		func(ps *supervisor.ProcessStats, _ *config.Resources) (float64, bool) {
			return float64(ps.OOMKills), ps.Cgroup
		}},
	{"super_process_memory_max_bytes", "gauge", "memory_max: the cgroup's memory limit.",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return float64(r.MemoryMax), r.MemoryMax > 0
		}},
	{"super_process_memory_high_bytes", "gauge", "memory_high: the cgroup's memory throttling threshold.",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return float64(r.MemoryHigh), r.MemoryHigh > 0
		}},
	{"super_process_memory_restart_bytes", "gauge", "memory_restart: memory above which the program is restarted.",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return float64(r.MemoryRestart), r.MemoryRestart > 0
		}},
	{"super_process_cpu_quota_cores", "gauge", "cpu_quota: CPUs the program may use (1.5 for 150%).",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return r.CPUQuota / 100, r.CPUQuota > 0
		}},
	{"super_process_cpu_weight", "gauge", "cpu_weight: the program's CPU weight (1-10000).",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return float64(r.CPUWeight), r.CPUWeight > 0
		}},
	{"super_process_pids_max", "gauge", "pids_max: most processes and threads the program's cgroup may hold.",
		func(_ *supervisor.ProcessStats, r *config.Resources) (float64, bool) {
			return float64(r.PidsMax), r.PidsMax > 0
		}},
}

var noResources config.Resources

// appendResourceMetrics writes the resource families, each only when some
// process has a sample.
func appendResourceMetrics(b []byte, all []supervisor.ProcessStats) []byte {
	for fi := range resourceFamilies {
		f := &resourceFamilies[fi]
		header := false
		for i := range all {
			r := all[i].Resources
			if r == nil {
				r = &noResources
			}
			v, ok := f.value(&all[i], r)
			if !ok {
				continue
			}
			if !header {
				b = appendFamilyHeader(b, f.name, f.help, f.typ)
				header = true
			}
			b = appendSampleName(b, f.name, &all[i])
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
			b = append(b, '\n')
		}
	}
	return b
}

// humanBytes is a memory figure for the status page (4.2's units: KB, MB, GB).
func humanBytes(n int64) string {
	switch {
	case n >= 10<<30:
		return strconv.FormatInt(n>>30, 10) + " GB"
	case n >= 10<<20:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 10<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

type usageCell struct{ cpu, mem string }

// usageByName is the CPU and memory of every running process, by
// namespec; nil when no process has a resource key (cgroup, limits,
// memory_restart: the page is then exactly 4.2's) or the figures cannot be
// had.
func (h *Handler) usageByName() map[string]usageCell {
	all, err := h.b.Stats()
	if err != nil {
		return nil
	}
	any := false
	for i := range all {
		if r := all[i].Resources; r != nil && (r.Cgroup || r.MemoryRestart > 0 || r.Rlimits != nil) {
			any = true
		}
	}
	if !any {
		return nil
	}
	if all, err = h.usageStats()(); err != nil {
		return nil
	}
	m := map[string]usageCell{}
	for i := range all {
		if u := all[i].Usage; u != nil && all[i].Pid != 0 {
			m[supervisor.Namespec(all[i].Group, all[i].Name)] = usageCell{
				cpu: strconv.FormatFloat(u.CPUSeconds, 'f', 2, 64) + " s",
				mem: humanBytes(u.MemoryBytes),
			}
		}
	}
	return m
}
