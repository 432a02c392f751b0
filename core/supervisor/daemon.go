package supervisor

import (
	"errors"
	"fmt"

	"os"
	"os/user"
	"strconv"
	"syscall"

	"super/core/process"
)

// Life-cycle helpers the supervisord applet calls around Run, in 4.2's
// order: DropPrivileges (user=), SetRlimits (minfds/minprocs), make the
// logger, clear AUTO child logs (core/logging.ClearAutoChildLogDir unless
// nocleanup), Daemonize (unless nodaemon), WritePidfile, Run, RemovePidfile.

// WritePidfile writes the daemon's pid to path and logs "supervisord
// started with pid N"; on failure it logs 4.2's "could not write pidfile"
// (critical) and returns the error. Call it after Daemonize.
func WritePidfile(path string, log Logger) error {
	pid := os.Getpid()
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		log.Critical("could not write pidfile %s", path)
		return err
	}
	log.Info("supervisord started with pid %d", pid)
	return nil
}

// RemovePidfile removes the pidfile at exit, ignoring errors as 4.2 does.
func RemovePidfile(path string) { os.Remove(path) }

// SetRlimits raises RLIMIT_NOFILE to minfds and RLIMIT_NPROC to minprocs
// when the soft limits are lower (4.2's set_rlimits_or_exit). It returns
// 4.2's info messages ("Increased RLIMIT_NOFILE limit to 1024") to log once
// the logger exists, or an error whose text is 4.2's usage message; the
// applet prints it and exits 2.
func SetRlimits(minfds, minprocs int) (infos []string, err error) {
	limits := []struct {
		min  int
		res  int
		name string
		msg  string
	}{
		{minfds, syscall.RLIMIT_NOFILE, "RLIMIT_NOFILE",
			"The minimum number of file descriptors required to run this process is %d as per the \"minfds\" " +
				"command-line argument or config file setting. The current environment will only allow you to " +
				"open %d file descriptors.  Either raise the number of usable file descriptors in your " +
				"environment (see README.rst) or lower the minfds setting in the config file to allow the " +
				"process to start."},
		{minprocs, 6 /* RLIMIT_NPROC */, "RLIMIT_NPROC",
			"The minimum number of available processes required to run this program is %d as per the " +
				"\"minprocs\" command-line argument or config file setting. The current environment will only " +
				"allow you to open %d processes.  Either raise the number of usable processes in your " +
				"environment (see README.rst) or lower the minprocs setting in the config file to allow the " +
				"program to start."},
	}
	const infinity = ^uint64(0)
	for _, l := range limits {
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(l.res, &rl); err != nil {
			continue
		}
		min := uint64(l.min)
		if rl.Cur == infinity || rl.Cur >= min {
			continue
		}
		hard := rl.Max
		if hard != infinity && hard < min {
			hard = min // only root can raise it; otherwise setrlimit fails
		}
		if err := syscall.Setrlimit(l.res, &syscall.Rlimit{Cur: min, Max: hard}); err != nil {
			return infos, errors.New(fmt.Sprintf(l.msg, l.min, int64(hard)))
		}
		infos = append(infos, fmt.Sprintf("Increased %s limit to %d", l.name, l.min))
	}
	return infos, nil
}

// DropPrivileges switches the daemon to user (a name or a uid), with the
// user's primary and supplementary groups (4.2's drop_privileges). The
// error texts are 4.2's: "Can't find username 'x'", "Can't find uid 5",
// "Can't drop privilege as nonroot user", "Could not set groups of
// effective user", "Could not set group id of effective user". Staying the
// same user is a no-op.
func DropPrivileges(name string) error {
	var u *user.User
	var err error
	if _, nerr := strconv.Atoi(name); nerr == nil {
		if u, err = user.LookupId(name); err != nil {
			return fmt.Errorf("Can't find uid %s", name)
		}
	} else if u, err = user.Lookup(name); err != nil {
		return fmt.Errorf("Can't find username %s", process.PyRepr(name))
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Getuid() == uid {
		return nil
	}
	if os.Getuid() != 0 {
		return errors.New("Can't drop privilege as nonroot user")
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil && g != gid {
				groups = append(groups, g)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return errors.New("Could not set groups of effective user")
	}
	if err := syscall.Setgid(gid); err != nil {
		return errors.New("Could not set group id of effective user")
	}
	return syscall.Setuid(uid)
}

// daemonEnv marks the re-executed daemon child.
const daemonEnv = "SUPER_DAEMONIZED"

// Daemonize detaches the daemon as 4.2's daemonize does, the Go way: it
// re-executes the running binary with the same arguments in a new session
// (setsid), standard streams on /dev/null, in directory (if not "") and
// with umask, and returns isParent=true in the original process, which
// should exit 0 at once. In the re-executed child it returns false and the
// applet carries on (loading the config again, which is cheap) and runs
// the supervisor.
func Daemonize(directory string, umask int) (isParent bool, err error) {
	if os.Getenv(daemonEnv) == "1" {
		os.Unsetenv(daemonEnv)
		return false, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false, err
	}
	defer null.Close()
	dir := directory
	if dir == "" {
		dir, _ = os.Getwd()
	}
	if umask >= 0 {
		old := syscall.Umask(umask)
		defer syscall.Umask(old)
	}
	argv := append([]string{os.Args[0]}, os.Args[1:]...)
	pid, err := syscall.ForkExec(exe, argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   append(os.Environ(), daemonEnv+"=1"),
		Files: []uintptr{null.Fd(), null.Fd(), null.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return false, fmt.Errorf("can't daemonize: %w", err)
	}
	_ = pid
	return true, nil
}
