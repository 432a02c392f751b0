package process

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"

	"super/core/config"
)

// A child that fails between fork and exec.
//
// 4.2 forks first and then, in the child, switches user, changes
// directory and execs; when one of those fails the child writes why to its
// stderr ("supervisor: couldn't chdir to /x: ENOENT", then "supervisor:
// child process was not spawned") and exits 127. Users see "spawned: 'x'
// with pid N", then "exited: x (exit status 127; not expected)", the state
// BACKOFF/FATAL with "Exited too quickly (process log may have details)",
// and the reason in the program's stderr log.
//
// syscall.ForkExec does the same steps in its child but reports a failure
// to the parent as a bare errno, without saying which step failed, and
// reaps that child itself, so its pid is never known. Making up a spawn
// for it would log a pid that never belonged to the program. Instead the
// spawn is retried through this package's own executable: a child of ours
// with the program's pipes and process group that does 4.2's steps itself
// (user, directory, exec) and, when one fails, writes 4.2's message and
// exits 127. That child is real: its pid is logged, the reaper collects
// its exit status and its stderr reaches the log through the usual pipe,
// so every line users see comes from a process that existed. When the
// steps succeed on the retry (the directory appeared meanwhile) it simply
// execs the program.
//
// The retry costs one exec of this binary, only after a failed spawn; the
// backoff between starts bounds how often that happens.

// childFailEnv carries the retry's instructions to the re-executed binary.
const childFailEnv = "SUPER_PROCESS_CHILD_STEPS"

// childSteps is what the re-executed binary must do, in 4.2's order.
type childSteps struct {
	File      string   `json:"file"`
	Argv      []string `json:"argv"`
	Dir       string   `json:"dir,omitempty"`
	UID       int      `json:"uid"`
	SetUID    bool     `json:"setuid,omitempty"`
	GID       int      `json:"gid"`
	Groups    []int    `json:"groups,omitempty"`
	SetuidErr string   `json:"setuid_err,omitempty"` // 4.2's drop_privileges message known in advance
	// WatchdogPID adds WATCHDOG_PID with the child's own pid (notify.go).
	WatchdogPID bool `json:"watchdog_pid,omitempty"`
	// Rlimits are set first, while the child still has the daemon's
	// privileges (rlimits.go).
	Rlimits []rlimitStep `json:"rlimits,omitempty"`
}

func init() {
	if spec, ok := os.LookupEnv(childFailEnv); ok {
		runChildSteps(spec)
	}
}

// runChildSteps runs in the re-executed binary, before anything else of
// it, and never returns.
func runChildSteps(spec string) {
	say := func(msg string) { syscall.Write(2, []byte("supervisor: "+msg+"\n")) }
	defer func() {
		// 4.2's finally clause: whatever went wrong, say so and exit 127.
		recover()
		say("child process was not spawned")
		syscall.Exit(127)
	}()
	var st childSteps
	if err := json.Unmarshal([]byte(spec), &st); err != nil || len(st.Argv) == 0 {
		say("couldn't exec: bad spawn instructions")
		return
	}
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childFailEnv+"=") && !(st.WatchdogPID && strings.HasPrefix(kv, "WATCHDOG_PID=")) {
			env = append(env, kv)
		}
	}
	for _, r := range st.Rlimits {
		lim := syscall.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := syscall.Setrlimit(r.Resource, &lim); err != nil {
			say(fmt.Sprintf("couldn't set %s to %s: %s", r.Key, rlimitValue(r.Soft, r.Hard), errnoOf(err)))
			return
		}
	}
	if st.WatchdogPID {
		env = append(env, watchdogPIDVar(os.Getpid()))
	}
	if st.SetuidErr != "" {
		say(fmt.Sprintf("couldn't setuid to %d: %s", st.UID, st.SetuidErr))
		return
	}
	if st.SetUID {
		if err := syscall.Setgroups(st.Groups); err != nil {
			say(fmt.Sprintf("couldn't setuid to %d: Could not set groups of effective user", st.UID))
			return
		}
		if err := syscall.Setgid(st.GID); err != nil {
			say(fmt.Sprintf("couldn't setuid to %d: Could not set group id of effective user", st.UID))
			return
		}
		if err := syscall.Setuid(st.UID); err != nil {
			// 4.2's os.setuid raises here; only the final line is written.
			return
		}
	}
	if st.Dir != "" {
		if err := syscall.Chdir(st.Dir); err != nil {
			say(fmt.Sprintf("couldn't chdir to %s: %s", st.Dir, errnoOf(err)))
			return
		}
	}
	err := syscall.Exec(st.File, st.Argv, env)
	say(fmt.Sprintf("couldn't exec %s: %s", st.Argv[0], errnoOf(err)))
}

