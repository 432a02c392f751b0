// Package events is Supervisor 4.2's event system: the event types and
// their payloads, the bus that numbers events and hands them to listener
// pools, and the pools that feed [eventlistener:x] processes over the
// listener protocol (READY / header + payload / RESULT).
//
// Nothing here blocks the caller: publishing an event only appends it to
// the buffers of the pools subscribed to it; writes to listeners happen on
// their own goroutines.
package events

import "strings"

// Type is an event type. Abstract types (Event, ProcessStateAny, …) are
// only ever subscribed to; concrete ones are also published.
type Type int

// The event types of 4.2 (supervisor/events.py EventTypes).
const (
	Event Type = iota // EVENT: every event
	ProcessStateAny
	ProcessStateStopped
	ProcessStateExited
	ProcessStateStarting
	ProcessStateStopping
	ProcessStateBackoff
	ProcessStateFatal
	ProcessStateRunning
	ProcessStateUnknown
	ProcessCommunication
	ProcessCommunicationStdout
	ProcessCommunicationStderr
	ProcessLog
	ProcessLogStdout
	ProcessLogStderr
	RemoteCommunication
	SupervisorStateChange
	SupervisorStateChangeRunning
	SupervisorStateChangeStopping
	Tick
	Tick5
	Tick60
	Tick3600
	ProcessGroup
	ProcessGroupAdded
	ProcessGroupRemoved
	numTypes
)

var typeInfo = [numTypes]struct {
	name   string
	parent Type
}{
	Event:                         {"EVENT", -1},
	ProcessStateAny:               {"PROCESS_STATE", Event},
	ProcessStateStopped:           {"PROCESS_STATE_STOPPED", ProcessStateAny},
	ProcessStateExited:            {"PROCESS_STATE_EXITED", ProcessStateAny},
	ProcessStateStarting:          {"PROCESS_STATE_STARTING", ProcessStateAny},
	ProcessStateStopping:          {"PROCESS_STATE_STOPPING", ProcessStateAny},
	ProcessStateBackoff:           {"PROCESS_STATE_BACKOFF", ProcessStateAny},
	ProcessStateFatal:             {"PROCESS_STATE_FATAL", ProcessStateAny},
	ProcessStateRunning:           {"PROCESS_STATE_RUNNING", ProcessStateAny},
	ProcessStateUnknown:           {"PROCESS_STATE_UNKNOWN", ProcessStateAny},
	ProcessCommunication:          {"PROCESS_COMMUNICATION", Event},
	ProcessCommunicationStdout:    {"PROCESS_COMMUNICATION_STDOUT", ProcessCommunication},
	ProcessCommunicationStderr:    {"PROCESS_COMMUNICATION_STDERR", ProcessCommunication},
	ProcessLog:                    {"PROCESS_LOG", Event},
	ProcessLogStdout:              {"PROCESS_LOG_STDOUT", ProcessLog},
	ProcessLogStderr:              {"PROCESS_LOG_STDERR", ProcessLog},
	RemoteCommunication:           {"REMOTE_COMMUNICATION", Event},
	SupervisorStateChange:         {"SUPERVISOR_STATE_CHANGE", Event},
	SupervisorStateChangeRunning:  {"SUPERVISOR_STATE_CHANGE_RUNNING", SupervisorStateChange},
	SupervisorStateChangeStopping: {"SUPERVISOR_STATE_CHANGE_STOPPING", SupervisorStateChange},
	Tick:                          {"TICK", Event},
	Tick5:                         {"TICK_5", Tick},
	Tick60:                        {"TICK_60", Tick},
	Tick3600:                      {"TICK_3600", Tick},
	ProcessGroup:                  {"PROCESS_GROUP", Event},
	ProcessGroupAdded:             {"PROCESS_GROUP_ADDED", ProcessGroup},
	ProcessGroupRemoved:           {"PROCESS_GROUP_REMOVED", ProcessGroup},
}

// String is the type's name as listeners see it ("PROCESS_STATE_RUNNING").
func (t Type) String() string {
	if t < 0 || t >= numTypes {
		return ""
	}
	return typeInfo[t].name
}

// ParseType maps an events= name to its type (names are case-sensitive, as
// in 4.2).
func ParseType(name string) (Type, bool) {
	name = strings.TrimSpace(name)
	for t := Type(0); t < numTypes; t++ {
		if typeInfo[t].name == name {
			return t, true
		}
	}
	return 0, false
}

// Is reports whether an event of type t is delivered to a subscription to
// sub: t is sub or one of its descendants (4.2's isinstance).
func (t Type) Is(sub Type) bool {
	for x := t; x >= 0; x = typeInfo[x].parent {
		if x == sub {
			return true
		}
	}
	return false
}

// Names lists every type name, abstract ones included.
func Names() []string {
	out := make([]string, numTypes)
	for t := Type(0); t < numTypes; t++ {
		out[t] = typeInfo[t].name
	}
	return out
}
