package daemon

import "testing"

// While busy the collector has room for about burstHeadroom of garbage:
// a small heap gets the largest percent, a large one the quiet target,
// never less.
func TestBurstPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, burstMaxPercent},
		{1 << 20, burstMaxPercent},
		{4 << 20, 100},
		{8 << 20, 50},
		{16 << 20, daemonGCPercent},
		{200 << 20, daemonGCPercent},
	} {
		if got := burstPercent(c.live); got != c.want {
			t.Errorf("burstPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
