package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A result_handler other than 4.2's own is refused at load with 4.2's
// words, at its line; for supervisor_stdout (a pip plugin) the error also
// says that container_logs=true does its job. 4.2's own handler, however
// spaced, loads.
func TestResultHandler(t *testing.T) {
	load := func(handler string) error {
		t.Helper()
		path := filepath.Join(t.TempDir(), "s.conf")
		conf := "[supervisord]\n[eventlistener:stdout]\ncommand=cat\nevents=PROCESS_LOG\nresult_handler=" + handler + "\n"
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		return err
	}
	for _, c := range []struct {
		handler, want string
		hint          bool
	}{
		{"supervisor_stdout:event_handler", "supervisor_stdout:event_handler cannot be resolved within [eventlistener:stdout]", true},
		{"supervisor_stdout.handlers:other", "supervisor_stdout.handlers:other cannot be resolved within [eventlistener:stdout]", true},
		{"mypkg.listeners:handle", "mypkg.listeners:handle cannot be resolved within [eventlistener:stdout]", false},
		{"supervisor.dispatchers", "supervisor.dispatchers cannot be resolved within [eventlistener:stdout]", false},
		{"a b", `("EntryPoint must be in 'name=module:attrs [extras]' format", 'x=a b')`, false},
	} {
		err := load(c.handler)
		if err == nil {
			t.Errorf("result_handler=%s: loaded", c.handler)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, c.want+" for result_handler in section 'eventlistener:stdout' (file: ") ||
			!strings.Contains(msg, "line 5)") {
			t.Errorf("result_handler=%s: %q, want 4.2's %q and where", c.handler, msg, c.want)
		}
		if hint := strings.Contains(msg, "container_logs=true in [supervisord]"); hint != c.hint {
			t.Errorf("result_handler=%s: hint about container_logs %v, want %v: %q", c.handler, hint, c.hint, msg)
		}
	}
	for _, h := range []string{"supervisor.dispatchers:default_handler", "supervisor.dispatchers : default_handler"} {
		if err := load(h); err != nil {
			t.Errorf("result_handler=%s: %v", h, err)
		}
	}
}
