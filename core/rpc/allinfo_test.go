package rpc

import (
	"bytes"
	"math"
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
