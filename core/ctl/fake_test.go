package ctl

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"

	"super/core/xmlrpc"
)

// fakeServer answers the calls supervisorctl makes from a table, so exit
// statuses can be checked without a daemon.
type fakeServer map[string]func(params []any) (any, error)

func (f fakeServer) Call(_ context.Context, method string, params ...any) (any, error) {
	if h, ok := f[method]; ok {
		return h(params)
	}
	return nil, xmlrpc.NewFault(xmlrpc.FaultUnknownMethod)
}

func info(group, name, state string, code, pid int) map[string]any {
	return map[string]any{"group": group, "name": name, "statename": state, "state": code, "pid": pid,
		"description": "desc"}
}

func newFake() fakeServer {
	return fakeServer{
		"supervisor.getVersion": func([]any) (any, error) { return "3.0", nil },
		"supervisor.getAllProcessInfo": func([]any) (any, error) {
			return []any{info("web", "web", "RUNNING", 20, 42), info("grp", "a-very-long-process-name-here", "FATAL", 200, 0)}, nil
		},
		"supervisor.startProcess": func(p []any) (any, error) {
			switch p[0] {
			case "web":
				return nil, xmlrpc.NewFault(xmlrpc.FaultAlreadyStarted)
			case "bad":
				return nil, xmlrpc.NewFaultf(xmlrpc.FaultSpawnError, "bad")
			}
			return nil, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%v", p[0])
		},
		"supervisor.startProcessGroup": func(p []any) (any, error) {
			return nil, xmlrpc.NewFaultf(xmlrpc.FaultBadName, "%v", p[0])
		},
	}
}

func TestExitStatusesWithFakeServer(t *testing.T) {
	for _, c := range []struct {
		line   string
		rc     int
		output string
	}{
		{"status", 3, "web" + strings.Repeat(" ", 33) + "RUNNING   desc\ngrp:a-very-long-process-name-here   FATAL     desc\n"},
		{"status web", 0, "web                              RUNNING   desc\n"},
		{"status nope", 4, "nope: ERROR (no such process)\n"},
		{"start web", 0, "web: ERROR (already started)\n"},
		{"start bad", 7, "bad: ERROR (spawn error)\n"},
		{"start nope", 1, "nope: ERROR (no such process)\n"},
		{"start nope:*", 2, "nope: ERROR (no such group)\n"},
		{"frobnicate", 1, "*** Unknown syntax: frobnicate\n"},
		{"", 0, ""},
	} {
		var out, errb bytes.Buffer
		opts := Options{ServerURL: "unix:///nowhere", NewCaller: func(string, string, string) Caller { return newFake() }}
		argv := strings.Fields(c.line)
		if c.line == "" {
			argv = []string{""} // `supervisorctl ""`: an empty action, not the shell
		}
		rc := Run(opts, argv, strings.NewReader(""), &out, &errb)
		if rc != c.rc || out.String() != c.output {
			t.Errorf("supervisorctl %s = rc %d, %q; want rc %d, %q", c.line, rc, out.String(), c.rc, c.output)
		}
	}
}

func TestConnectionErrorsWithFake(t *testing.T) {
	refused := fakeServer{"supervisor.getVersion": func([]any) (any, error) { return nil, syscall.ECONNREFUSED }}
	var out bytes.Buffer
	rc := Run(Options{ServerURL: "http://127.0.0.1:9", NewCaller: func(string, string, string) Caller { return refused }},
		[]string{"status"}, strings.NewReader(""), &out, &out)
	if rc != 4 || out.String() != "http://127.0.0.1:9 refused connection\n" {
		t.Errorf("status against a refusing server = rc %d, %q", rc, out.String())
	}
}

func TestCompletion(t *testing.T) {
	c := newController(Options{NewCaller: func(string, string, string) Caller { return newFake() }}, nil, &bytes.Buffer{}, &bytes.Buffer{})
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", vocabWithSpaces()},
		{"sta", []string{"start ", "status "}},
		{"help sh", []string{"shutdown "}},
		{"status w", []string{"web "}},
		{"stop g", []string{"grp:a-very-long-process-name-here ", "grp:* "}},
		{"stop web:", []string{"web:web ", "web:* "}},
		{"add g", []string{"grp "}},
		{"version x", nil},
	} {
		head, got, _ := c.completeWord(tc.line, len(tc.line))
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("complete(%q) = %q (head %q), want %q", tc.line, got, head, tc.want)
		}
	}
}

func vocabWithSpaces() []string {
	out := make([]string, len(vocab))
	for i, v := range vocab {
		out[i] = v + " "
	}
	return out
}

func FuzzParseline(f *testing.F) {
	for _, s := range []string{"status", "?tail", "!ls", "  start  a b ", "status,cat", "\tfoo\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, arg, full, ok := parseline(line)
		if !ok {
			if strings.TrimSpace(line) != "" {
				t.Fatalf("parseline(%q) rejected a non-blank line", line)
			}
			return
		}
		for i := 0; i < len(cmd); i++ {
			if !isIdentChar(cmd[i]) {
				t.Fatalf("parseline(%q) command %q has %q", line, cmd, cmd[i])
			}
		}
		if !strings.Contains(full, arg) {
			t.Fatalf("parseline(%q): arg %q not in line %q", line, arg, full)
		}
	})
}

// keepFake is a fakeServer that, like xmlrpc.Client, also takes calls
// through CallKeep, with the method name as given.
type keepFake struct{ fakeServer }

func (k keepFake) CallKeep(ctx context.Context, _ []string, method string, params ...any) (any, error) {
	return k.Call(ctx, method, params...)
}

// A server without system.multicall (UNKNOWN_METHOD for it): status asks
// for supervisor.getAllProcessInfo alone, through the member-keeping call
// the real client makes.
func TestStatusWithoutMulticall(t *testing.T) {
	var out, errb bytes.Buffer
	opts := Options{ServerURL: "unix:///nowhere", NewCaller: func(string, string, string) Caller { return keepFake{newFake()} }}
	rc := Run(opts, []string{"status", "web"}, strings.NewReader(""), &out, &errb)
	if want := "web                              RUNNING   desc\n"; rc != 0 || out.String() != want {
		t.Errorf("status web = rc %d, %q (stderr %q); want rc 0, %q", rc, out.String(), errb.String(), want)
	}
}
