package supervisor

// SubscribeDetailed is Subscribe for a subscriber that shows processes
// (the JSON API's event stream): its ProcessState and HealthChanged events
// carry Info and Stats, the process as getProcessInfo and Stats show it
// right after the change. Other subscribers get them too while one such
// subscriber is there; without one, events cost nothing more.
func (s *Supervisor) SubscribeDetailed(fn func(Event)) (cancel func()) {
	s.detailed.Add(1)
	unsub := s.Subscribe(fn)
	return func() {
		unsub()
		s.detailed.Add(-1)
	}
}

// snapshot fills a process event's Info and Stats, taken on the loop at
// the moment of the change, so a stream of events replays every state a
// process went through with the figures it had then.
func (s *Supervisor) snapshot(e *Event) {
	if e.Type != ProcessState && e.Type != HealthChanged {
		return
	}
	g := s.groups[e.Group]
	if g == nil {
		return
	}
	p := g.proc(e.Name)
	if p == nil {
		return
	}
	info := s.info(p)
	st := s.statsOf([]*proc{p})[0]
	e.Info, e.Stats = &info, &st
}
