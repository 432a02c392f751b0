package config

import (
	"fmt"
	"regexp"
	"strings"

	"super/core/pyrepr"
)

// DefaultResultHandler is 4.2's own result handler of an [eventlistener:x]
// pool (OK or rejected), the one super implements.
const DefaultResultHandler = "supervisor.dispatchers:default_handler"

// entryPointRE is pkg_resources' EntryPoint pattern: 4.2 parses
// "x=" + result_handler with it before importing the handler.
var entryPointRE = regexp.MustCompile(`^\s*(.+?)\s*=\s*([\w.]+)\s*(:\s*([\w.]+))?\s*(\[.*\])?\s*$`)

// checkResultHandler refuses a result_handler other than 4.2's own. 4.2
// imports the named Python function and refuses to start when it cannot
// (a plugin that is not installed, such as supervisor_stdout); super runs
// no Python, so every other handler is refused with the words 4.2 uses for
// one it cannot import, and a value that is not an import spec with
// 4.2's parse error. Running the listener with the default handler
// instead would change what its answers mean without a word.
func (l *loader) checkResultHandler(section, handler string) error {
	m := entryPointRE.FindStringSubmatch("x=" + handler)
	if m == nil {
		return l.errAt(section, "result_handler", fmt.Sprintf("(%s, %s)",
			pyrepr.Str("EntryPoint must be in 'name=module:attrs [extras]' format"), pyrepr.Str("x="+handler)))
	}
	if m[2]+":"+m[4] == DefaultResultHandler {
		return nil
	}
	e := l.errAt(section, "result_handler", fmt.Sprintf("%s cannot be resolved within [%s]", handler, section))
	if module, _, _ := strings.Cut(m[2], "."); module == "supervisor_stdout" {
		e.Hint = "super runs no Python result handlers; container_logs=true in [supervisord] does what " +
			"supervisor_stdout does: every program's output on supervisord's stdout and stderr, " +
			"each line prefixed with the program's name"
	}
	return e
}
