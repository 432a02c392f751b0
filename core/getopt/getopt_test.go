package getopt

import (
	"errors"
	"slices"
	"testing"
)

// The short and long options of supervisord 4.2.
const set1Short = "c:nsh?vu:m:d:l:y:z:e:j:i:q:ka:t"

var set1Long = []string{"help", "configuration=", "version", "nodaemon", "user=", "umask=",
	"directory=", "logfile=", "logfile_maxbytes=", "logfile_backups=", "loglevel=", "pidfile=",
	"identifier=", "childlogdir=", "minfds=", "minprocs=", "nocleanup", "strip_ansi",
	"profile_options=", "silent"}

// A long option list where an exact match comes after a longer name.
const set2Short = "ab:"

var set2Long = []string{"foobar", "foo=", "food"}

type optset int

const (
	set1 optset = iota
	set2
)

// Every expected value below was produced by Python 3's getopt.getopt on
// the same arguments.
var cases = []struct {
	set  optset
	args []string
	opts []Option
	rest []string
	err  string
}{
	{set1, []string{}, []Option{}, []string{}, ""},
	{set1, []string{"-c", "f"}, []Option{{"-c", "f"}}, []string{}, ""},
	{set1, []string{"-cf"}, []Option{{"-c", "f"}}, []string{}, ""},
	{set1, []string{"-nc", "f"}, []Option{{"-n", ""}, {"-c", "f"}}, []string{}, ""},
	{set1, []string{"-ncf"}, []Option{{"-n", ""}, {"-c", "f"}}, []string{}, ""},
	{set1, []string{"-n", "-s"}, []Option{{"-n", ""}, {"-s", ""}}, []string{}, ""},
	{set1, []string{"-ns"}, []Option{{"-n", ""}, {"-s", ""}}, []string{}, ""},
	{set1, []string{"-c"}, nil, nil, "option -c requires argument"},
	{set1, []string{"-x"}, nil, nil, "option -x not recognized"},
	{set1, []string{"-nx"}, nil, nil, "option -x not recognized"},
	{set1, []string{"--configuration=f"}, []Option{{"--configuration", "f"}}, []string{}, ""},
	{set1, []string{"--configuration", "f"}, []Option{{"--configuration", "f"}}, []string{}, ""},
	{set1, []string{"--config", "f"}, []Option{{"--configuration", "f"}}, []string{}, ""},
	{set1, []string{"--conf=f"}, []Option{{"--configuration", "f"}}, []string{}, ""},
	{set1, []string{"--c=f"}, nil, nil, "option --c not a unique prefix"},
	{set1, []string{"--c"}, nil, nil, "option --c not a unique prefix"},
	{set1, []string{"--configuration"}, nil, nil, "option --configuration requires argument"},
	{set1, []string{"--nodaemon=1"}, nil, nil, "option --nodaemon must not have an argument"},
	{set1, []string{"--nodaemon="}, nil, nil, "option --nodaemon must not have an argument"},
	{set1, []string{"--no"}, nil, nil, "option --no not a unique prefix"},
	{set1, []string{"--n"}, nil, nil, "option --n not a unique prefix"},
	{set1, []string{"--foo"}, nil, nil, "option --foo not recognized"},
	{set1, []string{"--configuration="}, []Option{{"--configuration", ""}}, []string{}, ""},
	{set1, []string{"--", "-n"}, []Option{}, []string{"-n"}, ""},
	{set1, []string{"-n", "--", "-s"}, []Option{{"-n", ""}}, []string{"-s"}, ""},
	{set1, []string{"-"}, []Option{}, []string{"-"}, ""},
	{set1, []string{"-n", "-", "-s"}, []Option{{"-n", ""}}, []string{"-", "-s"}, ""},
	{set1, []string{"foo", "-n"}, []Option{}, []string{"foo", "-n"}, ""},
	{set1, []string{"-n", "foo", "-s"}, []Option{{"-n", ""}}, []string{"foo", "-s"}, ""},
	{set1, []string{"-c", "-n"}, []Option{{"-c", "-n"}}, []string{}, ""},
	{set1, []string{"--configuration", "--nodaemon"}, []Option{{"--configuration", "--nodaemon"}}, []string{}, ""},
	{set1, []string{"-:"}, nil, nil, "option -: not recognized"},
	{set1, []string{"-?"}, []Option{{"-?", ""}}, []string{}, ""},
	{set1, []string{"--log"}, nil, nil, "option --log not a unique prefix"},
	{set1, []string{"--logfile", "x"}, []Option{{"--logfile", "x"}}, []string{}, ""},
	{set1, []string{"--logfile_m=5"}, []Option{{"--logfile_maxbytes", "5"}}, []string{}, ""},
	{set1, []string{"--minp=3"}, []Option{{"--minprocs", "3"}}, []string{}, ""},
	{set1, []string{"--m=3"}, nil, nil, "option --m not a unique prefix"},
	{set1, []string{"--user=a=b"}, []Option{{"--user", "a=b"}}, []string{}, ""},
	{set1, []string{"-cé"}, []Option{{"-c", "é"}}, []string{}, ""},
	{set1, []string{"-é"}, nil, nil, "option -é not recognized"},
	{set1, []string{"--=x"}, nil, nil, "option -- not a unique prefix"},
	{set1, []string{"--"}, []Option{}, []string{}, ""},
	{set1, []string{"---"}, nil, nil, "option --- not recognized"},
	{set1, []string{"---x"}, nil, nil, "option ---x not recognized"},
	{set1, []string{"-c", ""}, []Option{{"-c", ""}}, []string{}, ""},
	{set1, []string{"", "-n"}, []Option{}, []string{"", "-n"}, ""},
	{set1, []string{"--pro", "cumulative"}, []Option{{"--profile_options", "cumulative"}}, []string{}, ""},
	{set1, []string{"-hv"}, []Option{{"-h", ""}, {"-v", ""}}, []string{}, ""},
	{set1, []string{"--strip"}, []Option{{"--strip_ansi", ""}}, []string{}, ""},
	{set1, []string{"--s"}, nil, nil, "option --s not a unique prefix"},
	{set1, []string{"--si"}, []Option{{"--silent", ""}}, []string{}, ""},
	{set1, []string{"--silent=x"}, nil, nil, "option --silent must not have an argument"},
	{set1, []string{"-n-"}, nil, nil, "option -- not recognized"},
	{set1, []string{"-c--"}, []Option{{"-c", "--"}}, []string{}, ""},
	{set2, []string{"--foo", "x"}, []Option{{"--foo", "x"}}, []string{}, ""},
	{set2, []string{"--fo"}, nil, nil, "option --fo not a unique prefix"},
	{set2, []string{"--foob"}, []Option{{"--foobar", ""}}, []string{}, ""},
	{set2, []string{"--food=1"}, nil, nil, "option --food must not have an argument"},
	{set2, []string{"--foo=v"}, []Option{{"--foo", "v"}}, []string{}, ""},
	{set2, []string{"--foobar"}, []Option{{"--foobar", ""}}, []string{}, ""},
}

