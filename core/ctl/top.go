package ctl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-runewidth"
)

// top is super's live terminal view (`supervisorctl top`, `super ctl
// top`): the processes as the JSON API lists them, kept up to date by its
// event stream, sorted and filtered by key, with actions on the selected
// process or its group. It is not one of 4.2's commands: `help` lists
// 4.2's commands as 4.2 does, and `help top` explains this one.

const topHelp = "top\t\t\tLive view of every process (super's JSON API):\n" +
	"\t\t\tstate, uptime, CPU, memory, health, restarts.\n" +
	"\t\t\tKeys: up/down/PgUp/PgDn/Home/End (or j/k) select,\n" +
	"\t\t\t< > sort column, i invert, / filter by name, f state filter,\n" +
	"\t\t\ts start, t stop, r restart the selected process;\n" +
	"\t\t\tS T R the same for its group; q or Ctrl-C quit."

// topProc is one process as top shows it (fields of the API's Process).
type topProc struct {
	Name         string   `json:"name"`
	Group        string   `json:"group"`
	Namespec     string   `json:"namespec"`
	State        string   `json:"statename"`
	Description  string   `json:"description"`
	Pid          int      `json:"pid"`
	Start        int64    `json:"start"`
	Now          int64    `json:"now"`
	Restarts     int      `json:"restarts"`
	Health       *string  `json:"health"`
	CPUPercent   *float64 `json:"cpu_percent"`
	MemoryBytes  *int64   `json:"memory_bytes"`
	RestartAt    *int64   `json:"restart_at"`
	NotifyStatus *string  `json:"notify_status"`
}

// topStats is one entry of a "stats" event.
type topStats struct {
	Namespec    string   `json:"namespec"`
	Restarts    int      `json:"restarts"`
	CPUPercent  *float64 `json:"cpu_percent"`
	MemoryBytes *int64   `json:"memory_bytes"`
}

// sseEvent is one event of the stream.
type sseEvent struct {
	id, name string
	data     []byte
}

// topColumns are the sort keys, in the order < and > step through them.
var topColumns = []struct {
	name string
	less func(a, b *topProc, now int64) bool
}{
	{"NAME", func(a, b *topProc, _ int64) bool { return a.Namespec < b.Namespec }},
	{"STATE", func(a, b *topProc, _ int64) bool { return a.State < b.State }},
	{"UPTIME", func(a, b *topProc, now int64) bool { return uptime(a, now) < uptime(b, now) }},
	{"CPU", func(a, b *topProc, _ int64) bool { return ptrF(a.CPUPercent) < ptrF(b.CPUPercent) }},
	{"MEM", func(a, b *topProc, _ int64) bool { return ptrI(a.MemoryBytes) < ptrI(b.MemoryBytes) }},
	{"RESTARTS", func(a, b *topProc, _ int64) bool { return a.Restarts < b.Restarts }},
}

