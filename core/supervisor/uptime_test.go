package supervisor

import "testing"

// formatUptime is Python's str(timedelta(seconds=n)), as 4.2 prints uptimes.
func TestFormatUptime(t *testing.T) {
	for _, tc := range []struct {
		secs int64
		want string
	}{
		{-5, "0:00:00"},
		{0, "0:00:00"},
		{9, "0:00:09"},
		{62, "0:01:02"},
		{3599, "0:59:59"},
		{36000 + 61, "10:01:01"},
		{86399, "23:59:59"},
		{86400, "1 day, 0:00:00"},
		{86400 + 3723, "1 day, 1:02:03"},
		{3*86400 + 45296, "3 days, 12:34:56"},
		{400 * 86400, "400 days, 0:00:00"},
	} {
		if got := formatUptime(tc.secs); got != tc.want {
			t.Errorf("formatUptime(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}
