package xmlrpc

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// python returns an interpreter for differential tests, or skips. With
// needSupervisor it must be able to import Supervisor 4.2's modules.
func python(t testing.TB, needSupervisor bool) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		check := "import xmlrpc.client"
		if needSupervisor {
			check = "import supervisor.xmlrpc"
		}
		if exec.Command(p, "-c", check).Run() == nil {
			return p
		}
	}
	if needSupervisor {
		t.Skip("skipping: no python3 that can import supervisor (Supervisor 4.2 oracle not installed)")
	}
	t.Skip("skipping: no python3 with xmlrpc.client")
	return ""
}

// runPython runs script with stdin and returns its stdout.
func runPython(t testing.TB, py, script string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	return out
}
