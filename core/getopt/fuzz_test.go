package getopt

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// pythonGetopt is a long-lived Python process answering getopt queries, so
// the fuzz target can compare every input with the real thing.
type pythonGetopt struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  *json.Encoder
	out *bufio.Scanner
}

const pythonServer = `
import getopt, json, sys
for line in sys.stdin:
    q = json.loads(line)
    try:
        o, a = getopt.getopt(q["args"], q["short"], q["long"])
        r = {"opts": [[n, v] for n, v in o], "rest": a}
    except getopt.GetoptError as e:
        r = {"err": str(e)}
    sys.stdout.write(json.dumps(r) + "\n")
    sys.stdout.flush()
`

type pyAnswer struct {
	Opts [][2]string `json:"opts"`
	Rest []string    `json:"rest"`
	Err  string      `json:"err"`
}

func startPython(t testing.TB) *pythonGetopt {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Logf("%s not installed: fuzzing invariants only, without comparing with Python", python)
		return nil
	}
	cmd := exec.Command(python, "-c", pythonServer)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	return &pythonGetopt{cmd: cmd, in: json.NewEncoder(stdin), out: sc}
}

func (p *pythonGetopt) ask(t *testing.T, args []string, short string, long []string) pyAnswer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if long == nil {
		long = []string{}
	}
	if err := p.in.Encode(map[string]any{"args": args, "short": short, "long": long}); err != nil {
		t.Fatal(err)
	}
	if !p.out.Scan() {
		t.Fatalf("python getopt helper died: %v", p.out.Err())
	}
	var a pyAnswer
	if err := json.Unmarshal(p.out.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// FuzzGetopt checks invariants on any input and, where Python is installed,
// that the result equals Python's getopt. The input is split at NUL bytes
// into arguments; the second value picks one of the two option sets.
func FuzzGetopt(f *testing.F) {
	for _, c := range cases {
		f.Add(strings.Join(c.args, "\x00"), c.set == set2)
	}
	py := startPython(f)
	f.Fuzz(func(t *testing.T, joined string, second bool) {
		args := strings.Split(joined, "\x00")
		if joined == "" {
			args = nil
		}
		short, long := set1Short, set1Long
		if second {
			short, long = set2Short, set2Long
		}
		opts, rest, err := Getopt(args, short, long)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || !strings.HasPrefix(ge.Msg, "option -") {
				t.Fatalf("error %#v is not a getopt error", err)
			}
		} else {
			if len(rest) > len(args) || !slices.Equal(rest, args[len(args)-len(rest):]) {
				t.Fatalf("rest %q is not a tail of %q", rest, args)
			}
			for _, o := range opts {
				name, isLong := strings.CutPrefix(o.Name, "--")
				if isLong {
					if !slices.Contains(long, name) && !slices.Contains(long, name+"=") {
						t.Fatalf("unknown long option %q returned", o.Name)
					}
				} else if len(o.Name) < 2 || !strings.Contains(short, o.Name[1:]) || o.Name[1:] == ":" {
					t.Fatalf("unknown short option %q returned", o.Name)
				}
			}
		}
		// Python's getopt copies the remaining string for each clustered
		// short option, quadratic in the input: compare short inputs only.
		if py == nil || len(joined) > 512 {
			return
		}
		for _, a := range args {
			if !utf8.ValidString(a) {
				return // JSON cannot carry these bytes to Python unchanged
			}
		}
		want := py.ask(t, args, short, long)
		if want.Err != "" || err != nil {
			if err == nil || err.Error() != want.Err {
				t.Fatalf("Getopt(%q): err = %v, Python says %q", args, err, want.Err)
			}
			return
		}
		got := make([][2]string, len(opts))
		for i, o := range opts {
			got[i] = [2]string{o.Name, o.Value}
		}
		if !slices.Equal(got, want.Opts) || !slices.Equal(rest, want.Rest) {
			t.Fatalf("Getopt(%q) = %q, %q; Python: %q, %q", args, got, rest, want.Opts, want.Rest)
		}
	})
}