func ptrF(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func ptrI(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func uptime(p *topProc, now int64) int64 {
	if p.State != "RUNNING" || p.Start == 0 {
		return 0
	}
	return max(now-p.Start, 0)
}

// stateFilters are what f steps through.
var stateFilters = []string{"", "running", "not running", "problems"}

type topView struct {
	c     *controller
	term  *terminal
	procs map[string]*topProc
	clock int64 // the daemon's clock minus ours, seconds

	sortCol   int
	invert    bool
	filter    string
	editing   bool // the filter is being typed
	stateFilt int
	cursor    string // the selected process's namespec
	offset    int    // first row shown
	message   string
	live      bool
}

func (c *controller) doTop(arg string) (bool, error) {
	if strings.TrimSpace(arg) != "" {
		c.output("Error: top takes no arguments")
		c.output(topHelp)
		c.exit = exitGeneric
		return false, nil
	}
	in, inOK := c.stdin.(*os.File)
	out, outOK := c.out.(*os.File)
	if !inOK || !outOK || !isTerminal(in) || !fileIsTerminal(out) {
		c.output("Error: top needs a terminal")
		c.exit = exitGeneric
		return false, nil
	}
	v := &topView{c: c, procs: map[string]*topProc{}}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	if err := v.load(ctx); err != nil {
		c.output("Error: " + err.Error())
		c.exit = exitGeneric
		return false, nil
	}
	term, err := openTerminal(in, out)
	if err != nil {
		c.output("Error: top needs a terminal: " + err.Error())
		c.exit = exitGeneric
		return false, nil
	}
	v.term = term
	defer term.restore()
	v.run(ctx)
	return false, nil
}

// api sends one request to the JSON API.
func (c *controller) api(ctx context.Context, method, path string, body any, hdr http.Header) (*http.Response, error) {
	req, client, err := c.httpRequest(ctx, "/api/v1/"+path)
	if err != nil {
		return nil, err
	}
	req.Method = method
	req.Header.Set("User-Agent", "super top")
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if body != nil {
		b, _ := json.Marshal(body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
		req.Header.Set("Content-Type", "application/json")
	}
	return client.Do(req)
}

// apiError is the message of an error answer.
func apiError(resp *http.Response) error {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return errors.New(e.Error.Message)
	}
	if resp.StatusCode == http.StatusNotFound {
		return errors.New("the server has no JSON API (top needs super's supervisord, not Supervisor 4.2)")
	}
	return fmt.Errorf("the server answered %s", resp.Status)
}

// load reads the whole list.
func (v *topView) load(ctx context.Context) error {
	resp, err := v.c.api(ctx, "GET", "processes", nil, nil)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %s", v.c.opts.ServerURL, connectError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(resp)
	}
	var list struct {
		Processes []*topProc `json:"processes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return err
	}
	v.procs = map[string]*topProc{}
	for _, p := range list.Processes {
		v.procs[p.Namespec] = p
		v.clock = p.Now - time.Now().Unix()
	}
	return nil
}

// stream reads the event stream into events until ctx ends, connecting
// again (resuming from the last id) when it breaks.
func (v *topView) stream(ctx context.Context, events chan<- sseEvent, state chan<- bool) {
	last := ""
	for ctx.Err() == nil {
		hdr := http.Header{}
		if last != "" {
			hdr.Set("Last-Event-ID", last)
		}
		resp, err := v.c.api(ctx, "GET", "events?types=process,health,stats,group,supervisor", nil, hdr)
		if err == nil && resp.StatusCode == http.StatusOK {
			state <- true
			rd := bufio.NewReader(resp.Body)
			var ev sseEvent
			for {
				line, err := rd.ReadBytes('\n')
				if err != nil {
					break
				}
				line = bytes.TrimRight(line, "\r\n")
				switch {
				case len(line) == 0:
					if ev.name != "" {
						if ev.id != "" {
							last = ev.id
						}
						select {
						case events <- ev:
						case <-ctx.Done():
						}
					}
					ev = sseEvent{}
				case bytes.HasPrefix(line, []byte("id: ")):
					ev.id = string(line[4:])
				case bytes.HasPrefix(line, []byte("event: ")):
					ev.name = string(line[7:])
				case bytes.HasPrefix(line, []byte("data: ")):
					ev.data = append(ev.data, line[6:]...)
				}
			}
			resp.Body.Close()
		} else if resp != nil {
			resp.Body.Close()
		}
		select {
		case state <- false:
		case <-ctx.Done():
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

type keyEvent struct {
	key string // "up", "down", "pgup", "pgdn", "home", "end", "esc", "enter", "backspace", "ctrl-c" or the character
}

// keys reads the keyboard; arrows and the like come as escape sequences,
// each read at once.
func (v *topView) keys(out chan<- keyEvent) {
	buf := make([]byte, 64)
	for {
		n, err := v.term.in.Read(buf)
		if err != nil {
			close(out)
			return
		}
		for _, k := range parseKeys(buf[:n]) {
			out <- keyEvent{k}
		}
	}
}

// parseKeys splits what one read gave into keys.
func parseKeys(b []byte) []string {
	seqs := map[string]string{
		"\x1b[A": "up", "\x1b[B": "down", "\x1bOA": "up", "\x1bOB": "down",
		"\x1b[5~": "pgup", "\x1b[6~": "pgdn", "\x1b[H": "home", "\x1b[F": "end",
		"\x1b[1~": "home", "\x1b[4~": "end", "\x1bOH": "home", "\x1bOF": "end",
	}
	var keys []string
	for len(b) > 0 {
		if b[0] == 0x1b {
			if len(b) == 1 {
				keys = append(keys, "esc")
				break
			}
			found := false
			for seq, name := range seqs {
				if bytes.HasPrefix(b, []byte(seq)) {
					keys = append(keys, name)
					b = b[len(seq):]
					found = true
					break
				}
			}
			if !found { // an unknown sequence: skip it whole
				i := 1
				if i < len(b) && (b[i] == '[' || b[i] == 'O') {
					i++
					for i < len(b) && (b[i] < 0x40 || b[i] > 0x7e) {
						i++
					}
					i++
				}
				b = b[min(i, len(b)):]
			}
			continue
		}
		switch c := b[0]; c {
		case 3:
			keys = append(keys, "ctrl-c")
		case '\r', '\n':
			keys = append(keys, "enter")
		case 0x7f, 8:
			keys = append(keys, "backspace")
		default:
			if c >= 0x20 && c < 0x7f {
				keys = append(keys, string(c))
			}
		}
		b = b[1:]
	}
	return keys
}

func (v *topView) run(ctx context.Context) {
	events := make(chan sseEvent, 256)
	state := make(chan bool)
	go v.stream(ctx, events, state)
	keys := make(chan keyEvent, 64)
	go v.keys(keys)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	// A signal that would end the process ends top instead, so the
	// terminal is restored.
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(quit)
	results := make(chan string, 16)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()

	v.draw()
	for {
		select {
		case <-ctx.Done():
			return
		case <-quit:
			return
		case ok := <-state:
			v.live = ok
		case ev := <-events:
			v.apply(ctx, ev)
			// Take what else waits, then draw once.
			for more := true; more; {
				select {
				case ev = <-events:
					v.apply(ctx, ev)
				default:
					more = false
				}
			}
		case k, ok := <-keys:
			if !ok || !v.key(ctx, k.key, results) {
				return
			}
		case m := <-results:
			v.message = m
		case <-winch:
		case <-tick.C:
		}
		v.draw()
	}
}

func (v *topView) apply(ctx context.Context, ev sseEvent) {
	switch ev.name {
	case "process", "health":
		var p topProc
		if json.Unmarshal(ev.data, &p) == nil && p.Namespec != "" {
			v.procs[p.Namespec] = &p
			v.clock = p.Now - time.Now().Unix()
		}
	case "stats":
		var st struct {
			Processes []topStats `json:"processes"`
		}
		if json.Unmarshal(ev.data, &st) == nil {
			for _, s := range st.Processes {
				if p := v.procs[s.Namespec]; p != nil {
					p.Restarts, p.CPUPercent, p.MemoryBytes = s.Restarts, s.CPUPercent, s.MemoryBytes
				}
			}
		}
	case "hello", "reset", "group":
		if err := v.load(ctx); err != nil {
			v.message = err.Error()
		}
	case "supervisor":
		var s struct{ Change string }
		json.Unmarshal(ev.data, &s)
		if s.Change == "stopping" {
			v.message = "supervisord is stopping"
		} else if err := v.load(ctx); err != nil {
			v.message = err.Error()
		}
	}
}

// shown is the processes the filters let through, in the chosen order.
func (v *topView) shown() []*topProc {
	now := time.Now().Unix() + v.clock
	var out []*topProc
	needle := strings.ToLower(v.filter)
	for _, p := range v.procs {
		if needle != "" && !strings.Contains(strings.ToLower(p.Namespec), needle) {
			continue
		}
		switch stateFilters[v.stateFilt] {
		case "running":
			if p.State != "RUNNING" {
				continue
			}
		case "not running":
			if p.State == "RUNNING" {
				continue
			}
		case "problems":
			if p.State != "FATAL" && p.State != "BACKOFF" && p.State != "UNKNOWN" &&
				!(p.Health != nil && *p.Health == "unhealthy") {
				continue
			}
		}
		out = append(out, p)
	}
	less := topColumns[v.sortCol].less
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if v.invert {
			a, b = b, a
		}
		if less(a, b, now) != less(b, a, now) {
			return less(a, b, now)
		}
		return out[i].Namespec < out[j].Namespec
	})
	return out
}

// key handles one key; false ends top.
func (v *topView) key(ctx context.Context, k string, results chan<- string) bool {
	if v.editing {
		switch k {
		case "enter":
			v.editing = false
		case "esc":
			v.editing, v.filter = false, ""
		case "backspace":
			if r := []rune(v.filter); len(r) > 0 {
				v.filter = string(r[:len(r)-1])
			}
		case "ctrl-c":
			return false
		default:
			if len(k) == 1 {
				v.filter += k
			}
		}
		return true
	}
	list := v.shown()
	at := 0
	for i, p := range list {
		if p.Namespec == v.cursor {
			at = i
		}
	}
	_, rows := v.term.size()
	page := max(rows-4, 1)
	move := func(to int) {
		if len(list) > 0 {
			v.cursor = list[max(0, min(to, len(list)-1))].Namespec
		}
	}
	switch k {
	case "q", "ctrl-c":
		return false
	case "up", "k":
		move(at - 1)
	case "down", "j":
		move(at + 1)
	case "pgup":
		move(at - page)
	case "pgdn":
		move(at + page)
	case "home", "g":
		move(0)
	case "end", "G":
		move(len(list) - 1)
	case ">":
		v.sortCol = (v.sortCol + 1) % len(topColumns)
	case "<":
		v.sortCol = (v.sortCol + len(topColumns) - 1) % len(topColumns)
	case "i":
		v.invert = !v.invert
	case "/":
		v.editing = true
	case "esc":
		v.filter = ""
	case "f":
		v.stateFilt = (v.stateFilt + 1) % len(stateFilters)
	case "s", "t", "r", "S", "T", "R":
		if len(list) == 0 {
			return true
		}
		p := list[at]
		verb := map[string]string{"s": "start", "t": "stop", "r": "restart"}[strings.ToLower(k)]
		path, what := "processes/"+url.PathEscape(p.Namespec)+"/"+verb, p.Namespec
		if k == strings.ToUpper(k) {
			path, what = "groups/"+url.PathEscape(p.Group)+"/"+verb, "group "+p.Group
		}
		v.message = verb + " " + what + "…"
		go func() {
			resp, err := v.c.api(ctx, "POST", path, map[string]any{}, nil)
			msg := what + ": " + map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}[verb]
			if err != nil {
				msg = what + ": ERROR (" + connectError(err) + ")"
			} else {
				if resp.StatusCode != http.StatusOK {
					msg = what + ": ERROR (" + apiError(resp).Error() + ")"
				}
				resp.Body.Close()
			}
			select {
			case results <- msg:
			case <-ctx.Done():
			}
		}()
	}
	return true
}

// Colours of the states, as the web UI's.
func stateColor(st string) string {
	switch st {
	case "RUNNING":
		return "\x1b[32m"
	case "FATAL", "BACKOFF", "UNKNOWN":
		return "\x1b[31m"
	case "STARTING", "STOPPING":
		return "\x1b[33m"
	}
	return "\x1b[2m"
}

func shortDuration(s int64) string {
	switch {
	case s <= 0:
		return ""
	case s >= 86400:
		return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

// humanBytes is a memory figure of the API ("-" when it has none).
func humanBytes(p *int64) string {
	if p == nil {
		return "-"
	}
	return humanSize(*p)
}

// humanSize is a byte count as top and stats show it: in the largest
// binary unit below 1024 of it, with one decimal ("512B", "3.0M",
// "1.5G"): at most 7 columns.
func humanSize(b int64) string {
	n := float64(b)
	units := []string{"B", "K", "M", "G", "T"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(b, 10) + "B"
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + units[i]
}

// width is how many columns s takes. Rune by rune, with the width table
// the line editor already links in (runewidth's grapheme-aware functions
// would add 130 KB of tables to the binary).
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runewidth.RuneWidth(r)
	}
	return n
}

// cell fits s in w columns, left or right aligned.
func cell(s string, w int, right bool) string {
	if width(s) > w {
		var b strings.Builder
		used := 0
		for _, r := range s {
			rw := runewidth.RuneWidth(r)
			if used+rw > w-1 {
				break
			}
			b.WriteRune(r)
			used += rw
		}
		b.WriteString("…")
		s = b.String()
	}
	pad := strings.Repeat(" ", max(w-width(s), 0))
	if right {
		return pad + s
	}
	return s + pad
}

// draw paints the whole screen in one write: a header, the column titles,
// the rows that fit, a status line.
func (v *topView) draw() {
	cols, rows := v.term.size()
	now := time.Now().Unix() + v.clock
	list := v.shown()
	at := 0
	for i, p := range list {
		if p.Namespec == v.cursor {
			at = i
		}
	}
	if len(list) > 0 {
		v.cursor = list[at].Namespec
	}
	body := max(rows-3, 1)
	if at < v.offset {
		v.offset = at
	}
	if at >= v.offset+body {
		v.offset = at - body + 1
	}
	v.offset = max(0, min(v.offset, len(list)-body))

	counts := map[string]int{}
	for _, p := range v.procs {
		counts[p.State]++
	}
	var states []string
	for _, st := range []string{"RUNNING", "STARTING", "BACKOFF", "STOPPING", "STOPPED", "EXITED", "FATAL", "UNKNOWN"} {
		if counts[st] > 0 {
			states = append(states, fmt.Sprintf("%d %s", counts[st], strings.ToLower(st)))
		}
	}
	link := "live"
	if !v.live {
		link = "connecting"
	}
	var b bytes.Buffer
	b.WriteString("\x1b[H")
	line := func(s string) {
		b.WriteString(s)
		b.WriteString("\x1b[K\r\n")
	}
	head := fmt.Sprintf("super top  %s  %d processes: %s  [%s]", v.c.opts.ServerURL, len(v.procs), strings.Join(states, ", "), link)
	line("\x1b[1m" + cell(head, cols, false) + "\x1b[0m")

	// Columns: the name takes what the fixed ones leave; the description
	// only when there is room.
	fixed := []struct {
		title string
		w     int
		right bool
	}{{"STATE", 9, false}, {"UPTIME", 7, true}, {"CPU", 6, true}, {"MEM", 7, true}, {"HEALTH", 9, false}, {"RESTARTS", 8, true}}
	used := 0
	for _, f := range fixed {
		used += f.w + 1
	}
	longest := 7 // "PROCESS"
	for _, p := range v.procs {
		longest = max(longest, width(p.Namespec))
	}
	longest = min(longest+1, 40)
	nameW, descW := max(cols-used, 8), 0
	if nameW >= longest+20 {
		nameW, descW = longest, nameW-longest
	}
	title := func(t string) string {
		if t == topColumns[v.sortCol].name || (t == "PROCESS" && v.sortCol == 0) {
			if v.invert {
				return t + "^"
			}
			return t + "v"
		}
		return t
	}
	hdr := cell(title("PROCESS"), nameW, false)
	for _, f := range fixed {
		hdr += " " + cell(title(f.title), f.w, f.right)
	}
	if descW > 0 {
		hdr += " " + cell("DESCRIPTION", descW-1, false)
	}
	line("\x1b[7m" + cell(hdr, cols, false) + "\x1b[0m")

	for i := v.offset; i < v.offset+body; i++ {
		if i >= len(list) {
			line("")
			continue
		}
		p := list[i]
		health := ""
		if p.Health != nil && p.State == "RUNNING" {
			health = *p.Health
		}
		cpu := "-"
		if p.CPUPercent != nil {
			cpu = strconv.FormatFloat(*p.CPUPercent, 'f', 1, 64)
		}
		desc := p.Description
		if p.State == "RUNNING" {
			desc = "pid " + strconv.Itoa(p.Pid)
		}
		if p.NotifyStatus != nil && *p.NotifyStatus != "" {
			desc += ", status: " + *p.NotifyStatus
		}
		rowText := cell(p.Namespec, nameW, false) + " " +
			stateColor(p.State) + cell(p.State, fixed[0].w, false) + "\x1b[39;22m" + " " +
			cell(shortDuration(uptime(p, now)), fixed[1].w, true) + " " +
			cell(cpu, fixed[2].w, true) + " " +
			cell(humanBytes(p.MemoryBytes), fixed[3].w, true) + " " +
			cell(health, fixed[4].w, false) + " " +
			cell(strconv.Itoa(p.Restarts), fixed[5].w, true)
		if descW > 0 {
			rowText += " " + cell(desc, descW-1, false)
		}
		if i == at {
			line("\x1b[7m" + rowText + "\x1b[0m")
		} else {
			line(rowText)
		}
	}
	status := v.message
	if v.editing {
		status = "filter: " + v.filter + "█"
	} else if status == "" {
		status = "q quit  ↑↓ select  s/t/r start/stop/restart  S/T/R group  </> sort  i invert  / filter  f " +
			"states(" + cmpOr(stateFilters[v.stateFilt], "all") + ")"
	}
	if v.filter != "" && !v.editing {
		status = "[filter " + v.filter + "] " + status
	}
	b.WriteString(cell(status, cols, false))
	b.WriteString("\x1b[K\x1b[J")
	v.term.out.Write(b.Bytes())
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
