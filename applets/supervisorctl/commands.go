package supervisorctl

import (
	"fmt"
	"io"
)

// run carries out what the command line asked for once it is parsed: the
// action in opts.Command against opts.ServerURL, then the interactive shell
// when opts.Interactive. It returns supervisorctl's exit status.
//
// The actions are not part of this build yet.
var run = func(opts *Options, stdin io.Reader, stdout, stderr io.Writer) int {
	what := "the interactive shell"
	if len(opts.Command) > 0 {
		what = fmt.Sprintf("the %q action", opts.Command[0])
	}
	fmt.Fprintf(stderr, "supervisorctl: %s is not implemented yet in this build\n", what)
	return 1
}
