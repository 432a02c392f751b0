package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"super/core/logging"
	"super/core/supervisor"
)

// GET /api/v1/events: Server-Sent Events.
//
//	event: hello       data: {"event_id": ..., "statename": ...}   first, on a fresh stream
//	event: reset       data: {"event_id": ...}   Last-Event-ID could not be honoured: read the list again
//	event: process     data: ProcessEvent        a state change
//	event: health      data: ProcessEvent        a change of health verdict
//	event: stats       data: StatsEvent          counters and resource figures that changed
//	event: group       data: GroupEvent          a group added or removed
//	event: supervisor  data: SupervisorEvent     the daemon running or stopping
//	event: log         data: LogEvent            bytes appended to a followed log (no id)
//
// Query parameters:
//
//	follow=NAME[/stderr]  follow a process's stdout (or stderr) log; repeatable
//	mainlog=1             follow the activity log
//	types=a,b             only these event types (hello, reset and log always)
//	last_event_id=ID      as the Last-Event-ID header, for clients that cannot set it
//
// Followed logs start with their last tailBytes and are read from the
// files, not from the programs' output path. Their events carry no id: a
// client that comes back follows the logs anew (the offsets tell what it
// already has).

// tailBytes is how much of a followed log the stream starts with.
const tailBytes = 4096

// maxFollow bounds the logs one stream follows.
const maxFollow = 16

// LogEvent is the data of a "log" event.
type LogEvent struct {
	Namespec  string `json:"namespec"` // "" for the activity log
	Channel   string `json:"channel"`  // "stdout", "stderr" or "main"
	Data      string `json:"data"`     // the bytes as UTF-8 (invalid sequences replaced)
	Offset    int64  `json:"offset"`   // where in the file they start
	Truncated bool   `json:"truncated,omitempty"`
}

// HelloEvent is the data of "hello" and "reset".
type HelloEvent struct {
	EventID string `json:"event_id"`
	State   string `json:"statename"`
}

type logFollow struct {
	spec, channel, path string
}

func (h *Handler) events(w http.ResponseWriter, q *request) {
	query := q.r.URL.Query()
	var follows []logFollow
	for _, f := range query["follow"] {
		spec, channel := f, "stdout"
		if s, ok := strings.CutSuffix(f, "/stderr"); ok {
			spec, channel = s, "stderr"
		} else if s, ok := strings.CutSuffix(f, "/stdout"); ok {
			spec = s
		}
		if supervisor.IsGroupSpec(spec) {
			writeError(w, toAPIError(&supervisor.Error{Fault: supervisor.BadName}))
			return
		}
		path, err := h.rpc.ProcessLogFile(spec, channel == "stderr")
		if err != nil {
			writeError(w, err)
			return
		}
		follows = append(follows, logFollow{spec, channel, path})
	}
	if query.Get("mainlog") != "" && query.Get("mainlog") != "0" {
		follows = append(follows, logFollow{"", "main", h.rpc.MainLogFile()})
	}
	if len(follows) > maxFollow {
		writeError(w, badParams("too many logs to follow"))
		return
	}
	var only map[string]bool
	if t := query.Get("types"); t != "" {
		only = map[string]bool{}
		for _, name := range strings.Split(t, ",") {
			only[strings.TrimSpace(name)] = true
		}
	}
	resume := q.r.Header.Get("Last-Event-ID")
	if resume == "" {
		resume = query.Get("last_event_id")
	}

	hb := h.hub
	cursor, at, ok := hb.join(resume)
	defer hb.leave()

	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // no buffering in a reverse proxy
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(q.r.Context())
	defer cancel()
	buf := make([]byte, 0, 4096)
	// send writes buf with a deadline: a client that does not take it in
	// time is dropped.
	send := func() bool {
		if len(buf) == 0 {
			return true
		}
		rc.SetWriteDeadline(time.Now().Add(hb.opts.WriteTimeout))
		_, err := w.Write(buf)
		if err == nil {
			err = rc.Flush()
		}
		buf = buf[:0]
		return err == nil
	}

	// The client's reconnection delay, then where the stream starts.
	buf = append(buf, "retry: 1000\n\n"...)
	hello := HelloEvent{EventID: at, State: hb.eng.State().String()}
	if !ok {
		buf = appendEvent(buf, "", "reset", hello)
	} else if resume == "" {
		buf = appendEvent(buf, "", "hello", hello)
	}
	if !send() {
		return
	}

	logs := make(chan LogEvent, 64)
	for _, f := range follows {
		go followLog(ctx, f, logs)
	}

	heartbeat := time.NewTicker(hb.opts.Heartbeat)
	defer heartbeat.Stop()
	var batch []*entry
	for {
		var wake <-chan struct{}
		var behind bool
		batch, wake, behind = hb.read(cursor, batch[:0])
		if behind {
			return // dropped: it may resume with its Last-Event-ID
		}
		for _, e := range batch {
			cursor = e.id
			if only != nil && !only[e.name] {
				continue
			}
			buf = append(buf, e.encode()...)
			if len(buf) >= 64<<10 && !send() {
				return
			}
		}
		if !send() {
			return
		}
		select {
		case <-wake:
		case le := <-logs:
			buf = appendEvent(buf, "", "log", le)
			// Take what else is waiting, so a busy log goes out in
			// few writes.
			for more := true; more && len(buf) < 64<<10; {
				select {
				case le = <-logs:
					buf = appendEvent(buf, "", "log", le)
				default:
					more = false
				}
			}
		case <-heartbeat.C:
			buf = append(buf, ": ping\n\n"...)
		case <-ctx.Done():
			return
		case <-hb.done:
			return
		}
	}
}

func appendEvent(b []byte, id, name string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`{}`)
	}
	return sseFrame(b, id, name, data)
}

// followLog sends what is appended to one log to out until ctx ends; a log
// that cannot be opened (none configured, not written yet) is retried
// after each second, so a program's first output is seen.
func followLog(ctx context.Context, f logFollow, out chan<- LogEvent) {
	var fl *logging.Follower
	for {
		var err error
		if f.path != "" {
			fl, err = logging.OpenFollower(f.path, tailBytes)
			if err == nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	defer fl.Close()
	// A piece may end inside a character: its first bytes wait for the
	// rest, so the text is not mangled at the cut.
	var held []byte
	fl.Run(ctx, func(data []byte, off int64) error {
		ev := LogEvent{Namespec: f.spec, Channel: f.channel}
		if off < 0 {
			held = held[:0]
			ev.Truncated = true
		} else {
			all := append(held, data...)
			cut := len(all) - incompleteTail(all)
			ev.Offset = off - int64(len(held))
			ev.Data = strings.ToValidUTF8(string(all[:cut]), "\uFFFD")
			held = append(held[:0], all[cut:]...)
			if ev.Data == "" {
				return nil
			}
		}
		select {
		case out <- ev:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, func() error { return nil })
}

// incompleteTail is how many bytes at the end of b begin a UTF-8
// character that is not complete yet (0 to 3).
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0 // ASCII: nothing pending
		}
		if c >= 0xC0 { // a leading byte: complete if it has its n-1 followers
			if utf8.FullRune(b[len(b)-n:]) {
				return 0
			}
			return n
		}
	}
	return 0
}
