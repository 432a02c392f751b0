package process

import (
	"bytes"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The spawner thread: every child is forked from one OS thread of the
// daemon whose descriptor table is its own and stays small.
//
// A fork copies the forking thread's descriptor table and the exec closes
// every close-on-exec descriptor of that copy, so forking from the daemon's
// own table, which holds three pipe ends per running program, costs time
// in proportion to the programs already running: 5,000 programs took
// eleven times as long to start as 1,000, and `do_close_on_exec` and
// `dup_fd` led the kernel profile. A thread can have a table of its own
// (unshare(CLONE_FILES)); the spawner thread makes one, closes in it
// everything but the Go runtime's own poller descriptors, and then only
// ever holds the few descriptors of the child it is forking. The daemon
// makes the pipes as before and passes the child's ends to the thread over
// a socket pair (SCM_RIGHTS: they appear in the thread's table), the
// thread forks with them and closes its copies.
//
// The children are the daemon's own, exactly as before: a thread's child
// belongs to its process (getppid is the daemon's pid, the reaper's
// wait4(-1) collects it, syscall.ForkExec still reaps a child that failed
// before exec itself), the umask and credentials are the process's, and
// the fork still runs in a function of the spawn (cgroup placement, the
// rlimit and watchdog trampolines, the retry of a failed step) — only on
// this thread.
//
// Measured (a model: N `sleep`s, three pipes per child kept open by the
// parent, 2 cores under load 20, CPU time of parent and children): 5,000
// children forked from the big table cost 5.1 s of CPU, from the spawner
// thread 2.3 s, a bare loop holding no descriptors 2.1 s; a helper process
// (the same, with CLONE_PARENT) 2.4 s, but it would need a second process,
// its own copy of every spawn setting, and would lose the pid of a child
// that failed before exec.
//
// The thread never runs other goroutines: it is locked to the spawner's
// goroutine for good, and the runtime neither schedules other goroutines
// on a locked thread nor clones new threads from one (it asks its template
// thread instead), so the private table never leaks to other code. What
// the runtime itself may do on any thread — poll its netpoller when a
// collection starts there, wake it — uses the epoll and eventfd
// descriptors, which are kept at their numbers (the poller is made ready
// before the thread copies the table).

// spawnerThread is the one spawner; nil when it could not be had (then
// forks happen on the calling thread, as before).
var spawnerThread struct {
	once sync.Once
	s    *spawner
}

type spawner struct {
	mu   sync.Mutex // orders the descriptors on the socket with the jobs on the channel
	send int        // the daemon's end of the socket pair
	recv int        // the spawner thread's end
	jobs chan *spawnJob
}

// spawnJob is one fork to run on the spawner thread.
type spawnJob struct {
	fds  []int             // descriptors of the daemon's table the fork needs
	fork func(local []int) // runs with their numbers in the thread's table
	ran  bool              // false: the descriptors did not arrive; the caller forks
	done chan struct{}
}

// onSpawnerThread runs fork on the spawner thread with fds, descriptors of
// the daemon's table, present in the thread's table: fork gets their
// numbers there, in the same order, and they are closed after it returns.
// Without a spawner thread fork runs here with fds themselves. It returns
// once fork has returned.
func onSpawnerThread(fds []int, fork func(local []int)) {
	inheritedOnce.Do(closeInheritedOnExec)
	if !spawnerPays() {
		fork(fds)
		return
	}
	s := theSpawner()
	if s == nil {
		fork(fds)
		return
	}
	j := &spawnJob{fds: fds, fork: fork, done: make(chan struct{})}
	s.mu.Lock()
	err := syscall.Sendmsg(s.send, []byte{0}, rights(fds), nil, 0)
	if err == nil {
		s.jobs <- j
	}
	s.mu.Unlock()
	if err == nil {
		<-j.done
		if j.ran {
			return
		}
	}
	fork(fds)
}

// Descriptors the daemon inherited without close-on-exec (from the shell
// or service manager that started it) would pass to every child forked on
// a thread of the daemon's table. 4.2 closes descriptors 3 to minfds in
// each child; here they are made close-on-exec once, before the first
// fork: the daemon keeps them, children (forked here or on the spawner
// thread, whose table never had them) get only 0, 1 and 2.
var inheritedOnce sync.Once

func closeInheritedOnExec() {
	if unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	// Before Linux 5.11: one by one.
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
				unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
			}
		}
	}
}

// spawnerFrom is how many children's output pipes the daemon must hold
// before forks go to the spawner thread. Below it, the descriptor table a
// fork copies is small, and forking on the calling thread spares the two
// hand-offs between threads (the socket to the spawner, the wake-up of the
// caller): on a loaded machine each waits for a CPU. Tests set it to 0 to
// send every fork to the spawner.
var spawnerFrom = 128

// spawnerPays reports whether the next fork should go to the spawner
// thread: the daemon holds enough descriptors for their copy to cost more
// than the hand-offs.
func spawnerPays() bool {
	return outputs.count() >= spawnerFrom
}

func rights(fds []int) []byte {
	if len(fds) == 0 {
		return nil
	}
	return syscall.UnixRights(fds...)
}

func theSpawner() *spawner {
	spawnerThread.once.Do(func() {
		spawnerThread.s = startSpawner(func(run func()) { go run() })
	})
	return spawnerThread.s
}

