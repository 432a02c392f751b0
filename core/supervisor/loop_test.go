package supervisor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"super/core/config"
)

// With programs restarting without pause, some transition is always due;
// the loop must still answer requests (it used to go round the due work
// without ever looking at them, starving RPC for as long as the churn
// lasted).
func TestLoopAnswersWhileProgramsFlap(t *testing.T) {
	var progs []*config.ProcessConfig
	for i := range 20 {
		progs = append(progs, prog(fmt.Sprintf("flap%d", i), "true", func(c *config.ProcessConfig) {
			c.Startsecs = 0
			c.Autorestart = config.RestartAlways
		}))
	}
	s, log := start(t, cfgOf(progs...))
	waitFor(t, "the programs to restart", 10*time.Second, func() bool {
		return log.count("INFO spawned: 'flap0'") >= 3
	})
	// A deadline far beyond one pass of the loop: without the fix the
	// request waits for the churn to end, which it never does.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 5 {
		if err := s.do(ctx, func() {}); err != nil {
			t.Fatalf("the loop did not take a request while programs flap: %v", err)
		}
	}
}
