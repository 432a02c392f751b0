package rpc_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/testbin"
)

const ctlPrograms = `[program:cat]
command=/bin/cat

[program:echo]
command=/bin/sh -c "echo hello; echo oops >&2; exec /bin/sleep 1000"
autostart=false
startsecs=0

[program:sleeper]
command=/bin/sleep 1000
startsecs=0

[program:gone]
command=/bin/sleep 1000
autostart=false
`

// ctlStep is one supervisorctl invocation, or a change to the config file
// (edit) before the next one.
type ctlStep struct {
	args []string
	edit func(conf string) string
	// until repeats the command until its output contains this text
	// (supervisorctl's own answers that depend on timing).
	until string
	// unordered compares the output's lines as a set: results of waited
	// requests come in completion order.
	unordered bool
}

var ctlSteps = []ctlStep{
	{args: []string{"status", "cat"}, until: "RUNNING"},
	{args: []string{"status"}},
	{args: []string{"status", "nope"}},
	{args: []string{"pid"}},
	{args: []string{"pid", "cat"}},
	{args: []string{"pid", "nope"}},
	{args: []string{"pid", "all"}},
	{args: []string{"start", "echo"}},
	{args: []string{"start", "cat"}},
	{args: []string{"start", "nope"}},
	{args: []string{"start"}},
	{args: []string{"tail", "echo"}, until: "hello"},
	{args: []string{"tail", "echo", "stderr"}, until: "oops"},
	{args: []string{"tail", "-3", "echo"}},
	{args: []string{"tail", "nope"}},
	{args: []string{"clear", "echo"}},
	{args: []string{"tail", "echo"}},
	{args: []string{"clear", "nope"}},
	{args: []string{"signal", "CONT", "cat"}},
	{args: []string{"signal", "BOGUS", "cat"}},
	{args: []string{"signal", "HUP", "gone"}},
	{args: []string{"signal", "CONT", "all"}},
	{args: []string{"stop", "echo"}},
	{args: []string{"stop", "echo"}},
	{args: []string{"stop", "nope"}},
	{args: []string{"restart", "sleeper"}},
	{args: []string{"status"}},
	{args: []string{"avail"}},
	{args: []string{"reread"}},
	{edit: func(c string) string {
		c = strings.Replace(c, "[program:gone]", "[program:new]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n[program:gone_not]", 1)
		return strings.Replace(c, "command=/bin/sleep 1000\nstartsecs=0\n\n[program:new]", "command=/bin/sleep 1001\nstartsecs=0\n\n[program:new]", 1)
	}},
	{args: []string{"reread"}},
	{args: []string{"avail"}},
	{args: []string{"update"}},
	{args: []string{"status"}},
	{args: []string{"update"}},
	{args: []string{"stop", "all"}, unordered: true},
	{args: []string{"status"}},
	{args: []string{"start", "all"}, unordered: true},
	{args: []string{"status"}, until: "new                              RUNNING"},
	{args: []string{"maintail", "-200"}},
	{args: []string{"clear", "all"}},
	{args: []string{"shutdown"}},
}

var ctlMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d`), "pid <pid>, uptime <uptime>"},
	{regexp.MustCompile(`(?m)^\d+$`), "<pid>"},
	{regexp.MustCompile(`[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M`), "<stoptime>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}`), "<time>"},
	{regexp.MustCompile(`(with pid|started with pid|killing '[^']*') \(?\d+\)?`), "$1 <pid>"},
}

// runCtl runs the steps with the oracle's supervisorctl (its main
// function, called once per step in one Python process) against in and
// returns one transcript entry per step.
func runCtl(in *testbin.Daemon) (out, slow []string, err error) {
	cmd := exec.Command(testbin.Python, "testdata/ctl.py")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	dec := json.NewDecoder(stdout)
	ctl := func(args []string) (string, int, error) {
		line, _ := json.Marshal(append([]string{"-c", in.Conf}, args...))
		if _, err := fmt.Fprintf(stdin, "%s\n", line); err != nil {
			return "", 0, err
		}
		var r struct {
			Out  string
			Code int
		}
		if err := dec.Decode(&r); err != nil {
			return "", 0, fmt.Errorf("ctl.py: %v\n%s", err, stderr.String())
		}
		return r.Out, r.Code, nil
	}
	for _, st := range ctlSteps {
		if st.edit != nil {
			b, err := os.ReadFile(in.Conf)
			if err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(in.Conf, []byte(st.edit(string(b))), 0o644); err != nil {
				return nil, nil, err
			}
			continue
		}
		t0 := time.Now()
		deadline := t0.Add(15 * time.Second)
		for {
			text, code, err := ctl(st.args)
			if err != nil {
				return nil, nil, err
			}
			text = strings.ReplaceAll(text, in.Dir, "<dir>")
			for _, m := range ctlMasks {
				text = m.re.ReplaceAllString(text, m.with)
			}
			if st.unordered {
				lines := strings.SplitAfter(text, "\n")
				sort.Strings(lines)
				text = strings.Join(lines, "")
			}
			if st.until == "" || strings.Contains(text, st.until) || time.Now().After(deadline) {
				if d := time.Since(t0); d > 2*time.Second {
					slow = append(slow, fmt.Sprintf("%s took %v", strings.Join(st.args, " "), d.Round(time.Millisecond)))
				}
				out = append(out, fmt.Sprintf("$ supervisorctl %s  [exit %d]\n%s", strings.Join(st.args, " "), code, text))
				break
			}
			time.Sleep(50 * time.Millisecond) // poll interval of the until condition
		}
	}
	// The script ends with shutdown; the daemon must then exit on its own.
	_, err = in.Wait(20 * time.Second)
	return out, slow, err
}

// TestSupervisorctlAgainstOracle drives Supervisor 4.2 and super with the
// oracle's own supervisorctl and requires the same output and exit status
// for every command (pids and times masked).
func TestSupervisorctlAgainstOracle(t *testing.T) {
	testbin.NeedOracle(t)
	if testing.Short() {
		t.Skip("the supervisorctl scenario takes several seconds")
	}
	oracle, ours := testbin.Start(t, true, ctlPrograms), testbin.Start(t, false, ctlPrograms)
	var res [2][]string
	var wg sync.WaitGroup
	wg.Add(2)
	for i, in := range []*testbin.Daemon{oracle, ours} {
		go func() {
			defer wg.Done()
			out, slow, err := runCtl(in)
			if err != nil {
				t.Error(err)
			}
			if len(slow) > 0 {
				t.Logf("slow steps on %s: %s", in.Name, strings.Join(slow, "; "))
			}
			res[i] = out
		}()
	}
	wg.Wait()
	if testing.Verbose() {
		t.Logf("super's transcript:\n%s", strings.Join(res[1], ""))
	}
	for i := 0; i < len(res[0]) || i < len(res[1]); i++ {
		var w, g string
		if i < len(res[0]) {
			w = res[0][i]
		}
		if i < len(res[1]) {
			g = res[1][i]
		}
		if w != g {
			t.Errorf("step %d differs:\n--- 4.2:\n%s--- super:\n%s", i, w, g)
		}
	}
}
