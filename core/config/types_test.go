package config

import (
	"reflect"
	"strings"
	"syscall"
	"testing"

	"super/core/pyrepr"
)

func TestPyInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		err  string
	}{
		{"5", 5, ""}, {" 7 ", 7, ""}, {"+3", 3, ""}, {"-2", -2, ""}, {"1_000", 1000, ""}, {"010", 10, ""},
		{"x", 0, "invalid literal for int() with base 10: 'x'"},
		{"", 0, "invalid literal for int() with base 10: ''"},
		{"1__0", 0, "invalid literal for int() with base 10: '1__0'"},
		{"_1", 0, "invalid literal for int() with base 10: '_1'"},
		{"1.5", 0, "invalid literal for int() with base 10: '1.5'"},
		// The edges of the fast path and the big.Int path behind it.
		{"9223372036854775807", 9223372036854775807, ""},
		{"-9223372036854775808", -9223372036854775808, ""},
		{"9223372036854775808", 0, "'9223372036854775808': value out of range"},
		{"-9223372036854775809", 0, "'-9223372036854775809': value out of range"},
		{"99999999999999999999999", 0, "'99999999999999999999999': value out of range"},
		{"0x10", 0, "invalid literal for int() with base 10: '0x10'"},
		{"--5", 0, "invalid literal for int() with base 10: '--5'"},
		{"+-5", 0, "invalid literal for int() with base 10: '+-5'"},
		{"-+5", 0, "invalid literal for int() with base 10: '-+5'"},
	} {
		got, err := pyInt(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("pyInt(%q) err %v, want %q", c.in, err, c.err)
			}
		} else if err != nil || got != c.want {
			t.Errorf("pyInt(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "TRUE", "yes", "On", "1"} {
		if b, err := parseBool(s); err != nil || !b {
			t.Errorf("%q: %v %v", s, b, err)
		}
	}
	for _, s := range []string{"false", "No", "off", "0"} {
		if b, err := parseBool(s); err != nil || b {
			t.Errorf("%q: %v %v", s, b, err)
		}
	}
	if _, err := parseBool("maybe"); err == nil || err.Error() != "not a valid boolean value: 'maybe'" {
		t.Errorf("got %v", err)
	}
}

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""}, {"100", 100, ""}, {"1KB", 1024, ""}, {"2kb", 2048, ""}, {"50MB", 50 << 20, ""}, {"1GB", 1 << 30, ""},
		{"10XB", 0, "invalid literal for int() with base 10: '10xb'"},
		{"KB", 0, "invalid literal for int() with base 10: ''"},
		{"1 MB", 1 << 20, ""},
	} {
		got, err := parseByteSize(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
		} else if err != nil || got != c.want {
			t.Errorf("%q = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestOctal(t *testing.T) {
	for in, want := range map[string]int{"022": 0o22, "0o777": 0o777, "7": 7, " 0700 ": 0o700} {
		if got, err := parseOctal(in); err != nil || got != want {
			t.Errorf("%q = %o, %v", in, got, err)
		}
	}
	if _, err := parseOctal("089"); err == nil || err.Error() != "089 can not be converted to an octal type" {
		t.Errorf("got %v", err)
	}
}

func TestSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"TERM": 15, "sigkill": 9, " hup ": 1, "9": 9, "USR1": 10, "0": 0, "SIG_DFL": 0, "RTMIN": 34} {
		if got, err := parseSignal(in); err != nil || got != want {
			t.Errorf("%q = %d, %v", in, got, err)
		}
	}
	for in, msg := range map[string]string{
		"FOO": "value 'FOO' is not a valid signal name",
		"40":  "value '40' is not a valid signal number",
		"-1":  "value '-1' is not a valid signal number",
	} {
		if _, err := parseSignal(in); err == nil || err.Error() != msg {
			t.Errorf("%q: %v, want %q", in, err, msg)
		}
	}
}

