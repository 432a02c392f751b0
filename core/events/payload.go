package events

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"super/core/pyrepr"
)

// Msg is one published event: its concrete type and its payload, rendered
// when the event happens (4.2 renders process state payloads eagerly too,
// so a later pid change does not leak into a buffered event).
type Msg struct {
	Type    Type
	Payload string
}

// decoded is 4.2's as_string with its fallback: output that is not UTF-8
// is shown as "Undecodable: b'…'".
func decoded(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	return "Undecodable: " + pyrepr.Bytes(data)
}

// ProcessStateFields are what a PROCESS_STATE_* payload says.
type ProcessStateFields struct {
	Name, Group string
	From        string // the previous state's name ("STARTING")
	Tries       int    // STARTING, BACKOFF: failed starts in a row
	Expected    bool   // EXITED
	Pid         int    // RUNNING, STOPPING, STOPPED, EXITED
}

// stateType maps a process state name to its event type.
var stateType = map[string]Type{
	"STOPPED":  ProcessStateStopped,
	"EXITED":   ProcessStateExited,
	"STARTING": ProcessStateStarting,
	"STOPPING": ProcessStateStopping,
	"BACKOFF":  ProcessStateBackoff,
	"FATAL":    ProcessStateFatal,
	"RUNNING":  ProcessStateRunning,
	"UNKNOWN":  ProcessStateUnknown,
}

// ProcessState is the PROCESS_STATE_<to> event:
//
//	processname:cat groupname:cat from_state:STARTING pid:42
//
// with tries for STARTING/BACKOFF, expected and pid for EXITED, pid for
// RUNNING/STOPPING/STOPPED and nothing more for FATAL/UNKNOWN. ok is false
// for a state without an event.
func ProcessState(to string, f ProcessStateFields) (m Msg, ok bool) {
	t, ok := stateType[to]
	if !ok {
		return Msg{}, false
	}
	var b strings.Builder
	b.WriteString("processname:")
	b.WriteString(f.Name)
	b.WriteString(" groupname:")
	b.WriteString(f.Group)
	b.WriteString(" from_state:")
	b.WriteString(f.From)
	switch t {
	case ProcessStateStarting, ProcessStateBackoff:
		b.WriteString(" tries:")
		b.WriteString(strconv.Itoa(f.Tries))
	case ProcessStateExited:
		b.WriteString(" expected:")
		if f.Expected {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
		b.WriteString(" pid:")
		b.WriteString(strconv.Itoa(f.Pid))
	case ProcessStateRunning, ProcessStateStopping, ProcessStateStopped:
		b.WriteString(" pid:")
		b.WriteString(strconv.Itoa(f.Pid))
	}
	return Msg{t, b.String()}, true
}

// ProcessLogMsg is PROCESS_LOG_STDOUT/STDERR: one piece of output a
// process logged (stdout_events_enabled / stderr_events_enabled).
//
//	processname:cat groupname:cat pid:42 channel:stdout
//	<data>
func ProcessLogMsg(channel, name, group string, pid int, data []byte) Msg {
	t := ProcessLogStdout
	if channel == "stderr" {
		t = ProcessLogStderr
	}
	return Msg{t, "processname:" + name + " groupname:" + group + " pid:" + strconv.Itoa(pid) +
		" channel:" + channel + "\n" + decoded(data)}
}

// ProcessCommunicationMsg is PROCESS_COMMUNICATION_STDOUT/STDERR: the body
// of a <!--XSUPERVISOR:BEGIN-->…<!--XSUPERVISOR:END--> block.
//
//	processname:cat groupname:cat pid:42
//	<data>
func ProcessCommunicationMsg(channel, name, group string, pid int, data []byte) Msg {
	t := ProcessCommunicationStdout
	if channel == "stderr" {
		t = ProcessCommunicationStderr
	}
	return Msg{t, "processname:" + name + " groupname:" + group + " pid:" + strconv.Itoa(pid) + "\n" + decoded(data)}
}

// RemoteCommunicationMsg is REMOTE_COMMUNICATION (sendRemoteCommEvent):
//
//	type:<typ>
//	<data>
func RemoteCommunicationMsg(typ, data string) Msg {
	return Msg{RemoteCommunication, "type:" + typ + "\n" + data}
}

// SupervisorRunningMsg and SupervisorStoppingMsg have an empty payload.
func SupervisorRunningMsg() Msg  { return Msg{SupervisorStateChangeRunning, ""} }
func SupervisorStoppingMsg() Msg { return Msg{SupervisorStateChangeStopping, ""} }

// GroupAddedMsg and GroupRemovedMsg are PROCESS_GROUP_ADDED/REMOVED:
// "groupname:x\n".
func GroupAddedMsg(group string) Msg   { return Msg{ProcessGroupAdded, "groupname:" + group + "\n"} }
func GroupRemovedMsg(group string) Msg { return Msg{ProcessGroupRemoved, "groupname:" + group + "\n"} }

// TickMsg is TICK_5/60/3600 for the period that started at when (unix
// seconds): "when:1700000000".
func TickMsg(period int, when int64) Msg {
	t := Tick5
	switch period {
	case 60:
		t = Tick60
	case 3600:
		t = Tick3600
	}
	return Msg{t, "when:" + strconv.FormatInt(when, 10)}
}

// TickPeriods are the periods of the TICK_* events, in seconds.
var TickPeriods = []int{5, 60, 3600}
