package ctl

import (
	"os"

	"golang.org/x/sys/unix"
)

// terminal is the terminal top draws on: raw input, the alternate screen,
// the cursor hidden; restore puts everything back as it was.
//
// Written on x/sys/unix (already in the binary) rather than a terminal
// library: package initialisation runs for every applet, and a library's
// would slow every supervisorctl status for the sake of one command.
type terminal struct {
	in, out *os.File
	saved   *unix.Termios
}

// openTerminal switches in to raw mode and out to the alternate screen; it
// fails when either is not a terminal.
func openTerminal(in, out *os.File) (*terminal, error) {
	saved, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	if _, err := unix.IoctlGetWinsize(int(out.Fd()), unix.TIOCGWINSZ); err != nil {
		return nil, err
	}
	raw := *saved
	// cfmakeraw, but output processing kept: "\n" still starts a line.
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(in.Fd()), unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	t := &terminal{in: in, out: out, saved: saved}
	// The alternate screen, cursor hidden, wrapping off.
	out.WriteString("\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J")
	return t, nil
}

// size is the window's columns and rows.
func (t *terminal) size() (cols, rows int) {
	ws, err := unix.IoctlGetWinsize(int(t.out.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 || ws.Row == 0 {
		return 80, 24
	}
	return int(ws.Col), int(ws.Row)
}

// restore leaves the terminal as it was found: wrapping and cursor back,
// the normal screen with what was on it, the saved modes.
func (t *terminal) restore() {
	t.out.WriteString("\x1b[?7h\x1b[?25h\x1b[?1049l")
	unix.IoctlSetTermios(int(t.in.Fd()), unix.TCSETS, t.saved)
}
