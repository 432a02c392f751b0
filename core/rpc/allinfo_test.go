package rpc

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"super/core/process"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// getAllProcessInfo's answer is byte for byte the array of infoStructs
// (4.2's member order and types), however it is produced.
func TestProcessInfosEncodeAsInfoStructs(t *testing.T) {
	all := []supervisor.ProcessInfo{
		{Name: "web", Group: "web", Description: "pid 42, uptime 0:01:02", Start: 1700000000, Now: 1700000062,
			State: process.Running, StateName: "RUNNING", Logfile: "/l/o.log", StdoutLogfile: "/l/o.log",
			StderrLogfile: "/l/e.log", Pid: 42},
		{Name: "w_01", Group: "g&<>", Description: "can't find command '/x'", Stop: math.MaxInt32, Now: math.MinInt32,
			State: process.Fatal, StateName: "FATAL", SpawnErr: "can't find command '/x'", ExitStatus: -1},
		{Name: "ü\x01", Group: "g", Description: "Not started", State: process.Stopped, StateName: "STOPPED"},
	}
	for _, infos := range [][]supervisor.ProcessInfo{nil, all} {
		generic := make([]any, len(infos))
		for i := range infos {
			generic[i] = infoStruct(&infos[i])
		}
		var got, want bytes.Buffer
		if err := xmlrpc.EncodeResponse(&got, processInfos(infos)); err != nil {
			t.Fatal(err)
		}
		if err := xmlrpc.EncodeResponse(&want, generic); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("processInfos encode as\n%s\nwant\n%s", got.String(), want.String())
		}
	}
}

// The room made for getAllProcessInfo's answer holds it whole, without
// much to spare: at least the encoded size, at most a quarter more.
func TestProcessInfosSizeHint(t *testing.T) {
	long := supervisor.ProcessInfo{Name: "worker_0001", Group: "workers", Description: "pid 4194303, uptime 1234:56:07",
		Start: math.MaxInt32, Stop: math.MaxInt32, Now: math.MaxInt32, State: process.Running, StateName: "RUNNING",
		Logfile:       "/var/log/supervisor/worker_0001-stdout---supervisor-a1b2c3d4.log",
		StdoutLogfile: "/var/log/supervisor/worker_0001-stdout---supervisor-a1b2c3d4.log",
		StderrLogfile: "/var/log/supervisor/worker_0001-stderr---supervisor-e5f6a7b8.log", Pid: 4194303, ExitStatus: -1}
	short := supervisor.ProcessInfo{Name: "a", Group: "a", Description: "Not started", State: process.Stopped, StateName: "STOPPED"}
	for _, pi := range []supervisor.ProcessInfo{long, short} {
		for _, n := range []int{1, 500} {
			infos := make(processInfos, n)
			for i := range infos {
				infos[i] = pi
			}
			var b bytes.Buffer
			if err := xmlrpc.EncodeResponse(&b, infos); err != nil {
				t.Fatal(err)
			}
			// The hint covers the array; the response around it is ~100 bytes.
			hint, size := infos.sizeHint(), b.Len()-100
			if hint < size || hint > size*5/4 {
				t.Errorf("%d × %s: hint %d for %d bytes", n, pi.Name, hint, size)
			}
		}
	}
}

// getAllProcessInfo's answer is made again exactly when the infos differ
// from what the last one was made from, and is then what encoding the new
// infos gives; while they are equal every call shares the last answer,
// and asking for it allocates nothing.
func TestAllInfoAnswerFollowsTheInfos(t *testing.T) {
	infos := []supervisor.ProcessInfo{
		{Name: "web", Group: "web", Description: "pid 42, uptime 0:01:02", Start: 1700000000, Now: 1700000062,
			State: process.Running, StateName: "RUNNING", Logfile: "/l/o.log", StdoutLogfile: "/l/o.log", Pid: 42},
		{Name: "db", Group: "db", Description: "Not started", State: process.Stopped, StateName: "STOPPED"},
	}
	var c infoAnswer
	ask := func(infos []supervisor.ProcessInfo) *xmlrpc.Encoded {
		t.Helper()
		buf, _ := infoSlices.Get().(*[]supervisor.ProcessInfo)
		if buf == nil {
			buf = new([]supervisor.ProcessInfo)
		}
		*buf = append((*buf)[:0], infos...)
		enc, err := c.get(buf)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	check := func(enc *xmlrpc.Encoded, infos []supervisor.ProcessInfo) {
		t.Helper()
		var got, want bytes.Buffer
		if err := xmlrpc.EncodeResponse(&want, processInfos(infos)); err != nil {
			t.Fatal(err)
		}
		if err := xmlrpc.EncodeResponse(&got, enc); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("answer\n%s\nwant\n%s", got.String(), want.String())
		}
	}
	first := ask(infos)
	check(first, infos)
	if again := ask(infos); again != first {
		t.Error("equal infos were encoded again")
	}
	// Every member counts: a change in any one is a new answer.
	changes := []func(*supervisor.ProcessInfo){
		func(p *supervisor.ProcessInfo) { p.Now++ },
		func(p *supervisor.ProcessInfo) { p.Description = "pid 42, uptime 0:01:03" },
		func(p *supervisor.ProcessInfo) { p.State, p.StateName = process.Stopping, "STOPPING" },
		func(p *supervisor.ProcessInfo) { p.Pid = 43 },
		func(p *supervisor.ProcessInfo) { p.ExitStatus = 1 },
		func(p *supervisor.ProcessInfo) { p.StderrLogfile = "/l/e.log" },
		func(p *supervisor.ProcessInfo) { p.SpawnErr = "x" },
		func(p *supervisor.ProcessInfo) { p.Stop = 1700000063 },
	}
	last := first
	for i, change := range changes {
		changed := slices.Clone(infos)
		change(&changed[1])
		enc := ask(changed)
		if enc == last {
			t.Errorf("change %d: the last answer was kept", i)
		}
		check(enc, changed)
		last = enc
	}
	if enc := ask(infos[:1]); enc == last {
		t.Error("one process fewer: the last answer was kept")
	} else {
		check(enc, infos[:1])
	}
	c.drop()
	if c.answer != nil || c.infos != nil {
		t.Error("drop kept the answer")
	}
	check(ask(infos), infos)
	// (Under -race the pool drops a quarter of what it is given; the
	// average of those refills stays under one allocation per call.)
	if n := testing.AllocsPerRun(100, func() { ask(infos) }); n != 0 {
		t.Errorf("%v allocations per call answering from the last answer", n)
	}
}
