// Package xmlrpc is the XML-RPC wire format as Supervisor 4.2 speaks it: the
// codec, a method registry that serves POST /RPC2, and a client for
// unix:// and http:// server URLs.
//
// Values are plain Go values (see Value). Responses are byte-identical to
// what Python's xmlrpc.client.dumps produces for the same data, because that
// is what every Supervisor client has been parsing for years; requests are
// decoded with the (lenient) rules of Supervisor's own request parser.
//
// The package imports nothing of super's: it is a leaf.
package xmlrpc

import (
	"fmt"
)

// Value is an XML-RPC value. The encoder accepts
//
//	bool, every int and uint kind (must fit in int32, as in Python),
//	float32/float64, string, []byte (base64), time.Time (dateTime.iso8601,
//	wall clock in the value's own location), Struct and Member (ordered
//	struct), *Fault (a {faultCode, faultString} struct, as multicall
//	results carry them), map[string]T (members sorted by name), slices and
//	arrays of any of these, Go structs (exported fields in declaration
//	order, named by an `xmlrpc:"name"` tag or the field name; "-" skips),
//	Marshaler and pointers to any of these.
//
// nil cannot be encoded: Supervisor does not enable allow_none.
//
// Decoders produce int, bool, string, float64, time.Time, []byte (base64,
// responses only), []any, map[string]any and nil (<nil/>).
type Value = any

// Member is one named member of an ordered Struct.
type Member struct {
	Name  string
	Value Value
}

// Struct is a struct whose members are encoded in slice order. Python dicts
// keep insertion order, so Supervisor's structs (getProcessInfo & co.) have
// a fixed member order that clients may see; Struct reproduces it where a
// map[string]any could not.
type Struct []Member

// Get returns the value of the first member called name.
func (s Struct) Get(name string) (Value, bool) {
	for _, m := range s {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// Fault is an XML-RPC fault. A Handler returning a *Fault (or an error
// wrapping one) produces a fault response; Client.Call returns the server's
// faults as *Fault.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string {
	return fmt.Sprintf("fault %d: %s", f.Code, f.String)
}

// Supervisor 4.2's fault codes (supervisor/xmlrpc.py, class Faults).
const (
	FaultUnknownMethod        = 1
	FaultIncorrectParameters  = 2
	FaultBadArguments         = 3
	FaultSignatureUnsupported = 4
	FaultShutdownState        = 6
	FaultBadName              = 10
	FaultBadSignal            = 11
	FaultNoFile               = 20
	FaultNotExecutable        = 21
	FaultFailed               = 30
	FaultAbnormalTermination  = 40
	FaultSpawnError           = 50
	FaultAlreadyStarted       = 60
	FaultNotRunning           = 70
	FaultSuccess              = 80
	FaultAlreadyAdded         = 90
	FaultStillRunning         = 91
	FaultCantReread           = 92
)

var faultNames = map[int]string{
	FaultUnknownMethod:        "UNKNOWN_METHOD",
	FaultIncorrectParameters:  "INCORRECT_PARAMETERS",
	FaultBadArguments:         "BAD_ARGUMENTS",
	FaultSignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	FaultShutdownState:        "SHUTDOWN_STATE",
	FaultBadName:              "BAD_NAME",
	FaultBadSignal:            "BAD_SIGNAL",
	FaultNoFile:               "NO_FILE",
	FaultNotExecutable:        "NOT_EXECUTABLE",
	FaultFailed:               "FAILED",
	FaultAbnormalTermination:  "ABNORMAL_TERMINATION",
	FaultSpawnError:           "SPAWN_ERROR",
	FaultAlreadyStarted:       "ALREADY_STARTED",
	FaultNotRunning:           "NOT_RUNNING",
	FaultSuccess:              "SUCCESS",
	FaultAlreadyAdded:         "ALREADY_ADDED",
	FaultStillRunning:         "STILL_RUNNING",
	FaultCantReread:           "CANT_REREAD",
}

// FaultName is Supervisor's getFaultDescription: the code's name, or
// "UNKNOWN".
func FaultName(code int) string {
	if n, ok := faultNames[code]; ok {
		return n
	}
	return "UNKNOWN"
}

// NewFault is Supervisor's RPCError(code): faultString is the code's name.
func NewFault(code int) *Fault {
	return &Fault{Code: code, String: FaultName(code)}
}

// NewFaultf is Supervisor's RPCError(code, extra): faultString is
// "NAME: extra" with extra formatted from format and args.
func NewFaultf(code int, format string, args ...any) *Fault {
	return &Fault{Code: code, String: FaultName(code) + ": " + fmt.Sprintf(format, args...)}
}
