package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// helperArg makes the test binary run one of the child programs below
// instead of the tests: `e2e.test e2e-helper MODE ARGS…`.
const helperArg = "e2e-helper"

// helperCmd is the command line running helper mode with args.
func helperCmd(t testing.TB, mode string, args ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := exe + " " + helperArg + " " + mode
	for _, a := range args {
		s += " " + a
	}
	return s
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	f.WriteString(line + "\n")
	f.Close()
}

func helper(mode string, args []string) int {
	switch mode {
	case "record":
		// record FILE [ignoreterm]: append "ready <pid>", then the name of
		// every signal received; exit 0 on TERM/INT/QUIT unless told to
		// ignore TERM.
		file := args[0]
		ignoreTerm := len(args) > 1 && args[1] == "ignoreterm"
		sigs := make(chan os.Signal, 16)
		signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2,
			syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM)
		appendLine(file, fmt.Sprintf("ready %d", os.Getpid()))
		for s := range sigs {
			sig := s.(syscall.Signal)
			appendLine(file, sigName(sig))
			switch {
			case sig == syscall.SIGTERM && ignoreTerm:
			case sig == syscall.SIGTERM, sig == syscall.SIGINT, sig == syscall.SIGQUIT:
				return 0
			}
		}
	case "lastwords":
		// lastwords: print "up <pid>", then on SIGTERM a few KiB of
		// "bye <pid>" lines and exit 0.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Printf("up %d\n", os.Getpid())
		<-sigs
		os.Stdout.WriteString(strings.Repeat(fmt.Sprintf("bye %d\n", os.Getpid()), 300))
	case "grandchild":
		// grandchild PIDFILE: start a long sleep, write its pid, wait.
		c := exec.Command("sleep", "300")
		if err := c.Start(); err != nil {
			return 3
		}
		os.WriteFile(args[0], []byte(strconv.Itoa(c.Process.Pid)), 0o644)
		c.Wait()
	case "launcher":
		// launcher PIDFILE RECFILE: what pidproxy fronts. It starts a
		// "record" child, writes that child's pid to PIDFILE and stays
		// until the child is gone.
		exe, _ := os.Executable()
		c := exec.Command(exe, helperArg, "record", args[1])
		if err := c.Start(); err != nil {
			return 3
		}
		os.WriteFile(args[0]+".tmp", []byte(strconv.Itoa(c.Process.Pid)+"\n"), 0o644)
		os.Rename(args[0]+".tmp", args[0])
		c.Wait()
	case "dumpenv":
		return dumpEnv(args)
	case "gonotify":
		return goNotify(args)
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
	return 0
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGUSR1:
		return "USR1"
	case syscall.SIGUSR2:
		return "USR2"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGQUIT:
		return "QUIT"
	case syscall.SIGTERM:
		return "TERM"
	}
	return s.String()
}
