package rpc

import (
	"bytes"
	"math"
	"testing"
	"time"

	"super/core/process"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// getAllProcessHealth's array is byte for byte what the generic encoder
// makes of getProcessHealth's structs.
func TestHealthListEncodesAsHealthStructs(t *testing.T) {
	all := []supervisor.ProcessStats{
		{Name: "web", Group: "web", State: process.Running, Start: time.Unix(1700000000, 0), Starts: 3, Exits: 2,
			LastExitStatus: 137, Health: supervisor.HealthUnhealthy, HealthFailures: 4,
			HealthOutput: "curl: (7) <refused> & \"gone\"", HealthChecked: time.Unix(1700000100, 0)},
		{Name: "ü\x01", Group: "g&<>", State: process.Stopped},
		{Name: "far", Group: "g", Health: supervisor.HealthHealthy, HealthChecked: time.Unix(math.MaxInt64/4, 0)},
	}
	for _, list := range [][]supervisor.ProcessStats{nil, all} {
		generic := make([]any, len(list))
		for i := range list {
			generic[i] = healthStruct(&list[i])
		}
		var got, want bytes.Buffer
		if err := xmlrpc.EncodeResponse(&got, healthList(list)); err != nil {
			t.Fatal(err)
		}
		if err := xmlrpc.EncodeResponse(&want, generic); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("healthList encodes as\n%s\nwant\n%s", got.String(), want.String())
		}
	}
}

func TestStatsStruct(t *testing.T) {
	for _, c := range []struct {
		starts, restarts int
	}{{0, 0}, {1, 0}, {5, 4}} {
		ps := supervisor.ProcessStats{Name: "a", Group: "g", State: process.Backoff, Starts: c.starts,
			Exits: 2, LastExitStatus: 3, Health: supervisor.HealthStarting}
		got := map[string]any{}
		for _, m := range statsStruct(&ps) {
			got[m.Name] = m.Value
		}
		want := map[string]any{"name": "a", "group": "g", "state": int(process.Backoff), "statename": "BACKOFF",
			"start": int64(0), "starts": c.starts, "restarts": c.restarts, "exits": 2, "exitstatus": 3, "health": "starting",
			"restart_at": int64(0), "next_run": int64(0)}
		if len(got) != len(want) {
			t.Errorf("statsStruct keys %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("starts=%d: %s = %#v, want %#v", c.starts, k, got[k], v)
			}
		}
	}
}
