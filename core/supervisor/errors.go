package supervisor

import "fmt"

// Fault is an XML-RPC fault code of 4.2 (supervisor/xmlrpc.py Faults).
type Fault int

// 4.2's fault codes.
const (
	UnknownMethod        Fault = 1
	IncorrectParameters  Fault = 2
	BadArguments         Fault = 3
	SignatureUnsupported Fault = 4
	ShutdownState        Fault = 6
	BadName              Fault = 10
	BadSignal            Fault = 11
	NoFile               Fault = 20
	NotExecutable        Fault = 21
	Failed               Fault = 30
	AbnormalTermination  Fault = 40
	SpawnError           Fault = 50
	AlreadyStarted       Fault = 60
	NotRunning           Fault = 70
	Success              Fault = 80
	AlreadyAdded         Fault = 90
	StillRunning         Fault = 91
	CantReread           Fault = 92
)

var faultNames = map[Fault]string{
	UnknownMethod: "UNKNOWN_METHOD", IncorrectParameters: "INCORRECT_PARAMETERS",
	BadArguments: "BAD_ARGUMENTS", SignatureUnsupported: "SIGNATURE_UNSUPPORTED",
	ShutdownState: "SHUTDOWN_STATE", BadName: "BAD_NAME", BadSignal: "BAD_SIGNAL",
	NoFile: "NO_FILE", NotExecutable: "NOT_EXECUTABLE", Failed: "FAILED",
	AbnormalTermination: "ABNORMAL_TERMINATION", SpawnError: "SPAWN_ERROR",
	AlreadyStarted: "ALREADY_STARTED", NotRunning: "NOT_RUNNING", Success: "SUCCESS",
	AlreadyAdded: "ALREADY_ADDED", StillRunning: "STILL_RUNNING", CantReread: "CANT_REREAD",
}

// String is the fault's name ("BAD_NAME").
func (f Fault) String() string {
	if n, ok := faultNames[f]; ok {
		return n
	}
	return fmt.Sprintf("FAULT_%d", int(f))
}

// Error is a refused request, as 4.2's RPCError: the fault code and its
// text, "NAME" or "NAME: extra" (e.g. "BAD_NAME: foo"), which is both the
// XML-RPC faultString and the description in multi-process results.
type Error struct {
	Fault Fault
	Extra string // "" = none
	set   bool
}

func (e *Error) Error() string {
	if !e.set {
		return e.Fault.String()
	}
	return e.Fault.String() + ": " + e.Extra
}

func fault(f Fault) *Error                { return &Error{Fault: f} }
func faultf(f Fault, extra string) *Error { return &Error{Fault: f, Extra: extra, set: true} }

// Result is the outcome for one process of a group or "all" request (4.2's
// status structs: name, group, status, description).
type Result struct {
	Name        string
	Group       string
	Status      Fault  // Success or the fault
	Description string // "OK" or the fault text
}
