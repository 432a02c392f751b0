package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

func (c *controller) doTail(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	if len(args) < 1 {
		c.output("Error: too few arguments")
		c.exit = exitGeneric
		c.helpTopic("tail")
		return false, nil
	}
	if len(args) > 3 {
		c.output("Error: too many arguments")
		c.exit = exitGeneric
		c.helpTopic("tail")
		return false, nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 1:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stderr" && channel != "stdout" {
			c.output("Error: bad channel " + pyRepr(channel))
			c.exit = exitGeneric
			return false, nil
		}
	default:
		c.output("Error: tail requires process name")
		c.exit = exitGeneric
		return false, nil
	}
	n := 1600
	if modifier != "" {
		what := modifier[1:]
		if what == "f" {
			return false, c.tailf("/logtail/" + name + "/" + channel)
		}
		var ok bool
		if n, ok = pyInt(what); !ok {
			c.output("Error: bad argument " + modifier)
			c.exit = exitGeneric
			return false, nil
		}
	}
	method := "readProcessStdoutLog"
	if channel == "stderr" {
		method = "readProcessStderrLog"
	}
	v, err := c.call(method, name, -n, 0)
	if err != nil {
		if _, ok := asFault(err); ok {
			c.exit = exitGeneric
			switch faultCode(err) {
			case faultNoFile:
				c.output(name + ": ERROR (no log file)")
				return false, nil
			case faultFailed:
				c.output(name + ": ERROR (unknown error reading log)")
				return false, nil
			case faultBadName:
				c.output(name + ": ERROR (no such process name)")
				return false, nil
			}
		}
		return false, err
	}
	c.output(toString(v))
	return false, nil
}

func (c *controller) doMaintail(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	args := strings.Fields(arg)
	n := 1600
	switch {
	case len(args) > 1:
		c.output("Error: too many arguments")
		c.exit = exitGeneric
		c.helpTopic("maintail")
		return false, nil
	case len(args) == 1:
		if !strings.HasPrefix(args[0], "-") {
			c.output("Error: bad argument " + args[0])
			c.exit = exitGeneric
			return false, nil
		}
		what := args[0][1:]
		if what == "f" {
			return false, c.tailf("/mainlogtail")
		}
		var ok bool
		if n, ok = pyInt(what); !ok {
			c.output("Error: bad argument " + args[0])
			c.exit = exitGeneric
			return false, nil
		}
	}
	v, err := c.call("readLog", -n, 0)
	if err != nil {
		if _, ok := asFault(err); ok {
			c.exit = exitGeneric
			switch faultCode(err) {
			case faultNoFile:
				c.output("supervisord: ERROR (no log file)")
				return false, nil
			case faultFailed:
				c.output("supervisord: ERROR (unknown error reading log)")
				return false, nil
			}
		}
		return false, err
	}
	c.output(toString(v))
	return false, nil
}

// interruptible returns a context cancelled by Ctrl-C (SIGINT) and a stop
// function; while it is active the signal does not kill the process.
func (c *controller) interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancel(c.ctx)
	if c.shellSignals {
		// The shell owns SIGINT; it calls intr while this command runs.
		c.mu.Lock()
		c.intr = cancel
		c.mu.Unlock()
		return ctx, func() {
			c.mu.Lock()
			c.intr = nil
			c.mu.Unlock()
			cancel()
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// tailf streams a log over the server's HTTP tail handler until Ctrl-C
// (or the server closes it), as 4.2's _tailf.
func (c *controller) tailf(path string) error {
	c.output("==> Press Ctrl-C to exit <==")
	ctx, stop := c.interruptible()
	defer stop()
	c.stream(ctx, path, c.out)
	if ctx.Err() != nil {
		c.output("")
	}
	return nil
}

// stream copies one HTTP GET of path on the server to w. Errors go to
// stderr in 4.2's words ("<url> Cannot read, status code 404").
func (c *controller) stream(ctx context.Context, path string, w io.Writer) {
	target := c.opts.ServerURL + path
	req, client, err := c.httpRequest(ctx, path)
	if err != nil {
		fmt.Fprintf(c.errOut, "%s Cannot connect, error: %v\n", target, err)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(c.errOut, "%s Cannot connect, error: %s\n", target, connectError(err))
		}
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.errOut, "%s Cannot read, status code %d\n", target, resp.StatusCode)
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// connectError words a dial error as 4.2's asyncore client does.
func connectError(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "<class 'ConnectionRefusedError'> ([Errno 111] Connection refused)"
	case errors.Is(err, syscall.ENOENT):
		return "<class 'FileNotFoundError'> ([Errno 2] No such file or directory)"
	}
	return err.Error()
}

// httpRequest builds a GET for path on the server URL: over the unix
// socket for unix://, plain TCP for http://, with basic auth when a
// password is set (4.2 sends none otherwise).
func (c *controller) httpRequest(ctx context.Context, path string) (*http.Request, *http.Client, error) {
	transport := &http.Transport{DisableCompression: true}
	base := c.opts.ServerURL
	if sock, ok := strings.CutPrefix(base, "unix://"); ok {
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		base = "http://localhost"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", "Supervisor HTTP Client")
	if c.opts.Password != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	return req, &http.Client{Transport: transport}, nil
}

func (c *controller) doFg(arg string) (bool, error) {
	if ok, err := c.upcheck(); !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("ERROR: no process name supplied")
		c.exit = exitGeneric
		c.helpTopic("fg")
		return false, nil
	}
	if len(names) > 1 {
		c.output("ERROR: too many process names supplied")
		c.exit = exitGeneric
		return false, nil
	}
	name := names[0]
	v, err := c.call("getProcessInfo", name)
	if err != nil {
		if f, ok := asFault(err); ok {
			if f.Code == faultBadName {
				c.output("ERROR: bad process name supplied")
				c.exit = exitGeneric
			} else {
				c.output("ERROR: " + faultRepr(f))
			}
			return false, nil
		}
		return false, err
	}
	if toProcInfo(v).State != stateRunning {
		c.output("ERROR: process not running")
		c.exit = exitGeneric
		return false, nil
	}
	c.output("==> Press Ctrl-C to exit <==")

	ctx, stop := c.interruptible()
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	streams, cancelStreams := context.WithCancel(ctx)
	defer cancelStreams()
	for _, ch := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stream(streams, "/logtail/"+name+"/"+ch, c.out)
		}()
	}

	type lineOrErr struct {
		line string
		err  error
	}
	lines := make(chan lineOrErr, 1)
	for {
		go func() {
			l, err := c.lines.Prompt("")
			lines <- lineOrErr{l, err}
		}()
		var in lineOrErr
		select {
		case <-ctx.Done():
			c.output("Exiting foreground")
			return false, nil
		case in = <-lines:
		}
		if in.err != nil {
			c.output("Exiting foreground")
			return false, nil
		}
		if _, err := c.call("sendProcessStdin", name, in.line+"\n"); err != nil {
			if f, ok := asFault(err); ok && f.Code == faultNotRunning {
				c.output("Process got killed")
			} else if ok {
				c.output("ERROR: " + faultRepr(f))
			} else {
				c.output("ERROR: " + err.Error())
			}
			c.output("Exiting foreground")
			return false, nil
		}
		v, err := c.call("getProcessInfo", name)
		if err != nil {
			return false, err
		}
		if toProcInfo(v).State != stateRunning {
			c.output("Process got killed")
			c.output("Exiting foreground")
			return false, nil
		}
	}
}
