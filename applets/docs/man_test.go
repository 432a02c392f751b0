package docs_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"super/applets/docs"
	"super/applets/supervisorctl"
	"super/applets/supervisord"
	"super/core/testbin"
)

// manpages runs `super __manpages` as the build does and returns the
// directory.
func manpages(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command(testbin.Path(t, "super"), "__manpages", dir, "2026-01-02").CombinedOutput()
	if err != nil {
		t.Fatalf("super __manpages: %v\n%s", err, out)
	}
	return dir
}

// The five pages, clean for groff's warnings and man's.
func TestManPagesAreClean(t *testing.T) {
	groff := testbin.NeedTool(t, "groff", "groff-base")
	man := testbin.NeedTool(t, "man", "man-db")
	dir := manpages(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	want := []string{"echo_supervisord_conf.1", "pidproxy.1", "super.1", "supervisorctl.1", "supervisord.8"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("pages %q, want %q", names, want)
	}
	for _, name := range names {
		path := filepath.Join(dir, name)
		b, _ := os.ReadFile(path)
		for i, c := range b {
			if c >= 0x80 {
				t.Errorf("%s: a byte outside ASCII at %d (groff would need preconv)", name, i)
				break
			}
		}
		if out, err := exec.Command(groff, "-ww", "-man", "-z", path).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("groff -ww -man %s: %v\n%s", name, err, out)
		}
		cmd := exec.Command(man, "--warnings", "-l", path)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C.UTF-8")
		var warnings bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &warnings
		if err := cmd.Run(); err != nil || warnings.Len() > 0 {
			t.Errorf("man --warnings -l %s: %v\n%s", name, err, warnings.String())
		}
	}
}

// The pages are made from the tables the applets parse with: every
// option, action and applet is in its page, and the NAME line is the
// applet's own help's.
func TestManPagesFollowTheTables(t *testing.T) {
	dir := manpages(t)
	page := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	roff := func(s string) string { return strings.ReplaceAll(s, "-", `\-`) }

	d := page("supervisord.8")
	if !strings.Contains(d, "supervisord \\- "+supervisord.Summary()+"\n") {
		t.Errorf("supervisord.8 NAME is not %q", supervisord.Summary())
	}
	for _, o := range supervisord.OptionTable() {
		for _, s := range o.Spellings() {
			if !strings.Contains(d, `\fB`+roff(s)+`\fR`) {
				t.Errorf("supervisord.8 lacks option %s", s)
			}
		}
		if !strings.Contains(d, o.Help) {
			t.Errorf("supervisord.8 lacks %s's help %q", o.Spellings()[0], o.Help)
		}
	}
	c := page("supervisorctl.1")
	for _, o := range supervisorctl.OptionTable() {
		for _, s := range o.Spellings() {
			if !strings.Contains(c, `\fB`+roff(s)+`\fR`) {
				t.Errorf("supervisorctl.1 lacks option %s", s)
			}
		}
	}
	for _, cmd := range append(supervisorctl.Commands(), supervisorctl.OwnCommands()...) {
		if !strings.Contains(c, ".TP\n\\fB"+cmd.Name+`\fR`) {
			t.Errorf("supervisorctl.1 lacks action %s", cmd.Name)
		}
	}
	s := page("super.1")
	for _, a := range []string{"supervisord", "supervisorctl", "pidproxy", "echo_supervisord_conf", "completion"} {
		if !strings.Contains(s, ".TP\n\\fB"+a+`\fR`) {
			t.Errorf("super.1 lacks %s", a)
		}
	}
	if !strings.Contains(page("pidproxy.1"), `\fBSIGUSR1\fR`) {
		t.Errorf("pidproxy.1 does not list the relayed signals")
	}
	if !strings.Contains(page("echo_supervisord_conf.1"), ";[program:theprogramname]") {
		t.Errorf("echo_supervisord_conf.1 does not list the sample's sections")
	}
	// The footer carries the version the binary reports.
	out, err := exec.Command(testbin.Path(t, "super"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.Fields(strings.TrimPrefix(string(out), "super version "))[0]
	if !strings.Contains(s, `"2026-01-02" "super `+roff(version)) && !strings.Contains(s, `"2026-01-02" "super `+version) {
		t.Errorf("super.1's footer is not version %s of 2026-01-02:\n%s", version, strings.SplitN(s, "\n", 2)[0])
	}
}

// Every -e value offered is one supervisord accepts.
func TestLogLevelsAreAccepted(t *testing.T) {
	for _, l := range supervisord.LogLevels {
		if _, err := supervisord.Parse("supervisord", []string{"-e", l}, nil); err != nil {
			t.Errorf("-e %s: %v", l, err)
		}
	}
	if len(docs.Commands([]docs.Applet{{Name: "supervisorctl"}})) != 2 {
		t.Errorf("Commands is not super and the applets")
	}
}
