// Package ctl is supervisorctl's engine: the commands, their output and exit
// statuses as Supervisor 4.2 prints them, and the interactive shell.
//
// The command line is parsed elsewhere; Run takes the merged options and the
// action words and talks to supervisord through a Caller (the XML-RPC
// client), so everything here can be exercised against a fake server.
package ctl

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
)

// Caller makes one XML-RPC call. Results are plain Go values: string, int,
// bool, []any and map[string]any; faults come back as errors.
type Caller interface {
	Call(ctx context.Context, method string, params ...any) (any, error)
}

// Options is what supervisorctl runs with: the command line merged with the
// [supervisorctl] section.
type Options struct {
	ServerURL   string // "unix:///path" or "http://host:port"
	Username    string // "" = none
	Password    string // "" = none (no Authorization header is sent)
	Prompt      string // shell prompt without "> "; "" means "supervisor"
	HistoryFile string // "" = no history kept
	// Interactive is -i, or no action given. With an action it only makes
	// shutdown/reload ask for confirmation and a 401 ask for credentials,
	// as in 4.2 (which never enters the shell after an action).
	Interactive bool

	// NewCaller makes the client for a server URL and credentials. nil
	// means the XML-RPC client of super. Tests put a fake here.
	NewCaller func(serverURL, username, password string) Caller
}

// Run executes one action (args joined by spaces, like 4.2) and returns its
// LSB exit status, or, when args is empty, runs the interactive shell and
// returns 0.
func Run(opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if opts.Prompt == "" {
		opts.Prompt = "supervisor"
	}
	c := newController(opts, stdin, stdout, stderr)
	if len(args) > 0 {
		defer c.lines.Close()
		c.interactive = opts.Interactive
		c.onecmd(strings.Join(args, " "))
		return c.exit
	}
	c.interactive = true
	c.shell()
	return 0
}

// Exit statuses, as 4.2's LSBInitExitStatuses and LSBStatusExitStatuses.
const (
	exitSuccess        = 0
	exitGeneric        = 1
	exitInvalidArgs    = 2
	exitUnimplemented  = 3
	exitNoPrivileges   = 4
	exitNotInstalled   = 5
	exitNotRunning     = 7
	statusNotRunning   = 3
	statusUnknown      = 4
	supportedAPIVesion = "3.0"
)

// controller is one supervisorctl session: the connection settings (open
// and a 401 prompt change them), the exit status of the last action and
// the completion cache.
type controller struct {
	opts        Options
	interactive bool
	exit        int

	ctx    context.Context
	cancel context.CancelFunc

	caller    Caller
	callerKey [3]string

	stdin  io.Reader
	out    io.Writer
	errOut io.Writer
	lines  lineReader

	completeInfo []procInfo
	haveComplete bool

	// shellSignals is set while the shell handles SIGINT itself; intr is
	// what a Ctrl-C interrupts then (tail -f, fg), nil at other times.
	shellSignals bool
	mu           sync.Mutex
	intr         func()
}

func newController(opts Options, stdin io.Reader, stdout, stderr io.Writer) *controller {
	c := &controller{opts: opts, stdin: stdin, out: stdout, errOut: stderr}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.lines = newPlainReader(stdin, stdout, stderr)
	return c
}

// output writes one line, as Controller.output.
func (c *controller) output(s string) {
	io.WriteString(c.out, s+"\n")
}

// client returns the Caller for the current URL and credentials; like 4.2's
// getServerProxy it follows open and re-authentication.
func (c *controller) client() Caller {
	key := [3]string{c.opts.ServerURL, c.opts.Username, c.opts.Password}
	if c.caller == nil || key != c.callerKey {
		newCaller := c.opts.NewCaller
		if newCaller == nil {
			newCaller = defaultCaller
		}
		c.caller, c.callerKey = newCaller(key[0], key[1], key[2]), key
	}
	return c.caller
}

// call is one supervisor.* (or system.*) method call.
func (c *controller) call(method string, params ...any) (any, error) {
	return c.client().Call(c.ctx, qualified(method), params...)
}

// qualified is a method name with its namespace: a bare name is 4.2's
// supervisor.* method.
func qualified(method string) string {
	if !strings.Contains(method, ".") {
		return "supervisor." + method
	}
	return method
}

// keepCaller is a Caller that can leave out of an answer's structs the
// members the caller does not read (xmlrpc.Client.CallKeep).
type keepCaller interface {
	CallKeep(ctx context.Context, keep []string, method string, params ...any) (any, error)
}

// callKeep is call for a command that reads only the struct members keep
// names; a Caller that cannot drop the others answers in full.
func (c *controller) callKeep(keep []string, method string, params ...any) (any, error) {
	if kc, ok := c.client().(keepCaller); ok {
		return kc.CallKeep(c.ctx, keep, qualified(method), params...)
	}
	return c.call(method, params...)
}

// isTerminal reports whether r is a terminal, which decides between the
// line editor and plain line reading.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && fileIsTerminal(f)
}
