package logging

import (
	"os"
	"strings"
	"time"
)

// The clock of the log path: timestamps (container_logs_format=json,
// container_logs_timestamps, *_logfile_timestamps), the activity log's
// lines, and time-based rotation and maxage.
//
// TestClockEnv is a test hook, for tests only: when the daemon starts with
// SUPER_TEST_CLOCK_FILE naming a file, every reading of this clock is the
// RFC 3339 time written in that file (in the local zone, TZ included), read
// again at each reading, so a test crosses midnight or a DST change by
// rewriting the file instead of waiting. A missing or unreadable file reads
// as the real time. Nothing else in the daemon (timers, startsecs, the
// uptime of processes) follows it.
const TestClockEnv = "SUPER_TEST_CLOCK_FILE"

// now is the clock; time.Now unless the test hook is set.
var now = clockFromEnv(os.Getenv(TestClockEnv))

func clockFromEnv(path string) func() time.Time {
	if path == "" {
		return time.Now
	}
	return func() time.Time {
		b, err := os.ReadFile(path)
		if err != nil {
			return time.Now()
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
		if err != nil {
			return time.Now()
		}
		return t.In(time.Local)
	}
}

// stampLayout is the time of a line: RFC 3339 with milliseconds, in the
// local zone ("2026-11-25T10:00:00.123+01:00", "…Z" in UTC).
const stampLayout = "2006-01-02T15:04:05.000Z07:00"

// stampCache formats stampLayout for the chunks of one stream: the whole
// time once per second, only the milliseconds for the other chunks of
// that second in the same zone (a zone's offset changes on a whole
// second only). No allocation.
type stampCache struct {
	sec int64
	loc *time.Location
	ok  bool
	n   int
	buf [40]byte
}

// msAt is where the three digits of milliseconds are in the stamp:
// after "2006-01-02T15:04:05.".
const msAt = 20

// stamp returns t formatted; the slice is valid until the next call.
func (c *stampCache) stamp(t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	if !c.ok || sec != c.sec || loc != c.loc || c.n < msAt+3 || c.buf[msAt-1] != '.' {
		c.n = len(t.AppendFormat(c.buf[:0], stampLayout))
		c.sec, c.loc, c.ok = sec, loc, true
		return c.buf[:c.n]
	}
	ms := t.Nanosecond() / 1e6
	c.buf[msAt] = byte('0' + ms/100)
	c.buf[msAt+1] = byte('0' + ms/10%10)
	c.buf[msAt+2] = byte('0' + ms%10)
	return c.buf[:c.n]
}
