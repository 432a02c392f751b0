package supervisorctl

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"super/core/testbin"
)

func writeConf(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.conf")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Messages are 4.2's, as `supervisorctl <args>` prints them after "Error: ".
func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.conf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "option -x not recognized"},
		{[]string{"-s", "foo"}, "invalid value for -s 'foo': value 'foo' is not a URL"},
		{[]string{"--serverurl=http://"}, "invalid value for --serverurl 'http://': value 'http://' is not a URL"},
		{[]string{"-r"}, "option -r requires argument"},
		{[]string{"--history-file=x"}, "option --history-file not recognized"},
		{[]string{"-i", "--interactive"}, "conflicting command line option '--interactive'"},
		{[]string{"-u", "a", "-u", "b"}, "conflicting command line option '-u'"},
		{[]string{"-c", missing, "status"}, "could not find config file " + missing},
	} {
		var out, errb bytes.Buffer
		status := Main("supervisorctl", c.args, nil, &out, &errb)
		want := "Error: " + c.want + "\nFor help, use supervisorctl -h\n"
		if status != 2 || errb.String() != want || out.Len() != 0 {
			t.Errorf("supervisorctl %q: status %d, stdout %q, stderr %q; want 2 and %q", c.args, status, out.String(), errb.String(), want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-?"}, {"--he", "status"}} {
		var out, errb bytes.Buffer
		status := Main("supervisorctl", args, nil, &out, &errb)
		if status != 0 || errb.Len() != 0 ||
			!strings.HasPrefix(out.String(), "supervisorctl -- control applications run by supervisord from the cmd line.\n\nUsage: supervisorctl [options] [action [arguments]]\n") {
			t.Errorf("supervisorctl %q: status %d, stdout %q, stderr %q", args, status, out.String(), errb.String())
		}
	}
}

// Command-line values win over [supervisorctl], which wins over 4.2's
// defaults; the action is the rest of the line, untouched.
func TestMerge(t *testing.T) {
	path := writeConf(t, "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nusername=fileuser\npassword=filepw\nprompt=mine\nhistory_file=%(here)s/h\n")
	dir := filepath.Dir(path)

	o, err := Parse("supervisorctl", []string{"-c", path, "status", "-x", "a b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.ServerURL != "unix://"+dir+"/s.sock" || o.Username != "fileuser" || o.Password != "filepw" ||
		o.Prompt != "mine" || o.HistoryFile != dir+"/h" || o.Interactive || o.ConfigFile != path ||
		!slices.Equal(o.Command, []string{"status", "-x", "a b"}) || o.Config == nil {
		t.Errorf("from the file: %+v", o)
	}

	o, err = Parse("supervisorctl", []string{"-c", path, "-shttp://127.0.0.1:9", "-u", "cli", "--pass=pw", "-r", "hist", "-i", "status"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.ServerURL != "http://127.0.0.1:9" || o.Username != "cli" || o.Password != "pw" || o.HistoryFile != "hist" ||
		!o.Interactive || o.Prompt != "mine" {
		t.Errorf("with overrides: %+v", o)
	}
}

// Without a config file, or with one lacking [supervisorctl] keys, 4.2's
// defaults apply, and no action means the interactive shell.
func TestDefaults(t *testing.T) {
	path := writeConf(t, "[supervisorctl]\n")
	o, err := Parse("supervisorctl", []string{"-c", path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.ServerURL != "http://localhost:9001" || o.Prompt != "supervisor" || o.Username != "" ||
		o.Password != "" || o.HistoryFile != "" || !o.Interactive || len(o.Command) != 0 {
		t.Errorf("defaults: %+v", o)
	}
	// supervisorctl reads only its own section: a broken program does not
	// stop it.
	path = writeConf(t, "[supervisorctl]\n[program:x]\nstartsecs=bad\n")
	if _, err := Parse("supervisorctl", []string{"-c", path, "status"}, nil); err != nil {
		t.Errorf("a bad [program:x] stopped supervisorctl: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	// Verdicts of 4.2's datatypes.url.
	for _, c := range []struct {
		v  string
		ok bool
	}{
		{"http://localhost:9001", true}, {"unix:///tmp/s.sock", true}, {"localhost:9001", true},
		{"foo", false}, {"http://", false}, {"http://?x", false}, {":9001", false}, {"9x:y", false},
		{" http://x", true}, {"ht\ntp://x", true}, {"a+b.c-d:x", true}, {"a_b:x", false}, {"x:#f", false},
		{"x:?q", false}, {"x:/", true}, {"", false},
	} {
		if err := checkURL(c.v); (err == nil) != c.ok {
			t.Errorf("checkURL(%q) = %v, want ok=%v", c.v, err, c.ok)
		}
	}
}

// oracleScript runs 4.2's ClientOptions for each argument list in one
// Python process and reports what supervisorctl printed, its status and
// the merged settings.
const oracleScript = `
import io, json, sys
from supervisor import supervisorctl
from supervisor.options import ClientOptions
class Exit(Exception):
    pass
def exit(code=0):
    raise Exit(code)
results = []
for args in json.load(sys.stdin):
    o = ClientOptions()
    o.stdout, o.stderr, o.exit = io.StringIO(), io.StringIO(), exit
    try:
        o.realize(args, doc=supervisorctl.__doc__, progname=sys.argv[1])
        status = 0
        merged = [o.serverurl, o.username or "", o.password or "", o.prompt, bool(o.interactive), o.args]
    except Exit as e:
        status = e.args[0]
        merged = None
    results.append([status, o.stdout.getvalue(), o.stderr.getvalue(), merged])
json.dump(results, sys.stdout)
`

func TestMatchesOracle(t *testing.T) {
	testbin.NeedOracle(t)
	const prog = "/usr/bin/supervisorctl"
	path := writeConf(t, "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nusername=fu\nprompt=p\n")
	noSection := writeConf(t, "[supervisord]\n")
	var cases [][]string
	for _, args := range [][]string{
		{"-h"}, {"-x"}, {"-s", "foo"}, {"-s", "localhost:9001"}, {"-s", "http://h:1", "-u", "u", "-p", "p", "status", "all"},
		{"-i"}, {"-i", "stop", "x"}, {"--", "-x"}, {"--user=x", "--pass", "y"}, {"-c"}, {"-r"}, {"--serv=x"},
		{"-cx"}, {"--hist=h", "version"}, {"-u", "a", "--username", "b"},
	} {
		cases = append(cases, append([]string{"-c", path}, args...))
	}
	cases = append(cases, []string{"-c", noSection, "status"}, []string{"-c", filepath.Join(t.TempDir(), "none")},
		[]string{"-c", "", "-s", "http://127.0.0.1:1", "version"})
	input, _ := json.Marshal(cases)
	cmd := exec.Command(testbin.Python, "-c", oracleScript, prog)
	cmd.Stdin = bytes.NewReader(input)
	cmd.Dir = t.TempDir()
	var pyErr bytes.Buffer
	cmd.Stderr = &pyErr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("running 4.2's option parser: %v\n%s", err, pyErr.String())
	}
	var want []struct {
		Status   int
		Out, Err string
		Merged   []any
	}
	var rows [][4]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != len(cases) {
		t.Fatalf("oracle answer %q: %v", raw, err)
	}
	for _, r := range rows {
		var w struct {
			Status   int
			Out, Err string
			Merged   []any
		}
		json.Unmarshal(r[0], &w.Status)
		json.Unmarshal(r[1], &w.Out)
		json.Unmarshal(r[2], &w.Err)
		json.Unmarshal(r[3], &w.Merged)
		want = append(want, w)
	}
	for i, args := range cases {
		var out, errb bytes.Buffer
		o, err := Parse(prog, args, &out)
		status := 0
		if err != nil && err != errHelp {
			status = 2
			errb.WriteString("Error: " + err.Error() + "\nFor help, use " + prog + " -h\n")
		}
		w := want[i]
		// Our config errors add the file name to 4.2's text.
		gotErr := errb.String()
		if status != w.Status || out.String() != w.Out || (gotErr != w.Err && !strings.HasPrefix(gotErr, strings.TrimSuffix(strings.SplitN(w.Err, "\n", 2)[0], "\n"))) {
			t.Errorf("supervisorctl %q:\n got %d %q %q\nwant %d %q %q", args, status, out.String(), gotErr, w.Status, w.Out, w.Err)
			continue
		}
		if o == nil || w.Merged == nil {
			if (o == nil) != (w.Merged == nil) {
				t.Errorf("supervisorctl %q: parsed %+v, 4.2 merged %v", args, o, w.Merged)
			}
			continue
		}
		cmdArgs := []any{}
		for _, a := range o.Command {
			cmdArgs = append(cmdArgs, a)
		}
		got := []any{o.ServerURL, o.Username, o.Password, o.Prompt, o.Interactive, cmdArgs}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(w.Merged)
		if string(gj) != string(wj) {
			t.Errorf("supervisorctl %q: merged %s, 4.2 %s", args, gj, wj)
		}
	}
}
