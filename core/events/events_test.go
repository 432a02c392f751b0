package events

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestTypeNamesAndInheritance(t *testing.T) {
	for _, name := range Names() {
		typ, ok := ParseType(name)
		if !ok || typ.String() != name {
			t.Errorf("ParseType(%q) = %v %v", name, typ, ok)
		}
		if !typ.Is(Event) {
			t.Errorf("%s is not an EVENT", name)
		}
	}
	if _, ok := ParseType("PROCESS_STATE_BOGUS"); ok {
		t.Error("unknown name parsed")
	}
	cases := []struct {
		t, sub Type
		want   bool
	}{
		{ProcessStateRunning, ProcessStateAny, true},
		{ProcessStateExited, ProcessStateAny, true},
		{ProcessStateRunning, ProcessStateExited, false},
		{ProcessLogStderr, ProcessLog, true},
		{ProcessLogStderr, ProcessCommunication, false},
		{ProcessCommunicationStdout, ProcessCommunication, true},
		{Tick60, Tick, true},
		{Tick60, Tick5, false},
		{ProcessGroupRemoved, ProcessGroup, true},
		{SupervisorStateChangeStopping, SupervisorStateChange, true},
		{RemoteCommunication, ProcessStateAny, false},
		{ProcessStateAny, ProcessStateRunning, false},
	}
	for _, c := range cases {
		if got := c.t.Is(c.sub); got != c.want {
			t.Errorf("%s.Is(%s) = %v", c.t, c.sub, got)
		}
	}
}

// The payloads as 4.2's events.py renders them.
func TestPayloads(t *testing.T) {
	ps := func(to string, f ProcessStateFields) Msg {
		m, ok := ProcessState(to, f)
		if !ok {
			t.Fatalf("no event for %s", to)
		}
		return m
	}
	f := ProcessStateFields{Name: "cat", Group: "grp", Tries: 2, Expected: false, Pid: 42}
	cases := []struct {
		m           Msg
		wantType    string
		wantPayload string
	}{
		{ps("STARTING", ProcessStateFields{Name: "cat", Group: "grp", From: "STOPPED"}), "PROCESS_STATE_STARTING", "processname:cat groupname:grp from_state:STOPPED tries:0"},
		{ps("BACKOFF", withFrom(f, "STARTING")), "PROCESS_STATE_BACKOFF", "processname:cat groupname:grp from_state:STARTING tries:2"},
		{ps("RUNNING", withFrom(f, "STARTING")), "PROCESS_STATE_RUNNING", "processname:cat groupname:grp from_state:STARTING pid:42"},
		{ps("EXITED", withFrom(f, "RUNNING")), "PROCESS_STATE_EXITED", "processname:cat groupname:grp from_state:RUNNING expected:0 pid:42"},
		{ps("STOPPING", withFrom(f, "RUNNING")), "PROCESS_STATE_STOPPING", "processname:cat groupname:grp from_state:RUNNING pid:42"},
		{ps("STOPPED", withFrom(f, "STOPPING")), "PROCESS_STATE_STOPPED", "processname:cat groupname:grp from_state:STOPPING pid:42"},
		{ps("FATAL", withFrom(f, "BACKOFF")), "PROCESS_STATE_FATAL", "processname:cat groupname:grp from_state:BACKOFF"},
		{ps("UNKNOWN", withFrom(f, "RUNNING")), "PROCESS_STATE_UNKNOWN", "processname:cat groupname:grp from_state:RUNNING"},
		{ProcessLogMsg("stdout", "cat", "grp", 7, []byte("hi\n")), "PROCESS_LOG_STDOUT", "processname:cat groupname:grp pid:7 channel:stdout\nhi\n"},
		{ProcessLogMsg("stderr", "cat", "grp", 7, []byte{0xff, 'a'}), "PROCESS_LOG_STDERR", "processname:cat groupname:grp pid:7 channel:stderr\nUndecodable: b'\\xffa'"},
		{ProcessCommunicationMsg("stdout", "cat", "grp", 7, []byte("body")), "PROCESS_COMMUNICATION_STDOUT", "processname:cat groupname:grp pid:7\nbody"},
		{ProcessCommunicationMsg("stderr", "cat", "grp", 7, []byte("body")), "PROCESS_COMMUNICATION_STDERR", "processname:cat groupname:grp pid:7\nbody"},
		{RemoteCommunicationMsg("t", "d\ne"), "REMOTE_COMMUNICATION", "type:t\nd\ne"},
		{SupervisorRunningMsg(), "SUPERVISOR_STATE_CHANGE_RUNNING", ""},
		{SupervisorStoppingMsg(), "SUPERVISOR_STATE_CHANGE_STOPPING", ""},
		{GroupAddedMsg("g"), "PROCESS_GROUP_ADDED", "groupname:g\n"},
		{GroupRemovedMsg("g"), "PROCESS_GROUP_REMOVED", "groupname:g\n"},
		{TickMsg(5, 1700000005), "TICK_5", "when:1700000005"},
		{TickMsg(60, 1700000040), "TICK_60", "when:1700000040"},
		{TickMsg(3600, 1699999200), "TICK_3600", "when:1699999200"},
	}
	for _, c := range cases {
		if c.m.Type.String() != c.wantType || c.m.Payload != c.wantPayload {
			t.Errorf("got %s %q, want %s %q", c.m.Type, c.m.Payload, c.wantType, c.wantPayload)
		}
	}
	if _, ok := ProcessState("BOGUS", f); ok {
		t.Error("event for a bogus state")
	}
}

