package ctl

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"super/core/xmlrpc"
)

// Fault codes of Supervisor's XML-RPC interface (supervisor/xmlrpc.py Faults).
const (
	faultUnknownMethod       = 1
	faultIncorrectParameters = 2
	faultShutdownState       = 6
	faultBadName             = 10
	faultBadSignal           = 11
	faultNoFile              = 20
	faultNotExecutable       = 21
	faultFailed              = 30
	faultAbnormalTermination = 40
	faultSpawnError          = 50
	faultAlreadyStarted      = 60
	faultNotRunning          = 70
	faultSuccess             = 80
	faultAlreadyAdded        = 90
	faultStillRunning        = 91
	faultCantReread          = 92
)

// Process states (supervisor/states.py ProcessStates).
const (
	stateStopped = 0
	stateRunning = 20
	stateExited  = 100
	stateFatal   = 200
	stateUnknown = 1000
)

func stoppedState(s int) bool {
	return s == stateStopped || s == stateExited || s == stateFatal || s == stateUnknown
}

// asFault extracts the XML-RPC fault from a Caller's error.
func asFault(err error) (*xmlrpc.Fault, bool) {
	var f *xmlrpc.Fault
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// faultRepr is Python's repr of a Fault, as 4.2 prints it.
func faultRepr(f *xmlrpc.Fault) string {
	return fmt.Sprintf("<Fault %d: %s>", f.Code, pyRepr(f.String))
}

// faultCode is the fault code of err, or 0 when err is not a fault.
func faultCode(err error) int {
	if f, ok := asFault(err); ok {
		return f.Code
	}
	return 0
}

// httpStatus extracts the HTTP status of a non-200 answer (4.2's
// ProtocolError).
func httpStatus(err error) (int, bool) {
	var h *xmlrpc.HTTPError
	if errors.As(err, &h) {
		return h.StatusCode, true
	}
	return 0, false
}

// pyError renders an unexpected error the way 4.2's onecmd does for an
// uncaught exception ("error: <class ...>, value: file: F line: N"). The
// file and line are where CPython 3.11 raises them under Debian's 4.2.5,
// so scripts grepping for the class name keep working.
func (c *controller) pyError(err error) string {
	const (
		xmlrpcPy = "/usr/lib/python3/dist-packages/supervisor/xmlrpc.py"
		ctlPy    = "/usr/lib/python3/dist-packages/supervisor/supervisorctl.py"
	)
	class, value, file, line := "Exception", err.Error(), ctlPy, 0
	unix := strings.HasPrefix(c.opts.ServerURL, "unix://")
	sockFile, sockLine := "/usr/lib/python3.11/socket.py", 836
	if unix {
		sockFile, sockLine = xmlrpcPy, 557
	}
	var ve *valueError
	if f, ok := asFault(err); ok {
		class, value, file, line = "xmlrpc.client.Fault", faultRepr(f), "/usr/lib/python3.11/xmlrpc/client.py", 668
	} else if h := (*xmlrpc.HTTPError)(nil); errors.As(err, &h) {
		class, file, line = "xmlrpc.client.ProtocolError", xmlrpcPy, 539
		value = fmt.Sprintf("<ProtocolError for 127.0.0.1/RPC2: %s>", h.Status)
	} else if errors.As(err, &ve) {
		class, value, line = "ValueError", ve.msg, ve.line
		if ve.file != "" {
			file = ve.file
		}
	} else if errors.Is(err, syscall.ECONNREFUSED) {
		class, value, file, line = "ConnectionRefusedError", "[Errno 111] Connection refused", sockFile, sockLine
	} else if errors.Is(err, syscall.ENOENT) {
		class, value, file, line = "FileNotFoundError", "[Errno 2] No such file or directory", sockFile, sockLine
	} else if errors.Is(err, syscall.EACCES) {
		class, value, file, line = "PermissionError", "[Errno 13] Permission denied", sockFile, sockLine
	} else if errors.Is(err, errEOF) {
		class, value, file, line = "EOFError", "", "/usr/lib/python3/dist-packages/supervisor/supervisorctl.py", 0
	}
	return fmt.Sprintf("error: <class '%s'>, %s: file: %s line: %d", class, value, file, line)
}

// valueError is 4.2's ValueError for a result code it does not know.
type valueError struct {
	msg  string
	line int
	file string // "" = supervisorctl.py
}

func (e *valueError) Error() string { return e.msg }

// pyRepr is Python's repr of a str, for messages 4.2 formats with %r.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

// procInfo is the part of getProcessInfo's struct supervisorctl uses.
type procInfo struct {
	Name, Group, StateName, Description string
	State, PID                          int
}

func toProcInfo(v any) procInfo {
	m, _ := v.(map[string]any)
	return procInfo{
		Name:        toString(m["name"]),
		Group:       toString(m["group"]),
		StateName:   toString(m["statename"]),
		Description: toString(m["description"]),
		State:       toInt(m["state"]),
		PID:         toInt(m["pid"]),
	}
}

func toProcInfos(v any) []procInfo {
	list := toSlice(v)
	out := make([]procInfo, len(list))
	for i, x := range list {
		out[i] = toProcInfo(x)
	}
	return out
}

// result is one entry of a multi-process answer (startAllProcesses & co).
type result struct {
	Name, Group, Description string
	Status                   int
}

func toResults(v any) []result {
	list := toSlice(v)
	out := make([]result, len(list))
	for i, x := range list {
		m, _ := x.(map[string]any)
		out[i] = result{toString(m["name"]), toString(m["group"]), toString(m["description"]), toInt(m["status"])}
	}
	return out
}

func toSlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case []map[string]any:
		out := make([]any, len(s))
		for i := range s {
			out[i] = s[i]
		}
		return out
	case []string:
		out := make([]any, len(s))
		for i := range s {
			out[i] = s[i]
		}
		return out
	}
	return nil
}

func toStrings(v any) []string {
	list := toSlice(v)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = toString(x)
	}
	return out
}

func toString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case nil:
		return ""
	case fmt.Stringer:
		return s.String()
	}
	return pyStr(v)
}

// pyStr is Python's str() of a decoded XML-RPC value, for output(str(x)).
func pyStr(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case nil:
		return "None"
	}
	if n, ok := intValue(v); ok {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprint(v)
}

func toInt(v any) int {
	n, _ := intValue(v)
	return int(n)
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint32:
		return int64(n), true
	case float64:
		return int64(n), true
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func toBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case nil:
		return false
	case string:
		return b != ""
	}
	n, _ := intValue(v)
	return n != 0
}

// namespec is 4.2's make_namespec: "name" when the group is named after
// its only process, else "group:name".
func namespec(group, name string) string {
	if group == name {
		return name
	}
	return group + ":" + name
}

// splitNamespec is 4.2's split_namespec: "g:" and "g:*" name the group
// (process ""), "name" is the process name in the group of the same name.
func splitNamespec(s string) (group, process string, isGroup bool) {
	if g, p, ok := strings.Cut(s, ":"); ok {
		if p == "" || p == "*" {
			return g, "", true
		}
		return g, p, false
	}
	return s, s, false
}

// pyInt parses a string as Python's int() does for the -N tail arguments:
// surrounding whitespace, an optional sign, digits with single underscores
// between them.
func pyInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	n, err := strconv.Atoi(s)
	if err != nil || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
