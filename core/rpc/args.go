package rpc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"super/core/xmlrpc"
)

// Supervisor 4.2 calls each method as a Python function with the request's
// parameters, so a parameter of an unexpected type fails the way the Python
// code happens to fail on it: a TypeError becomes INCORRECT_PARAMETERS, most
// other exceptions become an HTTP 500. The helpers below reproduce those
// outcomes for the types an XML-RPC request can carry, so a client probing
// the API sees the same answers.

// errInternal is what 4.2 answers with HTTP 500: an exception other than
// RPCError or TypeError escaping the method.
var errInternal = errors.New("rpc: unexpected parameter type")

func incorrect() error { return xmlrpc.NewFault(xmlrpc.FaultIncorrectParameters) }

// specArg is a process name ("name", "group:name", "group:*"). 4.2 calls
// str methods on it, so anything else raises AttributeError (HTTP 500).
func specArg(v xmlrpc.Value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errInternal
	}
	return s, nil
}

// groupArg is a group name, which 4.2 only uses as a dict key: a list or
// struct is unhashable (TypeError: INCORRECT_PARAMETERS); any other
// non-string simply names no group (BAD_NAME with its str()).
func groupArg(v xmlrpc.Value) (name string, isString bool, err error) {
	switch x := v.(type) {
	case string:
		return x, true, nil
	case []any, map[string]any:
		return "", false, incorrect()
	}
	return pyStr(v), false, nil
}

// intArg is Python's int(v) for an offset or a length: numbers and numeric
// strings convert; other strings raise ValueError and other types TypeError.
// 4.2 turns the ValueError into an unknown fault name (HTTP 500).
func intArg(v xmlrpc.Value) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, errInternal
		}
		return int64(x), nil
	case string:
		t := strings.ReplaceAll(strings.TrimSpace(x), "_", "")
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, errInternal
		}
		return n, nil
	}
	return 0, incorrect()
}

// signalArg is signal_number's input: int() first, else a name. A number
// is passed on as its decimal text, which the engine parses back.
func signalArg(v xmlrpc.Value) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, bool, float64:
		n, err := intArg(x)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", errInternal
}

// truth is Python's truth value, for the wait flags.
func truth(v xmlrpc.Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyStr is Python's str() of a decoded parameter, for fault texts.
func pyStr(v xmlrpc.Value) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e16 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
