// Package echoconf is the echo_supervisord_conf applet: it prints the sample
// configuration, to be redirected into a file and edited.
package echoconf

import (
	"fmt"
	"io"

	"super/core/config"
)

// Main prints the sample config to stdout. Like 4.2 it takes no options and
// ignores its arguments, so existing scripts keep working.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if _, err := io.WriteString(stdout, config.Sample); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	return 0
}
