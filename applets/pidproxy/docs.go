package pidproxy

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// What the manual page says of pidproxy, from its help text and the table
// of signals it relays.

// Summary is what pidproxy does, from the first line of its help.
func Summary() string {
	first, _, _ := strings.Cut(usageText, "\n")
	_, s, _ := strings.Cut(first, " -- ")
	return strings.TrimSuffix(s, ".")
}

// Description is the paragraph of its help that explains it.
func Description() string {
	paras := strings.Split(usageText, "\n\n")
	return strings.Join(strings.Fields(paras[1]), " ")
}

// RelayedSignals are the names of the signals passed on ("SIGTERM"), and
// whether pidproxy exits after passing each on.
func RelayedSignals() (names []string, exits []bool) {
	for _, s := range relayed {
		names = append(names, unix.SignalName(s.(syscall.Signal)))
		exits = append(exits, terminates(s))
	}
	return names, exits
}