func TestExitcodes(t *testing.T) {
	if got, err := parseExitcodes("0, 2,3"); err != nil || !reflect.DeepEqual(got, []int{0, 2, 3}) {
		t.Errorf("got %v %v", got, err)
	}
	if got, err := parseExitcodes(""); err != nil || len(got) != 0 {
		t.Errorf("got %v %v", got, err)
	}
	for _, in := range []string{"256", "a", "1,,2", "-1"} {
		if _, err := parseExitcodes(in); err == nil || err.Error() != "not a valid list of exit codes: "+pyrepr.Str(in) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestAutorestartAndLevels(t *testing.T) {
	for in, want := range map[string]Autorestart{"true": RestartAlways, "unexpected": RestartUnexpected, "OFF": RestartNever, "Unexpected": RestartUnexpected} {
		if got, err := parseAutorestart(in); err != nil || got != want {
			t.Errorf("%q = %v, %v", in, got, err)
		}
	}
	if _, err := parseAutorestart("Sometimes"); err == nil || err.Error() != "invalid 'autorestart' value 'sometimes'" {
		t.Errorf("got %v", err)
	}
	for in, want := range map[string]LogLevel{"critical": LevelCritical, "ERROR": LevelError, "warn": LevelWarn, "info": LevelInfo,
		"debug": LevelDebug, "trace": LevelTrace, "blather": LevelBlather} {
		if got, err := parseLogLevel(in); err != nil || got != want {
			t.Errorf("%q = %v, %v", in, got, err)
		}
	}
	if _, err := parseLogLevel("warning"); err == nil || err.Error() != "bad logging level name 'warning'" {
		t.Errorf("got %v", err)
	}
}

func TestKeyValuePairs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{`A=1,B=2`, map[string]string{"A": "1", "B": "2"}, ""},
		{`A="1,2",B='x y'`, map[string]string{"A": "1,2", "B": "x y"}, ""},
		{`KEY="v",K2=v`, map[string]string{"KEY": "v", "K2": "v"}, ""},
		{`A=$HOME`, map[string]string{"A": "$"}, ""}, // shlex splits "$" off
		{`A=x#y`, map[string]string{"A": "x"}, ""},   // "#" starts a comment
		{`P=/usr/bin:/bin`, map[string]string{"P": "/usr/bin:/bin"}, ""},
		{``, map[string]string{}, ""},
		{`A=1,B`, nil, "Unexpected end of key/value pairs in value 'A=1,B'"},
		{`A="open`, nil, "No closing quotation"},
	} {
		got, err := parseKeyValuePairs(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestInetAddress(t *testing.T) {
	for _, c := range []struct {
		in   string
		host string
		port int
		err  string
	}{
		{"127.0.0.1:9001", "127.0.0.1", 9001, ""}, {":9001", "", 9001, ""}, {"9001", "", 9001, ""},
		{"*:80", "", 80, ""}, {"LocalHost:1", "localhost", 1, ""},
		{"h:", "", 0, "no port number specified in ''"},
		{"abc", "", 0, "not a valid port number: 'abc' "},
		{"h:70000", "", 0, "70000 is above upper bound (65535)"},
		{"h:0", "", 0, "0 is below lower bound (1)"},
	} {
		h, p, err := parseInetAddress(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
		} else if err != nil || h != c.host || p != c.port {
			t.Errorf("%q = %q %d %v", c.in, h, p, err)
		}
	}
}

func TestNamesAndPaths(t *testing.T) {
	if n, err := processOrGroupName(" web "); err != nil || n != "web" {
		t.Errorf("got %q %v", n, err)
	}
	if _, err := processOrGroupName("a b"); err == nil || err.Error() != `Invalid name: 'a b' because of character: ' '` {
		t.Errorf("got %v", err)
	}
	for in, want := range map[string]string{"NONE": LogNone, "off": LogNone, "Auto": LogAuto, "syslog": LogSyslog, "rel.log": "rel.log", "/tmp/x.log": "/tmp/x.log"} {
		if got, err := parseLogfile(in); err != nil || got != want {
			t.Errorf("%q = %q, %v", in, got, err)
		}
	}
	if _, err := parseLogfile("/nonexistent/dir/x"); err == nil ||
		err.Error() != "The directory named as part of the path /nonexistent/dir/x does not exist" {
		t.Errorf("got %v", err)
	}
	if _, err := existingDirectory("/nonexistent"); err == nil || err.Error() != "/nonexistent is not an existing directory" {
		t.Errorf("got %v", err)
	}
	if uid, gid, err := parseUserGroup("0:0"); err != nil || uid != 0 || gid != 0 {
		t.Errorf("got %d %d %v", uid, gid, err)
	}
	if _, _, err := parseUserGroup("nosuchuserxyz"); err == nil || err.Error() != "Invalid user:group definition nosuchuserxyz" {
		t.Errorf("got %v", err)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{File: "/etc/supervisord.conf", Section: "program:cat", Key: "startsecs", Line: 12,
		Msg: "invalid literal for int() with base 10: 'x'"}
	want := "invalid literal for int() with base 10: 'x' for startsecs in section 'program:cat' (file: '/etc/supervisord.conf', line 12)"
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
}

// pyStrip's shortcut for lines with plain ends strips exactly what
// str.strip() does: every byte value at either end, and Unicode spaces.
func TestPyStripShortcut(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := pyStrip(s), strings.TrimFunc(s, pyIsSpace); got != want {
			t.Fatalf("pyStrip(%q) = %q, want %q", s, got, want)
		}
	}
	for a := 0; a < 256; a++ {
		for _, mid := range []string{"", "x", "a b", "\u3000"} {
			check(string([]byte{byte(a)}) + mid)
			check(mid + string([]byte{byte(a)}))
			check(string([]byte{byte(a)}) + mid + string([]byte{byte(a)}))
		}
	}
	for _, s := range []string{"\u0085x\u00a0", "\u2003key\u2003", "\x1fx\x1c", "x\x7f"} {
		check(s)
	}
}
