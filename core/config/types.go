package config

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"super/core/pyrepr"
)

// Value converters with Supervisor 4.2's rules and messages
// (supervisor/datatypes.py). Each returns the ValueError text 4.2 would give.

// pyInt is Python's int(s) (base 10): surrounding whitespace, a sign and
// single underscores between digits are allowed.
func pyInt(s string) (int, error) {
	return pyIntBase(s, 10, func() string {
		return fmt.Sprintf("invalid literal for int() with base 10: %s", pyrepr.Str(s))
	})
}

// pyIntBase is Python's int(s, base). msg makes the error text, only when
// one is needed: a config of hundreds of programs converts thousands of
// integers, and formatting every message up front was a fifth of Load.
func pyIntBase(s string, base int, msg func() string) (int, error) {
	t := pyStrip(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if base == 8 && len(t) > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O') {
		t = t[2:]
		if t[0] == '_' {
			t = t[1:]
		}
	}
	// One sign only: strconv and big.Int would each take a second one.
	if t == "" || t[0] == '_' || t[0] == '+' || t[0] == '-' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return 0, errors.New(msg())
	}
	t = strings.ReplaceAll(t, "_", "")
	// Plain digits that fit: the common case, without a big.Int. Anything
	// else (overflow, which Python reports as out of range) goes the long way.
	if n, err := strconv.ParseInt(t, base, 64); err == nil && n == int64(int(n)) {
		if neg {
			n = -n
		}
		return int(n), nil
	}
	n, ok := new(big.Int).SetString(t, base)
	if !ok {
		return 0, errors.New(msg())
	}
	if neg {
		n.Neg(n)
	}
	if !n.IsInt64() || n.Int64() != int64(int(n.Int64())) {
		return 0, fmt.Errorf("%s: value out of range", pyrepr.Str(s))
	}
	return int(n.Int64()), nil
}

var (
	truthy = []string{"yes", "true", "on", "1"}
	falsy  = []string{"no", "false", "off", "0"}
)

func in(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// parseBool is datatypes.boolean.
func parseBool(s string) (bool, error) {
	ls := strings.ToLower(s)
	switch {
	case in(ls, truthy):
		return true, nil
	case in(ls, falsy):
		return false, nil
	}
	return false, fmt.Errorf("not a valid boolean value: %s", pyrepr.Str(s))
}

// parseByteSize is datatypes.byte_size: an int with an optional KB/MB/GB
// suffix (case-insensitive).
func parseByteSize(s string) (int64, error) {
	v := strings.ToLower(s)
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}} {
		if strings.HasSuffix(v, suf.s) {
			v, mult = v[:len(v)-2], suf.m
			break
		}
	}
	n, err := pyInt(v)
	if err != nil {
		return 0, err
	}
	return int64(n) * mult, nil
}

// parseOctal is datatypes.octal_type.
func parseOctal(s string) (int, error) {
	return pyIntBase(s, 8, func() string { return s + " can not be converted to an octal type" })
}

// signalsByName is Python's signal module on Linux: every SIG* attribute
// (SIG_DFL, SIG_IGN, SIG_BLOCK, ... included, as 4.2 accepts them).
var signalsByName = map[string]int{
	"SIG_DFL": 0, "SIG_BLOCK": 0, "SIGHUP": 1, "SIG_UNBLOCK": 1, "SIG_IGN": 1,
	"SIG_SETMASK": 2, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5,
	"SIGIOT": 6, "SIGABRT": 6, "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9,
	"SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13, "SIGALRM": 14,
	"SIGTERM": 15, "SIGSTKFLT": 16, "SIGCLD": 17, "SIGCHLD": 17, "SIGCONT": 18,
	"SIGSTOP": 19, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23,
	"SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28,
	"SIGPOLL": 29, "SIGIO": 29, "SIGPWR": 30, "SIGSYS": 31, "SIGRTMIN": 34,
	"SIGRTMAX": 64,
}

// parseSignal is datatypes.signal_number.
func parseSignal(s string) (syscall.Signal, error) {
	num, err := pyInt(s)
	if err != nil {
		name := strings.ToUpper(pyStrip(s))
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		n, ok := signalsByName[name]
		if !ok {
			return 0, fmt.Errorf("value %s is not a valid signal name", pyrepr.Str(s))
		}
		return syscall.Signal(n), nil
	}
	if !signalNumbers[num] {
		return 0, fmt.Errorf("value %s is not a valid signal number", pyrepr.Str(s))
	}
	return syscall.Signal(num), nil
}

// signalNumbers are the numbers signalsByName names.
var signalNumbers = func() map[int]bool {
	m := make(map[int]bool, len(signalsByName))
	for _, n := range signalsByName {
		m[n] = true
	}
	return m
}()

