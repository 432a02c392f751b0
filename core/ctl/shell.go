package ctl

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/peterh/liner"
	"golang.org/x/sys/unix"
)

// lineReader is where the shell, fg and the confirmation questions read
// lines: the line editor on a terminal, plain reads otherwise.
type lineReader interface {
	// Prompt shows p and reads one line without its newline. io.EOF at the
	// end of input, errInterrupted for Ctrl-C.
	Prompt(p string) (string, error)
	// Password is Prompt without echo.
	Password(p string) (string, error)
	AppendHistory(line string)
	Close() error
}

var errInterrupted = errors.New("interrupted")

// plainReader reads lines from a pipe or file and writes the prompt to
// stdout first, as Python's input() does when stdin is not a terminal.
type plainReader struct {
	r    *bufio.Reader
	w    io.Writer
	errW io.Writer // where a password prompt goes, like getpass's fallback
}

func newPlainReader(r io.Reader, w, errW io.Writer) *plainReader {
	return &plainReader{r: bufio.NewReader(r), w: w, errW: errW}
}

func (p *plainReader) Prompt(prompt string) (string, error) {
	io.WriteString(p.w, prompt)
	line, err := p.r.ReadString('\n')
	if err != nil && line == "" {
		return "", io.EOF
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// Password reads a line that is echoed anyway, warning about it on stderr
// as Python's getpass does without a terminal.
func (p *plainReader) Password(prompt string) (string, error) {
	io.WriteString(p.errW, "Warning: Password input may be echoed.\n")
	return (&plainReader{r: p.r, w: p.errW}).Prompt(prompt)
}
func (p *plainReader) AppendHistory(string) {}
func (p *plainReader) Close() error         { return nil }

// linerReader is the terminal line editor: history, tab completion, Ctrl-C
// and Ctrl-D handling.
type linerReader struct {
	state       *liner.State
	historyFile string
}

func newLinerReader(c *controller) *linerReader {
	s := liner.NewLiner()
	s.SetCtrlCAborts(true)
	s.SetTabCompletionStyle(liner.TabPrints)
	s.SetWordCompleter(c.completeWord)
	lr := &linerReader{state: s, historyFile: c.opts.HistoryFile}
	if lr.historyFile != "" {
		if f, err := os.Open(lr.historyFile); err == nil {
			s.ReadHistory(f)
			f.Close()
		}
	}
	return lr
}

func (l *linerReader) Prompt(p string) (string, error) {
	line, err := l.state.Prompt(p)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return line, err
}

func (l *linerReader) Password(p string) (string, error) {
	line, err := l.state.PasswordPrompt(p)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return line, err
}

func (l *linerReader) AppendHistory(line string) { l.state.AppendHistory(line) }

// Close writes the history (errors ignored, like 4.2) and gives the
// terminal back.
func (l *linerReader) Close() error {
	if l.historyFile != "" {
		if f, err := os.Create(l.historyFile); err == nil {
			l.state.WriteHistory(f)
			f.Close()
		}
	}
	return l.state.Close()
}

func fileIsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// shell is 4.2's interactive loop: status first, then one command per
// line until EOF, quit/exit, or Ctrl-C at the prompt.
func (c *controller) shell() {
	if f, ok := c.stdin.(*os.File); ok && f == os.Stdin && isTerminal(f) {
		c.lines = newLinerReader(c)
		// A Ctrl-C while a command runs must not kill the process with the
		// terminal still in the editor's mode; it ends the shell instead,
		// as the KeyboardInterrupt does in 4.2.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		c.shellSignals = true
		defer signal.Stop(sigs)
		go func() {
			for range sigs {
				c.mu.Lock()
				intr := c.intr
				c.mu.Unlock()
				if intr != nil {
					intr() // tail -f or fg: back to the prompt
					continue
				}
				c.lines.Close()
				c.output("")
				os.Exit(0)
			}
		}()
	}
	defer c.lines.Close()
	prompt := c.opts.Prompt + "> "
	queue := []string{"status"}
	for {
		var line string
		if len(queue) > 0 {
			line, queue = queue[0], queue[1:]
		} else {
			l, err := c.lines.Prompt(prompt)
			switch {
			case errors.Is(err, errInterrupted):
				c.output("")
				return
			case err != nil:
				line = "EOF"
			default:
				line = l
				if strings.TrimSpace(l) != "" {
					c.lines.AppendHistory(l)
				}
			}
		}
		if c.onecmd(line) {
			return
		}
	}
}

// completeWord is the editor's tab completion: the word under the cursor
// is completed as 4.2's Controller.complete does (command names first,
// then group or process names depending on the command).
func (c *controller) completeWord(line string, pos int) (head string, completions []string, tail string) {
	if pos > len(line) {
		pos = len(line)
	}
	start := strings.LastIndexAny(line[:pos], completerDelims) + 1
	head, text, tail := line[:start], line[start:pos], line[pos:]
	return head, c.complete(text, line[:pos]), tail
}

// completerDelims are readline's default word delimiters less ":", "*" and
// "-", so "group:*" and "web-1" are one word.
const completerDelims = " \t\n\"\\'`@$><=;|&{("

// complete returns the candidates for text given the line so far; each
// ends with a space, as in 4.2.
func (c *controller) complete(text, line string) []string {
	if strings.TrimSpace(line) == "" {
		return completeActions(text)
	}
	words := strings.Fields(line)
	action := words[0]
	if len(words) == 1 && !strings.HasSuffix(line, " ") {
		return completeActions(text)
	}
	switch action {
	case "help":
		return completeActions(text)
	case "add", "remove", "update":
		var out []string
		for _, g := range groupNames(c.completionInfo()) {
			if strings.HasPrefix(g, text) {
				out = append(out, g+" ")
			}
		}
		return out
	case "clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail":
		var procs []string
		for _, info := range c.completionInfo() {
			if strings.Contains(text, ":") || info.Name != info.Group {
				procs = append(procs, info.Group+":"+info.Name)
				if g := info.Group + ":*"; !contains(procs, g) {
					procs = append(procs, g)
				}
			} else {
				procs = append(procs, info.Name)
			}
		}
		var out []string
		for _, p := range procs {
			if strings.HasPrefix(p, text) {
				out = append(out, p+" ")
			}
		}
		return out
	}
	return nil
}

func completeActions(text string) []string {
	var out []string
	for _, a := range vocab {
		if strings.HasPrefix(a, text) {
			out = append(out, a+" ")
		}
	}
	return out
}

// completionInfo is getAllProcessInfo, asked once per command line since
// the editor may complete many times for one Tab.
func (c *controller) completionInfo() []procInfo {
	if !c.haveComplete {
		v, err := c.call("getAllProcessInfo")
		if err != nil {
			return nil
		}
		c.completeInfo, c.haveComplete = toProcInfos(v), true
	}
	return c.completeInfo
}
