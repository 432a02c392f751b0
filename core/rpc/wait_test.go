package rpc_test

import (
	"context"
	"testing"
	"time"

	"super/core/testbin"
	"super/core/xmlrpc"
)

// A waiting startProcess answers once the process is RUNNING (after
// startsecs) and meanwhile the daemon keeps answering other clients.
func TestWaitDoesNotBlockOthers(t *testing.T) {
	in := testbin.Start(t, false, "[program:slow]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=2\n")
	dial := func() *xmlrpc.Client {
		c, err := xmlrpc.NewClient(in.URL, "", "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	waiter, other := dial(), dial()
	ctx := context.Background()
	began := time.Now()
	done := make(chan error, 1)
	go func() {
		v, err := waiter.Call(ctx, "supervisor.startProcess", "slow", true)
		if err == nil && v != true {
			t.Errorf("startProcess answered %#v", v)
		}
		done <- err
	}()
	// While the start is pending, another client is served at once and
	// sees the process STARTING.
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := other.Call(ctx, "supervisor.getProcessInfo", "slow")
		if err != nil {
			t.Fatal(err)
		}
		if v.(map[string]any)["statename"] == "STARTING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow never STARTING: %v", v)
		}
	}
	if time.Since(began) < 1500*time.Millisecond {
		select {
		case err := <-done:
			t.Fatalf("startProcess with wait answered before startsecs: %v after %v", err, time.Since(began))
		default:
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < 2*time.Second {
		t.Errorf("startProcess with wait answered after %v, before startsecs=2", d)
	}
	v, err := other.Call(ctx, "supervisor.getProcessInfo", "slow")
	if err != nil || v.(map[string]any)["statename"] != "RUNNING" {
		t.Errorf("after the wait: %v, %v", v, err)
	}
}