// parseExitcodes is datatypes.list_of_exitcodes.
func parseExitcodes(s string) ([]int, error) {
	codes := []int{}
	if s == "" {
		return codes, nil
	}
	for _, part := range strings.Split(s, ",") {
		n, err := pyInt(part)
		if err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("not a valid list of exit codes: %s", pyrepr.Str(s))
		}
		codes = append(codes, n)
	}
	return codes, nil
}

// listOfStrings is datatypes.list_of_strings.
func listOfStrings(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = pyStrip(parts[i])
	}
	return parts
}

// parseAutorestart is datatypes.auto_restart.
func parseAutorestart(s string) (Autorestart, error) {
	v := strings.ToLower(s)
	switch {
	case in(v, truthy):
		return RestartAlways, nil
	case in(v, falsy):
		return RestartNever, nil
	case v == "unexpected":
		return RestartUnexpected, nil
	}
	return 0, fmt.Errorf("invalid 'autorestart' value %s", pyrepr.Str(v))
}

// parseLogLevel is datatypes.logging_level.
func parseLogLevel(s string) (LogLevel, error) {
	switch strings.ToLower(s) {
	case "critical":
		return LevelCritical, nil
	case "error":
		return LevelError, nil
	case "warn":
		return LevelWarn, nil
	case "info":
		return LevelInfo, nil
	case "debug":
		return LevelDebug, nil
	case "trace":
		return LevelTrace, nil
	case "blather":
		return LevelBlather, nil
	}
	return 0, fmt.Errorf("bad logging level name %s", pyrepr.Str(s))
}

// processOrGroupName is datatypes.process_or_group_name.
func processOrGroupName(name string) (string, error) {
	s := pyStrip(name)
	for _, c := range " :/" {
		if strings.ContainsRune(s, c) {
			return "", fmt.Errorf("Invalid name: %s because of character: %s", pyrepr.Str(name), pyrepr.Str(string(c)))
		}
	}
	return s, nil
}

// parseKeyValuePairs is datatypes.dict_of_key_value_pairs: KEY=val,KEY2=val2
// tokenized by a non-POSIX shlex, so quotes protect commas.
func parseKeyValuePairs(s string) (map[string]string, error) {
	tokens, err := shlexTokens(s)
	if err != nil {
		return nil, err
	}
	d := map[string]string{}
	for i := 0; i < len(tokens); i += 4 {
		if i+3 > len(tokens) || tokens[i+1] != "=" {
			return nil, fmt.Errorf("Unexpected end of key/value pairs in value '%s'", s)
		}
		d[tokens[i]] = strings.Trim(tokens[i+2], `'"`)
	}
	return d, nil
}

// shlexTokens is list(shlex.shlex(s)) with the extra word characters
// dict_of_key_value_pairs adds; non-POSIX mode: quotes stay in the token,
// every other punctuation character is a token of its own, # starts a
// comment running to the end of the line.
func shlexTokens(s string) ([]string, error) {
	const wordchars = "abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/.+-():"
	isWord := func(r rune) bool { return r < 0x80 && strings.IndexByte(wordchars, byte(r)) >= 0 }
	isSpace := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }
	isQuote := func(r rune) bool { return r == '\'' || r == '"' }
	rs := []rune(s)
	var tokens []string
	i := 0
	skipLine := func() {
		for i < len(rs) && rs[i] != '\n' {
			i++
		}
		if i < len(rs) {
			i++
		}
	}
	for {
		// state ' '
		var tok []rune
		state := ' '
	scan:
		for {
			if i >= len(rs) {
				if state != ' ' && state != 'a' {
					return nil, errors.New("No closing quotation")
				}
				break scan
			}
			c := rs[i]
			i++
			switch state {
			case ' ':
				switch {
				case isSpace(c):
					if len(tok) > 0 {
						break scan
					}
				case c == '#':
					skipLine()
				case isWord(c):
					tok, state = []rune{c}, 'a'
				case isQuote(c):
					tok, state = []rune{c}, c
				default:
					tok = []rune{c}
					break scan
				}
			case 'a':
				switch {
				case isSpace(c):
					break scan
				case c == '#':
					skipLine()
				case isWord(c) || isQuote(c):
					tok = append(tok, c)
				default:
					i-- // pushed back: the next token
					break scan
				}
			default: // inside a quote
				tok = append(tok, c)
				if c == state {
					break scan
				}
			}
		}
		if len(tok) == 0 {
			return tokens, nil
		}
		tokens = append(tokens, string(tok))
	}
}

// lookupUID is datatypes.name_to_uid.
func lookupUID(name string) (int, error) {
	if n, err := pyInt(name); err == nil {
		if _, err := user.LookupId(strconv.Itoa(n)); err != nil {
			return 0, fmt.Errorf("Invalid user id %s", name)
		}
		return n, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("Invalid user name %s", name)
	}
	return strconv.Atoi(u.Uid)
}

