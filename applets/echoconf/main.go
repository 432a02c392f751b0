// Package echoconf is the echoconf applet (command-line glue only).
package echoconf

import (
	"fmt"
	"io"
)

// Main runs the applet and returns its exit status.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: not implemented yet\n", argv0)
	return 1
}
