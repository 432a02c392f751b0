package logging

import (
	"os"
	"os/exec"
	"testing"
)

// oraclePython is the interpreter that has Supervisor 4.2's Python
// module; the test is skipped, visibly, when it is not installed.
func oraclePython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("oracle absent: /usr/bin/python3 not installed")
	}
	if err := exec.Command(py, "-c", "import supervisor.options, supervisor.loggers").Run(); err != nil {
		t.Skip("oracle absent: the supervisor Python module is not importable")
	}
	return py
}
