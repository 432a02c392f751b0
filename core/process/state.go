// Package process is one supervised process: Supervisor 4.2's state machine
// (states, legal transitions, the decisions that move between them) and the
// spawning of the child. It knows nothing of RPC or of other processes; the
// supervisor loop owns every Process and is the only caller of its methods.
package process

import "fmt"

// State is a process state; the numbers are 4.2's ProcessStates codes, which
// are part of the XML-RPC API (getProcessInfo "state").
type State int

// The process states of Supervisor 4.2.
const (
	Stopped  State = 0
	Starting State = 10
	Running  State = 20
	Backoff  State = 30
	Stopping State = 40
	Exited   State = 100
	Fatal    State = 200
	Unknown  State = 1000
)

var stateNames = map[State]string{
	Stopped:  "STOPPED",
	Starting: "STARTING",
	Running:  "RUNNING",
	Backoff:  "BACKOFF",
	Stopping: "STOPPING",
	Exited:   "EXITED",
	Fatal:    "FATAL",
	Unknown:  "UNKNOWN",
}

// String is the state's name as 4.2 prints it ("RUNNING").
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// IsStopped reports whether s is one of 4.2's STOPPED_STATES (a process in
// such a state has no pid and may be started).
func (s State) IsStopped() bool {
	return s == Stopped || s == Exited || s == Fatal || s == Unknown
}

// IsRunning reports whether s is one of 4.2's RUNNING_STATES (start requests
// are refused with ALREADY_STARTED, stop requests accepted).
func (s State) IsRunning() bool {
	return s == Running || s == Backoff || s == Starting
}

// IsSignallable reports whether s is one of 4.2's SIGNALLABLE_STATES.
func (s State) IsSignallable() bool {
	return s == Running || s == Starting || s == Stopping
}

// Transitions lists every legal move of 4.2's state machine (process.py:
// spawn, finish, kill, transition, give_up). A move not listed is a bug;
// Process.to panics on it, as 4.2's _assertInState raises.
//
//	STOPPED  → STARTING  autostart at boot or a start request
//	STARTING → RUNNING   stayed up startsecs, or exited after startsecs=0
//	STARTING → BACKOFF   exited too quickly, or the spawn failed
//	STARTING → STOPPING  stop request
//	RUNNING  → STOPPING  stop request
//	RUNNING  → EXITED    exited on its own
//	BACKOFF  → STARTING  backoff delay elapsed, retries left
//	BACKOFF  → FATAL     too many retries, or stopped during shutdown
//	BACKOFF  → STOPPED   stop request (kill() in BACKOFF)
//	STOPPING → STOPPED   reaped after a stop request
//	EXITED   → STARTING  autorestart or a start request
//	FATAL    → STARTING  start request
//	RUNNING/STARTING/STOPPING → UNKNOWN  a signal could not be sent
//
// super's lifecycle keys add (never taken without them):
//
//	EXITED   → STOPPED   stop request while the autorestart waits (restart_delay),
//	                     or between the runs of a schedule
//	STOPPING → BACKOFF   reaped after a stop for not sending READY=1 in time (notify=true, notify.go)
//	STARTING → EXITED    a one-shot program exited with an expected code (oneshot)
var Transitions = map[State][]State{
	Stopped:  {Starting},
	Starting: {Running, Backoff, Stopping, Unknown, Exited},
	Running:  {Stopping, Exited, Unknown},
	Backoff:  {Starting, Fatal, Stopped},
	Stopping: {Stopped, Unknown, Backoff},
	Exited:   {Starting, Stopped},
	Fatal:    {Starting},
}

// Legal reports whether from → to is in Transitions.
func Legal(from, to State) bool {
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}
