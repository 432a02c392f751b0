package ctl

import (
	"fmt"
	"strconv"
	"strings"
)

// stats: CPU time and memory of every program's tree, its OOM kills and
// resource limits, from super.getAllProcessResources (issue 23). It is
// super's own command: not in 4.2's vocabulary, so `help` and completion
// list exactly 4.2's commands; `help stats` explains it.

func init() {
	actions["stats"] = (*controller).doStats
	helpTexts["stats"] = "stats\t\t\tCPU time, memory, OOM kills and limits of every process\n" +
		"stats <name>\t\tThe same for one process\n" +
		"stats <gname>:*\tThe same for every process of a group\n" +
		"stats <name> <name>\tThe same for several processes"
}

func (c *controller) doStats(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	v, err := c.call("super.getAllProcessResources")
	if err != nil {
		if faultCode(err) == faultUnknownMethod {
			c.output("stats: the server does not report resources (it is not super)")
			c.exit = exitGeneric
			return false, nil
		}
		return false, err
	}
	names := strings.Fields(arg)
	var rows [][]string
	matched := map[string]bool{}
	for _, x := range toSlice(v) {
		m, _ := x.(map[string]any)
		name, group := pyStr(m["name"]), pyStr(m["group"])
		spec := name
		if group != name {
			spec = group + ":" + name
		}
		if len(names) > 0 {
			hit := false
			for _, n := range names {
				if n == spec || n == name && group == name || n == group+":*" || n == group+":" {
					hit, matched[n] = true, true
				}
			}
			if !hit {
				continue
			}
		}
		cpu, mem, pid := "-", "-", "-"
		if p := toInt(m["pid"]); p != 0 {
			pid = strconv.Itoa(p)
			if pyStr(m["source"]) != "" {
				f, _ := m["cpu"].(float64)
				cpu = fmt.Sprintf("%.2fs", f)
				mem = humanSize(int64(toInt(m["memory_kb"])) << 10)
			}
		}
		oom := "-"
		if m["cgroup"] == true {
			oom = strconv.Itoa(toInt(m["oom_kills"]))
		}
		rows = append(rows, []string{spec, pyStr(m["statename"]), pid, cpu, mem, oom, limitsText(m)})
	}
	for _, n := range names {
		if !matched[n] {
			c.output(n + ": ERROR (no such process)")
			c.exit = statusUnknown
		}
	}
	if len(rows) == 0 {
		return false, nil
	}
	head := []string{"NAME", "STATE", "PID", "CPU", "MEMORY", "OOM", "LIMITS"}
	width := make([]int, len(head))
	for _, r := range append([][]string{head}, rows...) {
		for i, f := range r {
			width[i] = max(width[i], len(f))
		}
	}
	for _, r := range append([][]string{head}, rows...) {
		var b strings.Builder
		for i, f := range r {
			if i == len(r)-1 {
				b.WriteString(f)
				break
			}
			b.WriteString(f + strings.Repeat(" ", width[i]-len(f)+2))
		}
		c.output(strings.TrimRight(b.String(), " "))
	}
	return false, nil
}

// limitsText lists the limits a process has, as config keys.
func limitsText(m map[string]any) string {
	var out []string
	kb := func(key, name string) {
		if n := toInt(m[key]); n > 0 {
			out = append(out, name+"="+humanSize(int64(n)<<10))
		}
	}
	kb("memory_max_kb", "memory_max")
	kb("memory_high_kb", "memory_high")
	if q, _ := m["cpu_quota"].(float64); q > 0 {
		out = append(out, "cpu_quota="+strconv.FormatFloat(q, 'f', -1, 64)+"%")
	}
	if n := toInt(m["cpu_weight"]); n > 0 {
		out = append(out, "cpu_weight="+strconv.Itoa(n))
	}
	if n := toInt(m["pids_max"]); n > 0 {
		out = append(out, "pids_max="+strconv.Itoa(n))
	}
	kb("memory_restart_kb", "memory_restart")
	if pyStr(m["killmode"]) == "cgroup" {
		out = append(out, "killmode=cgroup")
	}
	return strings.Join(out, " ")
}
