// Package supervisorctl is the supervisorctl applet (command-line glue only).
package supervisorctl

import (
	"fmt"
	"io"
)

// Main runs the applet and returns its exit status.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: not implemented yet\n", argv0)
	return 1
}
