package supervisorctl

import (
	"io"

	"super/core/ctl"
)

// run carries out what the command line asked for once it is parsed: the
// action in opts.Command against opts.ServerURL, or the interactive shell when
// there is no action. It returns supervisorctl's exit status.
func run(opts *Options, stdin io.Reader, stdout, stderr io.Writer) int {
	return ctl.Run(ctl.Options{
		ServerURL:   opts.ServerURL,
		Username:    opts.Username,
		Password:    opts.Password,
		Prompt:      opts.Prompt,
		HistoryFile: opts.HistoryFile,
		Interactive: opts.Interactive,
	}, opts.Command, stdin, stdout, stderr)
}
