package rpc

import (
	"context"
	"errors"

	"super/core/logging"
	"super/core/supervisor"
	"super/core/xmlrpc"
)

// super.rotateLogs(name): rotate log files now (issue 26). name is a
// process ("name", "group:name"), a group ("group:*"), or "all": every
// process and the activity log. The answer is 4.2's array of status
// structs, one per process; with "all", the activity log's last, named
// "supervisord" with group "".

// MainLogName is the name of the activity log's entry in RotateLogs's
// results.
const MainLogName = "supervisord"

func (a *API) rotateLogs(_ context.Context, p []xmlrpc.Value) (xmlrpc.Value, error) {
	name, err := specArg(p[0])
	if err != nil {
		return nil, err
	}
	spec, all := name, name == "all"
	if all {
		spec = ""
	}
	res, err := a.RotateLogs(spec, all)
	if err != nil {
		return nil, renameBadName(err, name)
	}
	return results(res), nil
}

// RotateLogs rotates the log files of the processes spec names ("" =
// every process; see supervisor.RotateLogs) and, with mainLog, the
// activity log's: the outcome for each, the activity log's last.
func (a *API) RotateLogs(spec string, mainLog bool) ([]supervisor.Result, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	res, err := a.opts.Engine.RotateLogs(spec)
	if err != nil {
		return nil, err
	}
	if mainLog {
		r := supervisor.Result{Name: MainLogName, Status: supervisor.Success, Description: "OK"}
		switch err := a.opts.Logger.Rotate(); {
		case errors.Is(err, logging.ErrNoLogFile), errors.Is(err, logging.ErrNotRotatable):
			r.Status, r.Description = supervisor.NoFile, "no log file to rotate"
		case err != nil:
			r.Status, r.Description = supervisor.Failed, err.Error()
		}
		res = append(res, r)
	}
	return res, nil
}