// lookupGID is datatypes.name_to_gid.
func lookupGID(name string) (int, error) {
	if n, err := pyInt(name); err == nil {
		if _, err := user.LookupGroupId(strconv.Itoa(n)); err != nil {
			return 0, fmt.Errorf("Invalid group id %s", name)
		}
		return n, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("Invalid group name %s", name)
	}
	return strconv.Atoi(g.Gid)
}

// gidForUID is datatypes.gid_for_uid: the user's primary group.
func gidForUID(uid int) int {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return -1
	}
	g, err := strconv.Atoi(u.Gid)
	if err != nil {
		return -1
	}
	return g
}

// parseUserGroup is datatypes.colon_separated_user_group.
func parseUserGroup(s string) (uid, gid int, err error) {
	userName, groupName, hasGroup := strings.Cut(s, ":")
	if uid, err = lookupUID(userName); err != nil {
		return 0, 0, fmt.Errorf("Invalid user:group definition %s", s)
	}
	gid = -1
	if hasGroup {
		if gid, err = lookupGID(groupName); err != nil {
			return 0, 0, fmt.Errorf("Invalid user:group definition %s", s)
		}
	}
	return uid, gid, nil
}

// expandUser is os.path.expanduser for "~" and "~user" prefixes.
func expandUser(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	rest := p[1:]
	name, tail := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		name, tail = rest[:i], rest[i:]
	}
	var home string
	if name == "" {
		home = os.Getenv("HOME")
		if home == "" {
			if u, err := user.Current(); err == nil {
				home = u.HomeDir
			}
		}
	} else if u, err := user.Lookup(name); err == nil {
		home = u.HomeDir
	}
	if home == "" {
		return p
	}
	if home != "/" {
		home = strings.TrimRight(home, "/")
	}
	if home == "/" && tail != "" {
		return tail
	}
	return home + tail
}

// existingDirectory is datatypes.existing_directory.
func existingDirectory(v string) (string, error) {
	nv := expandUser(v)
	if st, err := os.Stat(nv); err == nil && st.IsDir() {
		return nv, nil
	}
	return "", fmt.Errorf("%s is not an existing directory", v)
}

// existingDirpath is datatypes.existing_dirpath.
func existingDirpath(v string) (string, error) {
	nv := expandUser(v)
	dir := pyDirname(nv)
	if dir == "" {
		return nv, nil
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nv, nil
	}
	return "", fmt.Errorf("The directory named as part of the path %s does not exist", v)
}

// pyDirname is os.path.dirname: everything before the last slash, with
// trailing slashes removed unless it is all slashes.
func pyDirname(p string) string {
	i := strings.LastIndexByte(p, '/') + 1
	head := p[:i]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// normalizePath is options.normalize_path: expanduser, abspath, normpath.
func normalizePath(v string) string {
	v = expandUser(v)
	if !filepath.IsAbs(v) {
		wd, err := os.Getwd()
		if err == nil {
			v = filepath.Join(wd, v)
		}
	}
	p := filepath.Clean(v)
	// Python's normpath keeps a leading "//" (POSIX allows it a meaning).
	if strings.HasPrefix(v, "//") && !strings.HasPrefix(v, "///") {
		p = "/" + p
	}
	return p
}

// parseLogfile is datatypes.logfile_name: NONE/OFF, AUTO, syslog or a path
// whose directory exists.
func parseLogfile(v string) (string, error) {
	switch strings.ToLower(v) {
	case "none", "off":
		return LogNone, nil
	case "auto":
		return LogAuto, nil
	case "syslog":
		return LogSyslog, nil
	}
	return existingDirpath(v)
}

// parseInetAddress is datatypes.inet_address: "host:port", ":port", "port".
func parseInetAddress(s string) (host string, port int, err error) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, rest := s[:i], s[i+1:]
		if rest == "" {
			return "", 0, fmt.Errorf("no port number specified in %s", pyrepr.Str(rest))
		}
		if port, err = portNumber(rest); err != nil {
			return "", 0, err
		}
		host = strings.ToLower(host)
		if host == "*" {
			host = ""
		}
		return host, port, nil
	}
	if port, err = portNumber(s); err != nil {
		return "", 0, fmt.Errorf("not a valid port number: %s ", pyrepr.Str(s))
	}
	return "", port, nil
}

func portNumber(s string) (int, error) {
	n, err := pyInt(s)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%d is below lower bound (1)", n)
	}
	if n > 0xffff {
		return 0, fmt.Errorf("%d is above upper bound (65535)", n)
	}
	return n, nil
}
