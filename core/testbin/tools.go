package testbin

import (
	"os"
	"os/exec"
	"testing"
)

// RequireToolsEnv, when set (CI sets it, having installed them), makes a
// missing tool fail the tests that need it instead of skipping them.
const RequireToolsEnv = "SUPER_REQUIRE_TOOLS"

// NeedTool returns the path of a program a test drives (bash, zsh, fish,
// groff, dpkg-deb, lintian, ...). When it is not installed the test is
// skipped with the Debian package to install, or fails under
// SUPER_REQUIRE_TOOLS.
func NeedTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(RequireToolsEnv) != "" {
		t.Fatalf("%s is not installed (Debian package %s), and %s is set", name, debianPackage, RequireToolsEnv)
	}
	t.Skipf("%s is not installed (Debian package %s)", name, debianPackage)
	return ""
}