func withFrom(f ProcessStateFields, from string) ProcessStateFields { f.From = from; return f }

func TestEnvelope(t *testing.T) {
	got := string(Envelope("supervisor", 21, "listener", 10, Msg{ProcessCommunicationStdout, "é\n"}))
	want := "ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_COMMUNICATION_STDOUT len:2\né\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

type step struct {
	feed string // output of the listener
	sent bool   // an event is dispatched before the feed
	want string // outcomes, space separated
	end  ListenerState
}

func run(p *Protocol, s step) string {
	if s.sent {
		p.Sent()
	}
	var out []string
	p.Feed([]byte(s.feed), func(o Outcome) {
		switch o.Kind {
		case Changed:
			out = append(out, o.From.String()+">"+o.To.String())
		case Result:
			out = append(out, "result="+string(o.Data))
		case BadResult:
			out = append(out, "bad="+string(o.Data))
		}
	})
	return strings.Join(out, " ")
}

func TestProtocol(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"ready", []step{{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready}}},
		{"ready split", []step{{feed: "REA", want: "", end: Acknowledged}, {feed: "DY\n", want: "ACKNOWLEDGED>READY", end: Ready}}},
		{"garbage first", []step{{feed: "hello there\n", want: "ACKNOWLEDGED>UNKNOWN", end: Unknown}, {feed: "READY\n", want: "", end: Unknown}}},
		{"spurious while ready", []step{{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready}, {feed: "x", want: "READY>UNKNOWN", end: Unknown}}},
		{"ok then ready in one chunk", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT 2\nOKREADY\n", want: "result=OK BUSY>ACKNOWLEDGED ACKNOWLEDGED>READY", end: Ready},
		}},
		{"fail", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT 4\nFAIL", want: "result=FAIL BUSY>ACKNOWLEDGED", end: Acknowledged},
		}},
		{"result in pieces", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESUL", want: "", end: Busy},
			{feed: "T 5\nab", want: "", end: Busy},
			{feed: "cdeRE", want: "result=abcde BUSY>ACKNOWLEDGED", end: Acknowledged},
			{feed: "ADY\n", want: "ACKNOWLEDGED>READY", end: Ready},
		}},
		{"python int spellings", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT  +1_0 \n0123456789", want: "result=0123456789 BUSY>ACKNOWLEDGED", end: Acknowledged},
		}},
		{"zero length", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT 0\n", want: "result= BUSY>ACKNOWLEDGED", end: Acknowledged},
		}},
		{"bad result line", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT two\nOK", want: "bad=RESULT two BUSY>UNKNOWN", end: Unknown},
		}},
		{"negative length", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "RESULT -1\n", want: "bad=RESULT -1 BUSY>UNKNOWN", end: Unknown},
		}},
		{"short line", []step{
			{feed: "READY\n", want: "ACKNOWLEDGED>READY", end: Ready},
			{sent: true, feed: "OK\n", want: "bad=OK BUSY>UNKNOWN", end: Unknown},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewProtocol()
			for i, s := range c.steps {
				if got := run(p, s); got != s.want {
					t.Errorf("step %d: outcomes %q, want %q", i, got, s.want)
				}
				if p.State() != s.end {
					t.Errorf("step %d: state %s, want %s", i, p.State(), s.end)
				}
			}
		})
	}
}