// startSpawner makes the socket pair and has launch run the spawner's
// goroutine (tests run it on the thread group leader).
func startSpawner(launch func(run func())) *spawner {
	// The runtime's poller must exist before the thread copies the table
	// (see above); making a pollable pipe makes it.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	} else {
		return nil
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	s := &spawner{send: pair[0], recv: pair[1], jobs: make(chan *spawnJob, 64)}
	ready := make(chan bool, 1)
	launch(func() { s.run(ready) })
	if !<-ready {
		syscall.Close(pair[0])
		syscall.Close(pair[1])
		return nil
	}
	// The thread has its own copy of recv now; the daemon's is not needed.
	syscall.Close(pair[1])
	return s
}

// run makes the calling goroutine the spawner thread's. It never returns
// once ready, unless it had to move off the thread group leader (below):
// the goroutine stays locked to the thread, so the thread ends with it and
// no other code ever runs on the private table.
func (s *spawner) run(ready chan<- bool) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The thread group leader's table is the one /proc/<pid>/fd and
		// /proc/self/fd show: lsof, descriptor counts, and the daemon's
		// own linkat of a backup through /proc/self/fd/N (core/logging)
		// read it. Given to the spawner, it would hold three descriptors.
		// Another goroutine takes the job; it cannot get this thread,
		// locked to us until it has locked its own.
		moved := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(moved)
			s.serve(ready)
		}()
		<-moved
		runtime.UnlockOSThread()
		return
	}
	s.serve(ready)
}

// serve is run on a thread that is not the leader, locked to it.
func (s *spawner) serve(ready chan<- bool) {
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		ready <- false
		return // still locked: the runtime ends the thread
	}
	if !closeForeign(s.recv) {
		ready <- false
		return
	}
	ready <- true
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(8*4))
	for j := range s.jobs {
		local, ok := receive(s.recv, buf, oob, len(j.fds))
		if ok {
			j.fork(local)
			j.ran = true
		}
		for _, fd := range local {
			syscall.Close(fd)
		}
		close(j.done)
	}
}

// receive reads one message of want descriptors from the socket.
func receive(sock int, buf, oob []byte, want int) ([]int, bool) {
	if want > 8 {
		oob = make([]byte, syscall.CmsgSpace(want*4))
	}
	for {
		_, oobn, _, _, err := syscall.Recvmsg(sock, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		var fds []int
		if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for i := range msgs {
				if got, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
					fds = append(fds, got...)
				}
			}
		}
		if len(fds) != want {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			return nil, false
		}
		return fds, true
	}
}

// closeForeign closes, in the calling thread's (private) table, every
// descriptor but keep and the runtime's poller ones (epoll, eventfd). It
// reports whether the table could be read.
func closeForeign(keep int) bool {
	// /proc/thread-self is this thread's (Linux 3.17); /proc/self would
	// be the thread group leader's, whose table is the daemon's.
	path := "/proc/thread-self/fd"
	dir, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		path = "/proc/self/task/" + strconv.Itoa(syscall.Gettid()) + "/fd"
		if dir, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0); err != nil {
			return false
		}
	}
	var fds []int
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dir, buf)
		if err != nil {
			syscall.Close(dir)
			return false
		}
		if n == 0 {
			break
		}
		_, _, names := syscall.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd != dir && fd != keep {
				fds = append(fds, fd)
			}
		}
	}
	syscall.Close(dir)
	link := make([]byte, 64)
	for _, fd := range fds {
		n, err := syscall.Readlink(path+"/"+strconv.Itoa(fd), link)
		if err == nil && runtimeFD(link[:n]) {
			continue
		}
		syscall.Close(fd)
	}
	return true
}

// runtimeFD tells the Go runtime's poller descriptors by their link.
func runtimeFD(link []byte) bool {
	return bytes.Equal(link, []byte("anon_inode:[eventpoll]")) || bytes.Equal(link, []byte("anon_inode:[eventfd]"))
}

// filesOnSpawner lists the descriptors of files (a ProcAttr's Files, -1 for
// none) once each, and returns with them a function that maps files to
// the numbers the spawner thread got for them.
func filesOnSpawner(files []uintptr) (fds []int, remap func(local []int, fd int) int) {
	for _, f := range files {
		if fd := int(f); fd >= 0 && !slices.Contains(fds, fd) {
			fds = append(fds, fd)
		}
	}
	return fds, func(local []int, fd int) int {
		if i := slices.Index(fds, fd); i >= 0 {
			return local[i]
		}
		return fd
	}
}

// localAttr is attr with its descriptors (Files, the cgroup's) replaced by
// their numbers in the spawner thread's table.
func localAttr(attr *syscall.ProcAttr, local []int, remap func(local []int, fd int) int) *syscall.ProcAttr {
	a := *attr
	a.Files = make([]uintptr, len(attr.Files))
	for i, f := range attr.Files {
		if int(f) >= 0 {
			a.Files[i] = uintptr(remap(local, int(f)))
		} else {
			a.Files[i] = f
		}
	}
	if attr.Sys != nil {
		sys := *attr.Sys
		if sys.UseCgroupFD {
			sys.CgroupFD = remap(local, sys.CgroupFD)
		}
		a.Sys = &sys
	}
	return &a
}

// spawnFDs is filesOnSpawner for attr, its cgroup descriptor included.
func spawnFDs(attr *syscall.ProcAttr) (fds []int, remap func(local []int, fd int) int) {
	files := attr.Files
	if attr.Sys != nil && attr.Sys.UseCgroupFD {
		files = append(files[:len(files):len(files)], uintptr(attr.Sys.CgroupFD))
	}
	return filesOnSpawner(files)
}
