package rpc

import (
	"context"
	"math"

	"super/core/config"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// super.getAllProcessResources: every process's CPU and memory (of its
// whole tree), OOM kills and configured limits (issue 23). The figures are
// read when this is called, not before.

func init() {
	superDocs["super.getAllProcessResources"] = methodDoc{" Get the CPU time, memory, OOM kills and resource limits of every process\n\n" +
		"        @return array result  An array of process resource structs\n        ",
		[]string{"array"}}
}

// kib is a byte count in KiB for an XML-RPC int (4.2's ints are 32-bit).
func kib(n int64) int64 { return capped(n / 1024) }

// resourcesStruct is one element of getAllProcessResources.
func resourcesStruct(ps *supervisor.ProcessStats) xmlrpc.Struct {
	r := ps.Resources
	if r == nil {
		r = &config.Resources{}
	}
	cpu, mem, nprocs, source := 0.0, int64(0), 0, ""
	if u := ps.Usage; u != nil {
		cpu, mem, nprocs, source = u.CPUSeconds, u.MemoryBytes, u.Processes, "proc"
		if u.FromCgroup {
			source = "cgroup"
		}
	}
	return xmlrpc.Struct{
		{Name: "name", Value: ps.Name},
		{Name: "group", Value: ps.Group},
		{Name: "pid", Value: ps.Pid},
		{Name: "statename", Value: ps.State.String()},
		{Name: "cpu", Value: math.Round(cpu*1000) / 1000},
		{Name: "memory_kb", Value: kib(mem)},
		{Name: "processes", Value: nprocs},
		{Name: "source", Value: source},
		{Name: "cgroup", Value: ps.Cgroup},
		{Name: "oom_kills", Value: capped(ps.OOMKills)},
		{Name: "killmode", Value: r.KillMode.String()},
		{Name: "memory_max_kb", Value: kib(r.MemoryMax)},
		{Name: "memory_high_kb", Value: kib(r.MemoryHigh)},
		{Name: "memory_restart_kb", Value: kib(r.MemoryRestart)},
		{Name: "cpu_quota", Value: r.CPUQuota},
		{Name: "cpu_weight", Value: r.CPUWeight},
		{Name: "pids_max", Value: r.PidsMax},
	}
}

func (a *API) getAllProcessResources(context.Context, []xmlrpc.Value) (xmlrpc.Value, error) {
	all, err := a.opts.Engine.Stats(supervisor.WithUsage)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(all))
	for i := range all {
		out[i] = resourcesStruct(&all[i])
	}
	return out, nil
}
