package usage

import "super/core/procstat"

// procStat and parseStat are the shape usage_test.go's TestParseStat reads
// /proc/<pid>/stat in; the parser itself is core/procstat's (tested and
// fuzzed there).
type procStat struct{ ticks, rss int64 }

func parseStat(b []byte) (ppid int, st procStat, ok bool) {
	s, ok := procstat.Parse(b)
	return s.PPid, procStat{ticks: s.Ticks, rss: s.RSS}, ok
}
