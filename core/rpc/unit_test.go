package rpc

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"super/core/config"
	"super/core/xmlrpc"
)

func TestIntArg(t *testing.T) {
	for _, c := range []struct {
		in   xmlrpc.Value
		want int64
		err  string // "", "internal" (HTTP 500) or "incorrect"
	}{
		{5, 5, ""}, {-3, -3, ""}, {true, 1, ""}, {false, 0, ""}, {2.9, 2, ""}, {-2.9, -2, ""},
		{"12", 12, ""}, {" +7 ", 7, ""}, {"1_000", 1000, ""}, {"-4", -4, ""},
		{"x", 0, "internal"}, {"", 0, "internal"}, {"1.5", 0, "internal"},
		{[]any{1}, 0, "incorrect"}, {map[string]any{}, 0, "incorrect"}, {nil, 0, "incorrect"},
	} {
		got, err := intArg(c.in)
		switch c.err {
		case "":
			if err != nil || got != c.want {
				t.Errorf("intArg(%#v) = %d, %v; want %d", c.in, got, err, c.want)
			}
		case "internal":
			if !errors.Is(err, errInternal) {
				t.Errorf("intArg(%#v) error %v, want an internal error", c.in, err)
			}
		case "incorrect":
			var f *xmlrpc.Fault
			if !errors.As(err, &f) || f.Code != xmlrpc.FaultIncorrectParameters {
				t.Errorf("intArg(%#v) error %v, want INCORRECT_PARAMETERS", c.in, err)
			}
		}
	}
}

func TestTruthAndStr(t *testing.T) {
	for _, c := range []struct {
		in    xmlrpc.Value
		truth bool
		str   string
	}{
		{true, true, "True"}, {false, false, "False"}, {0, false, "0"}, {7, true, "7"},
		{"", false, ""}, {"x", true, "x"}, {1.0, true, "1.0"}, {0.0, false, "0.0"}, {2.5, true, "2.5"},
		{nil, false, "None"}, {[]any{}, false, "[]"},
	} {
		if got := truth(c.in); got != c.truth {
			t.Errorf("truth(%#v) = %v", c.in, got)
		}
		if got := pyStr(c.in); got != c.str {
			t.Errorf("pyStr(%#v) = %q, want %q", c.in, got, c.str)
		}
	}
}

func FuzzIntArg(f *testing.F) {
	for _, s := range []string{"1", "-1", " 2 ", "1_0", "x", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := intArg(s)
		if err == nil && pyStr(int(n)) == "" {
			t.Fatal("empty str of a number")
		}
	})
}

func group(name string, prio int, procs ...*config.ProcessConfig) *config.GroupConfig {
	for _, p := range procs {
		p.Group = name
	}
	return &config.GroupConfig{Name: name, Priority: prio, Processes: procs}
}

func proc(name, cmd, stdout string) *config.ProcessConfig {
	return &config.ProcessConfig{Name: name, Command: cmd, Stdout: config.LogConfig{Logfile: stdout}}
}

func TestDiff(t *testing.T) {
	active := []*config.GroupConfig{
		group("same", 999, proc("same", "/bin/cat", "/var/log/same.log")),
		group("auto", 999, proc("auto", "/bin/cat", "/tmp/auto-stdout---x-abcdefgh.log")),
		group("cmd", 999, proc("cmd", "/bin/cat", "")),
		group("prio", 999, proc("prio", "/bin/cat", "")),
		group("gone", 999, proc("gone", "/bin/cat", "")),
	}
	next := []*config.GroupConfig{
		group("new", 1, proc("new", "/bin/cat", "")),
		group("same", 999, proc("same", "/bin/cat", "/var/log/same.log")),
		group("auto", 999, proc("auto", "/bin/cat", config.LogAuto)),
		group("cmd", 999, proc("cmd", "/bin/cat -u", "")),
		group("prio", 5, proc("prio", "/bin/cat", "")),
	}
	added, changed, removed := Diff(active, next)
	if !equal(added, []string{"new"}) || !equal(changed, []string{"cmd", "prio"}) || !equal(removed, []string{"gone"}) {
		t.Errorf("Diff = %v %v %v", added, changed, removed)
	}
	// Nothing to do gives empty arrays, not nil (XML-RPC has no nil).
	added, changed, removed = Diff(next, next)
	if added == nil || changed == nil || removed == nil || len(added)+len(changed)+len(removed) != 0 {
		t.Errorf("Diff of equal configs = %#v %#v %#v", added, changed, removed)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every method the API registers has 4.2's help text (or, for super's own
// super.* methods, super's), and the other way round: listMethods,
// methodHelp and methodSignature agree.
func TestMethodTableComplete(t *testing.T) {
	r := xmlrpc.NewRegistry()
	a := &API{opts: Options{Config: &config.Config{}}}
	a.Register(r)
	got := r.Methods()
	var want []string
	for name := range methodDocs {
		want = append(want, name)
	}
	for name := range superDocs {
		want = append(want, name)
	}
	sort.Strings(want)
	if !equal(got, want) {
		t.Errorf("registered %v\nwant %v", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := r.Call(ctx, "system.methodSignature", []xmlrpc.Value{"supervisor.tailProcessStdoutLog"})
	if err != nil || !equal(v.([]string), []string{"array", "string", "int", "int"}) {
		t.Errorf("methodSignature = %v, %v", v, err)
	}
	v, err = r.Call(ctx, "system.methodSignature", []xmlrpc.Value{"super.getProcessHealth"})
	if err != nil || !equal(v.([]string), []string{"struct", "string"}) {
		t.Errorf("methodSignature(super.getProcessHealth) = %v, %v", v, err)
	}
	if v, err := r.Call(ctx, "system.methodHelp", []xmlrpc.Value{"super.getAllProcessStats"}); err != nil ||
		!strings.Contains(v.(string), "@return array") {
		t.Errorf("methodHelp(super.getAllProcessStats) = %v, %v", v, err)
	}
	if _, err := r.Call(ctx, "system.methodHelp", []xmlrpc.Value{"supervisor.nope"}); err == nil ||
		err.Error() != (&xmlrpc.Fault{Code: 4, String: "SIGNATURE_UNSUPPORTED"}).Error() {
		t.Errorf("methodHelp of an unknown method: %v", err)
	}
	if _, err := r.Call(ctx, "system.listMethods", []xmlrpc.Value{1}); err == nil {
		t.Error("listMethods with an argument: no INCORRECT_PARAMETERS")
	}
}
