package daemon

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// The collector's target: small while the daemon is quiet, roomier while
// it works.
//
// A quiet daemon's live heap is small (well under a MiB per hundred
// programs) and grows only with the configuration, while the default
// GOGC=100 lets the heap reach at least 4 MiB before a collection: most
// of its memory would be garbage waiting for the next cycle. So it runs
// at daemonGCPercent.
//
// While it works (spawning, answering a client that polls) that target
// meant a collection every ~190 getAllProcessInfo calls at 100 programs
// (each call's HTTP request leaves ~4 KB), every 40 ms under the bench's
// load; a collection takes a few ms of wall time on 2 busy cores, and the
// calls that met one made the latency's tail: p99 4-6 times p50 with one
// client, 1.7-1.9 times with the collector off or at GOGC=200. So while
// busy the target leaves room for about burstHeadroom of garbage (4 MiB:
// 8 MiB held a crash-looping daemon, always busy, 4 MiB higher — 50
// programs restarting 490 times a second: 20.0 against 16.1 MiB, and 0.9
// against 0.2-0.7 MiB of growth in 30 s — for a single client's p99/p50
// of 1.6-2.1 against 1.9-2.3, within the noise of two runs each), and
// when the daemon goes quiet it returns to daemonGCPercent and the
// releaser hands the free heap back (core/supervisor, Deps.Quiet), so
// the memory of a settled daemon is what it was.
//
// GOGC in the environment wins over both.
const (
	daemonGCPercent = 40
	burstHeadroom   = 4 << 20
	burstMaxPercent = 100 // 4 MiB of room with the runtime's 4 MiB minimum heap
)

var gcTuned = os.Getenv("GOGC") == ""

// tuneGC sets the target of a quiet daemon: at its start, and again when
// it goes quiet after a burst (Deps.Quiet).
func tuneGC() {
	if gcTuned {
		debug.SetGCPercent(daemonGCPercent)
	}
}

// gcBusy sets the target for a burst of work from the live heap.
func gcBusy() {
	if !gcTuned {
		return
	}
	s := [1]metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s[:])
	var live uint64
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = s[0].Value.Uint64()
	}
	debug.SetGCPercent(burstPercent(live))
}

// burstPercent is the GC percent leaving about burstHeadroom above a live
// heap of live bytes, never below the quiet target nor above
// burstMaxPercent.
func burstPercent(live uint64) int {
	if live == 0 {
		return burstMaxPercent
	}
	return int(min(max(burstHeadroom*100/live, daemonGCPercent), burstMaxPercent))
}
