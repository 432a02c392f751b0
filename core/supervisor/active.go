package supervisor

import "super/core/process"

// Which processes a pass of the loop looks at.
//
// 4.2's loop runs every process's transition on each pass, and so did
// ours: with thousands of programs a pass cost as much as the programs,
// however little had happened. A shutdown or a SIGHUP stops one group per
// pass (4.2's order: the next group once the last is stopped), so 5,000
// single-program groups took 5,000 passes over 5,000 processes.
//
// A process whose state has no decision waiting (process.Idle: RUNNING,
// FATAL, STOPPED without autostart, …) needs no visit until something
// happens to it, and nothing that can make it busy again goes unnoticed:
//
//	a state change         onChange marks the process
//	a reap                 the reaped process is marked
//	a visit                marks it again if it is still not idle
//	a request, a message   marks everything (requests may change anything:
//	                       starts, stops, groups, health results, …)
//	a change of mood       the next pass looks at everything
//	depends_on             passes look at everything while it is configured
//	a waiter, the exit     their starts and stops are state changes
//	policy, a schedule
//
// Time alone never makes an idle process busy (Idle does not read the
// clock), so a process with a deadline is never idle and always marked.
//
// The marks are one flag per process in priority order (flat): a pass
// and the next deadline look at the marked ones, in order, at the cost of
// reading a few thousand bytes instead of every process's structures.

// activity is the loop's record of what the next pass must look at; owned
// by the loop.
type activity struct {
	all   bool         // look at every process (a request was served, …)
	mood  process.Mood // the mood the last pass ran with
	gen   int          // orderGen flat was made for
	flat  []*proc      // every process in priority order (s.order, g.procs)
	marks []bool       // marks[i]: look at flat[i]
}

// flatten makes flat again when the set of groups changed; everything is
// marked then.
func (s *Supervisor) flatten() {
	a := &s.act
	if a.gen == s.orderGen && a.flat != nil {
		return
	}
	a.gen = s.orderGen
	a.flat = a.flat[:0]
	for _, g := range s.order {
		for _, p := range g.procs {
			p.pos = len(a.flat)
			a.flat = append(a.flat, p)
		}
	}
	a.marks = append(a.marks[:0], make([]bool, len(a.flat))...)
	a.all = true
}

// mark makes the next pass look at p.
func (s *Supervisor) mark(p *proc) {
	if a := &s.act; p.pos < len(a.flat) && a.flat[p.pos] == p {
		a.marks[p.pos] = true
	} // else flat is out of date, and its remaking marks everything
}

// touchAll makes the next pass look at every process.
func (s *Supervisor) touchAll() { s.act.all = true }

// serve runs one request on the loop: it may change any process.
func (s *Supervisor) serve(fn func()) {
	s.act.all = true
	fn()
}

// passList starts a pass: the processes to look at, in priority order,
// are those flat[i] with marks[i] (all of them when the pass must look
// at everything). The list is the activity's own: a pass ends on a change
// of the group set, which makes it anew.
func (s *Supervisor) passList() (flat []*proc, marks []bool) {
	s.flatten()
	a := &s.act
	if a.all || s.mood != a.mood || s.dep.any {
		for i := range a.marks {
			a.marks[i] = true
		}
	}
	a.all, a.mood = false, s.mood
	return a.flat, a.marks
}

// visited records what a visit left: p stays marked while it is busy.
func (s *Supervisor) visited(p *proc) {
	if a := &s.act; p.pos < len(a.flat) && a.flat[p.pos] == p {
		a.marks[p.pos] = !p.Idle(s.mood)
	}
}

// deadlineList is what nextDeadline looks at: the marked processes, or
// every process when the marks are not exact (a request since the last
// pass, a change of mood, depends_on).
func (s *Supervisor) deadlineList() (flat []*proc, marks []bool, all bool) {
	s.flatten()
	a := &s.act
	return a.flat, a.marks, a.all || s.mood != a.mood || s.dep.any
}
