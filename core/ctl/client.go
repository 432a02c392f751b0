package ctl

import (
	"context"

	"super/core/xmlrpc"
)

// defaultCaller makes the client used when Options.NewCaller is nil.
func defaultCaller(serverURL, username, password string) Caller {
	c, err := xmlrpc.NewClient(serverURL, username, password)
	if err != nil {
		// 4.2 fails the same way, at the first call.
		return failingCaller{&valueError{"Unknown protocol for serverurl " + serverURL, 505,
			"/usr/lib/python3/dist-packages/supervisor/xmlrpc.py"}}
	}
	return c
}

type failingCaller struct{ err error }

func (f failingCaller) Call(context.Context, string, ...any) (any, error) { return nil, f.err }

// The real client drops the members a command does not read.
var _ keepCaller = (*xmlrpc.Client)(nil)