// childFailed reports whether err from ForkExec is a failure of the
// child's own steps (user, directory, exec), which 4.2 reports from a
// spawned child, rather than a failure to fork at all.
func childFailed(err error) bool {
	switch {
	case err == nil,
		// Forking itself failed: 4.2 says so in the parent.
		errIs(err, syscall.EAGAIN), errIs(err, syscall.ENOMEM),
		// ForkExec's own pipe: 4.2's failure to make the child's pipes.
		errIs(err, syscall.EMFILE), errIs(err, syscall.ENFILE):
		return false
	}
	return true
}

func errIs(err error, e syscall.Errno) bool {
	x, ok := err.(syscall.Errno)
	return ok && x == e
}

// selfExe is the path that re-executes this binary.
const selfExe = "/proc/self/exe"

// retryInChild starts the child that redoes the failed steps (see above)
// with attr's files, process group and environment; setuidErr is 4.2's
// drop_privileges message when the switch is known to fail.
func retryInChild(filename string, argv []string, attr *syscall.ProcAttr, cred *syscall.Credential, uid int, setuidErr string) (int, error) {
	return forkSteps(childSteps{File: filename, Argv: argv, Dir: attr.Dir, UID: uid, SetuidErr: setuidErr}, attr, cred)
}

// forkSteps starts this binary to do st, with attr's files, process group
// and environment; cred is the user it switches to.
func forkSteps(st childSteps, attr *syscall.ProcAttr, cred *syscall.Credential) (int, error) {
	if cred != nil {
		st.SetUID = true
		st.UID, st.GID = int(cred.Uid), int(cred.Gid)
		for _, g := range cred.Groups {
			st.Groups = append(st.Groups, int(g))
		}
	}
	spec, err := json.Marshal(st)
	if err != nil {
		return 0, err
	}
	retry := *attr
	retry.Dir = ""
	retry.Env = append(attr.Env[:len(attr.Env):len(attr.Env)], childFailEnv+"="+string(spec))
	sys := *attr.Sys
	sys.Credential = nil
	retry.Sys = &sys
	return syscall.ForkExec(selfExe, st.Argv, &retry)
}

// guessChildFailure is 4.2's message for a child-side failure err when no
// child of ours could be started to find out which step failed: a user
// switch known to fail, a directory that does not exist, else exec.
func guessChildFailure(cfg *config.ProcessConfig, argv []string, uid int, setuidErr string, err error) string {
	if setuidErr != "" {
		return fmt.Sprintf("couldn't setuid to %d: %s", uid, setuidErr)
	}
	if cfg.Directory != "" {
		if st, serr := os.Stat(cfg.Directory); serr != nil {
			return fmt.Sprintf("couldn't chdir to %s: %s", cfg.Directory, errnoOf(serr))
		} else if !st.IsDir() {
			return fmt.Sprintf("couldn't chdir to %s: ENOTDIR", cfg.Directory)
		}
	}
	return fmt.Sprintf("couldn't exec %s: %s", argv[0], errnoOf(err))
}