// FuzzProtocol feeds arbitrary listener output in arbitrary chunks: the
// parser must not panic, results only come while BUSY and each is
// followed by ACKNOWLEDGED, and the buffer never holds more than was fed.
func FuzzProtocol(f *testing.F) {
	f.Add([]byte("READY\nRESULT 2\nOKREADY\n"), uint8(3))
	f.Add([]byte("READY\nRESULT 4\nFAILREADY\nRESULT 99999999999\n"), uint8(1))
	f.Add([]byte("RESULT 1_0\n0123456789READY\n"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		n := int(chunk%16) + 1
		p := NewProtocol()
		fed := 0
		for len(data) > 0 {
			k := min(n, len(data))
			if p.State() == Ready {
				p.Sent()
			}
			before := p.State()
			var kinds []OutcomeKind
			p.Feed(data[:k], func(o Outcome) {
				kinds = append(kinds, o.Kind)
				if o.Kind == Result && before != Busy {
					t.Fatalf("result outside BUSY")
				}
				if o.Kind == Result && len(o.Data) > fed+k {
					t.Fatalf("result longer than the input")
				}
			})
			for i, k := range kinds {
				if k == Result && (i+1 >= len(kinds) || kinds[i+1] != Changed) {
					t.Fatalf("result not followed by a state change: %v", kinds)
				}
			}
			fed += k
			if len(p.buf) > fed {
				t.Fatalf("buffer holds %d bytes of %d fed", len(p.buf), fed)
			}
			switch p.State() {
			case Ready, Busy, Acknowledged, Unknown:
			default:
				t.Fatalf("bad state %d", p.State())
			}
			data = data[k:]
		}
	})
}

// memLog collects log lines.
type memLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *memLog) add(level, f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+fmt.Sprintf(f, a...))
	l.mu.Unlock()
}
func (l *memLog) Error(f string, a ...any) { l.add("ERRO", f, a...) }
func (l *memLog) Warn(f string, a ...any)  { l.add("WARN", f, a...) }
func (l *memLog) Info(f string, a ...any)  { l.add("INFO", f, a...) }
func (l *memLog) Debug(f string, a ...any) { l.add("DEBG", f, a...) }
func (l *memLog) has(line string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == line {
			return true
		}
	}
	return false
}

// fakeStdin records what a listener is sent.
type fakeStdin struct {
	mu   sync.Mutex
	got  []string
	sent chan struct{}
}

func (f *fakeStdin) WriteStdin(b []byte) error {
	f.mu.Lock()
	f.got = append(f.got, string(b))
	f.mu.Unlock()
	f.sent <- struct{}{}
	return nil
}

func TestPoolDispatchRequeueOverflow(t *testing.T) {
	log := &memLog{}
	b := NewBus("", log)
	p := b.AddPool(PoolConfig{Name: "pool", Events: []Type{RemoteCommunication}, BufferSize: 2, Listeners: []string{"l1"}})
	b.Publish(GroupAddedMsg("ignored")) // not subscribed: no serial used
	for i := range 3 {
		b.Publish(RemoteCommunicationMsg("t", fmt.Sprint(i)))
	}
	if !log.has("ERRO pool pool event buffer overflowed, discarding event 0") || p.Buffered() != 2 {
		t.Fatalf("no overflow: %v, %d buffered", log.lines, p.Buffered())
	}
	l := p.Listener("l1")
	in := &fakeStdin{sent: make(chan struct{}, 4)}
	out := l.Open()
	l.SetStdin(in)
	l.SetRunning(true)
	out.Write([]byte("READY\n"))
	<-in.sent
	want := "ver:3.0 server:supervisor serial:1 pool:pool poolserial:1 eventname:REMOTE_COMMUNICATION len:8\ntype:t\n1"
	if in.got[0] != want {
		t.Fatalf("sent %q, want %q", in.got[0], want)
	}
	out.Write([]byte("RESULT 4\nFAILREADY\n")) // rejected: the same event again
	<-in.sent
	if in.got[1] != want {
		t.Fatalf("after FAIL sent %q", in.got[1])
	}
	if !log.has("WARN l1: event was rejected") {
		t.Error("no rejection logged")
	}
	out.Close() // died while BUSY: re-queued
	if p.Buffered() != 2 {
		t.Fatalf("%d buffered after the listener died", p.Buffered())
	}
	out = l.Open()
	l.SetStdin(in)
	out.Write([]byte("READY\n"))
	<-in.sent
	if in.got[2] != want {
		t.Fatalf("after a crash sent %q", in.got[2])
	}
	out.Write([]byte("RESULT 2\nOKREADY\n"))
	<-in.sent
	if !strings.HasPrefix(in.got[3], "ver:3.0 server:supervisor serial:2 pool:pool poolserial:2 ") {
		t.Fatalf("next event %q", in.got[3])
	}
}
