// Package pidproxy is the pidproxy applet: it fronts a program that forks
// into the background, so supervisord can still control it. pidproxy runs
// the command, and relays the signals it receives to the pid written in
// the pidfile, exactly as Supervisor 4.2's pidproxy does.
package pidproxy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// usageText is 4.2's help ("%s" is the program name as invoked).
const usageText = `pidproxy -- run command and proxy signals to it via its pidfile.

This executable runs a command and then monitors a pidfile.  When this
executable receives a signal, it sends the same signal to the pid
in the pidfile.

Usage: %s <pidfile name> <command> [<cmdarg1> ...]

`

// relayed are the signals passed on to the pidfile's pid; after the
// terminating ones pidproxy exits, leaving the daemon to shut down.
var relayed = []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT}

func terminates(s os.Signal) bool {
	return s == syscall.SIGTERM || s == syscall.SIGINT || s == syscall.SIGQUIT
}

// Main runs pidproxy. Like 4.2 it exits 0 when the command exits, and 1
// with the usage text on stdout when arguments are missing.
func Main(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		io.WriteString(stdout, strings.ReplaceAll(usageText, "%s", argv0))
		return 1
	}
	pidfile, cmdargs := args[0], args[1:]

	// Listen before starting, so no signal falls between the two.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, relayed...)
	defer signal.Stop(sigs)

	cmd := exec.Command(commandPath(cmdargs[0]))
	cmd.Args = cmdargs
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Start(); err != nil {
		// 4.2's forked child fails its exec silently; say why instead,
		// and exit as a shell does for a command it cannot run.
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 127
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()

	for {
		select {
		case <-exited:
			return 0
		case sig := <-sigs:
			pid, err := readPid(pidfile)
			if err != nil {
				fmt.Fprintf(stdout, "Can't read child pidfile %s!\n", pidfile)
				continue
			}
			if err := syscall.Kill(pid, sig.(syscall.Signal)); err != nil {
				fmt.Fprintf(stderr, "%s: cannot signal pid %d from %s: %v\n", argv0, pid, pidfile, err)
				return 1
			}
			if terminates(sig) {
				return 0
			}
		}
	}
}

// commandPath is where the command is. 4.2 takes it relative to the working
// directory (os.path.abspath), which is kept; a bare name that is not there
// is looked up in PATH instead of failing.
func commandPath(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return name
	}
	if strings.Contains(name, "/") {
		return abs
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return abs
	}
	if p, err := exec.LookPath(name); err == nil {
		if q, err := filepath.Abs(p); err == nil {
			return q
		}
		return p
	}
	return abs
}

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, err
	}
	if pid <= 0 {
		// kill(0) or kill(-1) would signal whole process groups.
		return 0, errors.New("not a process id")
	}
	return pid, nil
}
