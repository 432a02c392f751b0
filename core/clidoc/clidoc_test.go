package clidoc

import (
	"reflect"
	"strings"
	"testing"
)

const usage = `prog -- do things.

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
--minprocs NUM  -- the minimum number of processes
-n/--nodaemon -- run in the foreground

action [arguments] -- see below
`

func TestUsageHelp(t *testing.T) {
	h := UsageHelp(usage)
	for k, want := range map[string]string{
		"-c":              "configuration file path (searches if not given)",
		"--configuration": "configuration file path (searches if not given)",
		"--nocleanup":     "prevent the process from performing cleanup (removal of old automatic child log files) at startup.",
		"--minprocs":      "the minimum number of processes",
		"-n":              "run in the foreground",
	} {
		if h[k] != want {
			t.Errorf("help of %s = %q, want %q", k, h[k], want)
		}
	}
	if _, ok := h["action"]; ok {
		t.Errorf("a line that is not an option was read as one")
	}
}

func TestWithHelpFailsOnAnUndocumentedOption(t *testing.T) {
	if _, err := WithHelp([]Option{{Short: "c", Long: "configuration", Arg: "FILENAME"}}, usage); err != nil {
		t.Fatal(err)
	}
	if _, err := WithHelp([]Option{{Short: "z", Long: "zap"}}, usage); err == nil || !strings.Contains(err.Error(), "-z/--zap") {
		t.Errorf("an option missing from the usage text: %v", err)
	}
}

func TestCompleteOptions(t *testing.T) {
	opts := []Option{
		{Short: "c", Long: "configuration", Arg: "FILENAME", Complete: Files},
		{Short: "n", Long: "nodaemon"},
		Option{Short: "e", Long: "loglevel", Arg: "LEVEL"}.WithValues("debug", "info"),
	}
	for _, c := range []struct {
		args       []string
		cur        string
		want       Reply
		positional []string
		done       bool
	}{
		{nil, "--no", Reply{Kind: Words, Words: []string{"--nodaemon"}}, nil, true},
		{nil, "-", Reply{Kind: Words, Words: []string{"-c", "--configuration", "-n", "--nodaemon", "-e", "--loglevel"}}, nil, true},
		{[]string{"-c"}, "/et", Reply{Kind: Files}, nil, true},
		{[]string{"--configuration"}, "", Reply{Kind: Files}, nil, true},
		{nil, "--configuration=/et", Reply{Kind: Files, Prefix: "--configuration="}, nil, true},
		{nil, "-c/et", Reply{Kind: Files, Prefix: "-c"}, nil, true},
		{[]string{"-n", "-e"}, "d", Reply{Kind: Words, Words: []string{"debug"}}, nil, true},
		{nil, "--loglevel=i", Reply{Kind: Words, Words: []string{"--loglevel=info"}}, nil, true},
		// "-nc" is -n then -c, whose argument is the next word.
		{[]string{"-nc"}, "", Reply{Kind: Files}, nil, true},
		// The argument of -c is "-n", not an option.
		{[]string{"-c", "-n"}, "st", Reply{}, []string{}, false},
		{[]string{"-c", "f", "status"}, "we", Reply{}, []string{"status"}, false},
		{[]string{"--", "-x"}, "", Reply{}, []string{"-x"}, false},
		{[]string{"-cfile", "stop"}, "", Reply{}, []string{"stop"}, false},
	} {
		got, positional, done := CompleteOptions(opts, c.args, c.cur)
		if !reflect.DeepEqual(got, c.want) || done != c.done || (!done && !reflect.DeepEqual(positional, c.positional) && !(len(positional) == 0 && len(c.positional) == 0)) {
			t.Errorf("CompleteOptions(%q, %q) = %+v, %q, %v; want %+v, %q, %v", c.args, c.cur, got, positional, done, c.want, c.positional, c.done)
		}
	}
}

func TestReplyWrite(t *testing.T) {
	var b strings.Builder
	Reply{Kind: Words, Words: []string{"start", "status"}}.Write(&b)
	Reply{Kind: Files, Prefix: "--configuration="}.Write(&b)
	Reply{}.Write(&b)
	if want := "words\nstart\nstatus\nfiles\n--configuration=\nnone\n"; b.String() != want {
		t.Errorf("replies written as %q, want %q", b.String(), want)
	}
}

func TestRoffEscapes(t *testing.T) {
	m := NewMan("x", "1", "2026-01-02", "super 1.0", "User Commands", `a "quoted" summary`)
	m.Para(Text(`.starts with a period, has a \ backslash`))
	m.Para(Text("'starts with an apostrophe"))
	m.Item(B("--help"), Text("tab\there"))
	m.Verbatim("line one\n\n.dotted -x")
	want := `.TH "X" 1 "2026-01-02" "super 1.0" "User Commands"
.SH "NAME"
x \- a "quoted" summary
.PP
\&.starts with a period, has a \e backslash
.PP
\&'starts with an apostrophe
.TP
\fB\-\-help\fR
tab here
.PP
.RS 4
.nf
line one
.sp
\&.dotted \-x
.fi
.RE
`
	if got := m.String(); got != want {
		t.Errorf("roff:\n%s\nwant:\n%s", got, want)
	}
}

func TestCommandsPage(t *testing.T) {
	m := &Man{}
	m.Commands([]Command{{Name: "tail", Help: "tail [-f] <name>\nEx:\ntail -f <name>\t\tContinuous tail\n\t\t\tCtrl-C to exit."}})
	want := `.TP
\fBtail\fR \fI[\-f]\fR \fI<name>\fR
Ex:
.TP
\fBtail\fR \fB\-f\fR \fI<name>\fR
Continuous tail
.br
Ctrl-C to exit.
`
	if got := m.String(); got != want {
		t.Errorf("roff:\n%s\nwant:\n%s", got, want)
	}
}

func TestScriptShells(t *testing.T) {
	for _, sh := range Shells {
		s, err := Script(sh, "super", []string{"super", "supervisorctl"})
		if err != nil || !strings.Contains(s, "super __complete") || !strings.Contains(s, "super supervisorctl") || strings.Contains(s, "@") && strings.Contains(s, "@HELPER@") {
			t.Errorf("%s script: %v\n%s", sh, err, s)
		}
	}
	if _, err := Script("tcsh", "super", nil); err == nil {
		t.Errorf("a script for tcsh")
	}
}
