package ctl

import (
	"bytes"
	"strings"
	"testing"

	"super/core/xmlrpc"
)

// multicallFake is newFake answering system.multicall as 4.2 does (bare
// values, faults as structs), with super.getAllProcessHealth answered by
// health (nil: an UNKNOWN_METHOD fault, as from 4.2).
func multicallFake(health []any, infoFault *xmlrpc.Fault) fakeServer {
	f := newFake()
	if infoFault != nil {
		f["supervisor.getAllProcessInfo"] = func([]any) (any, error) { return nil, infoFault }
	}
	if health != nil {
		f["super.getAllProcessHealth"] = func([]any) (any, error) { return health, nil }
	}
	f["system.multicall"] = func(p []any) (any, error) {
		var out []any
		for _, c := range p[0].([]any) {
			call := c.(map[string]any)
			v, err := f.Call(nil, call["methodName"].(string), call["params"].([]any)...)
			if fa, ok := asFault(err); ok {
				out = append(out, map[string]any{"faultCode": fa.Code, "faultString": fa.String})
				continue
			}
			out = append(out, v)
		}
		return out, nil
	}
	return f
}

func healthOf(group, name, health string) map[string]any {
	return map[string]any{"group": group, "name": name, "health": health, "failures": 0, "output": "", "checked": 0}
}

func runStatus(t *testing.T, srv fakeServer, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	opts := Options{ServerURL: "unix:///nowhere", NewCaller: func(string, string, string) Caller { return srv }}
	rc := Run(opts, append([]string{"status"}, args...), strings.NewReader(""), &out, &out)
	return rc, out.String()
}

func TestStatusHealth(t *testing.T) {
	plain := "web" + strings.Repeat(" ", 33) + "RUNNING   desc\ngrp:a-very-long-process-name-here   FATAL     desc\n"
	for _, c := range []struct {
		name   string
		srv    fakeServer
		args   []string
		rc     int
		output string
	}{
		{"no multicall (fake as before)", newFake(), nil, 3, plain},
		{"4.2: super.* unknown", multicallFake(nil, nil), nil, 3, plain},
		{"no healthchecks", multicallFake([]any{healthOf("web", "web", "none"), healthOf("grp", "a-very-long-process-name-here", "none")}, nil), nil, 3, plain},
		{"healthy", multicallFake([]any{healthOf("web", "web", "healthy"), healthOf("grp", "a-very-long-process-name-here", "none")}, nil), nil, 3,
			"web" + strings.Repeat(" ", 33) + "RUNNING   desc, health: healthy\ngrp:a-very-long-process-name-here   FATAL     desc\n"},
		// Only a RUNNING process shows its health.
		{"not running", multicallFake([]any{healthOf("web", "web", "unhealthy"), healthOf("grp", "a-very-long-process-name-here", "starting")}, nil), []string{"grp:*", "web"}, 3,
			"grp:a-very-long-process-name-here   FATAL     desc\nweb" + strings.Repeat(" ", 33) + "RUNNING   desc, health: unhealthy\n"},
		{"starting", multicallFake([]any{healthOf("web", "web", "starting")}, nil), []string{"web"}, 0,
			"web                              RUNNING   desc, health: starting\n"},
	} {
		rc, out := runStatus(t, c.srv, c.args...)
		if rc != c.rc || out != c.output {
			t.Errorf("%s: rc %d, %q; want rc %d, %q", c.name, rc, out, c.rc, c.output)
		}
	}
}

// A fault of getAllProcessInfo inside the multicall ends status exactly as
// the same fault of a plain getAllProcessInfo call.
func TestStatusInfoFaultThroughMulticall(t *testing.T) {
	fault := xmlrpc.NewFault(xmlrpc.FaultShutdownState)
	direct := newFake()
	direct["supervisor.getAllProcessInfo"] = func([]any) (any, error) { return nil, fault }
	wantRC, want := runStatus(t, direct)
	rc, got := runStatus(t, multicallFake([]any{}, fault))
	if rc != wantRC || got != want || !strings.Contains(got, "SHUTDOWN_STATE") {
		t.Errorf("through multicall: rc %d, %q; plain call: rc %d, %q", rc, got, wantRC, want)
	}
}