func TestGetoptMatchesPython(t *testing.T) {
	for _, c := range cases {
		short, long := set1Short, set1Long
		if c.set == set2 {
			short, long = set2Short, set2Long
		}
		opts, rest, err := Getopt(c.args, short, long)
		if c.err != "" {
			var ge *Error
			if !errors.As(err, &ge) || ge.Error() != c.err {
				t.Errorf("Getopt(%q): err = %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Getopt(%q): unexpected error %v", c.args, err)
			continue
		}
		if !slices.Equal(opts, c.opts) || !slices.Equal(rest, c.rest) {
			t.Errorf("Getopt(%q) = %q, %q; want %q, %q", c.args, opts, rest, c.opts, c.rest)
		}
	}
}

func TestErrorCarriesOption(t *testing.T) {
	_, _, err := Getopt([]string{"--c"}, set1Short, set1Long)
	var ge *Error
	if !errors.As(err, &ge) || ge.Opt != "c" {
		t.Fatalf("err = %#v, want Opt \"c\"", err)
	}
}

// The remaining arguments must be the tail of the input, untouched, so
// supervisorctl can join them back into a command line.
func TestRestIsTail(t *testing.T) {
	args := []string{"-c", "f", "status", "-x", "--", "a b"}
	_, rest, err := Getopt(args, "c:", nil)
	if err != nil || !slices.Equal(rest, args[2:]) {
		t.Fatalf("rest = %q, %v", rest, err)
	}
}
