package logging

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"super/core/config"
)

// Backups of a log file keep 4.2's numbered names: x.log.1 is the newest,
// x.log.N the oldest. With compression a backup is x.log.N.gz once
// compressed, x.log.N until then (or when a crash came first); the shift
// at each rotation moves both forms, so one number has one backup.
//
// Compression runs in the background, one backup at a time, on a
// low-priority thread, and never under a stream's lock: a program's output
// never waits for it. A job follows its backup through the shifts by
// number (every shift and every job's end is done under backupsMu), so a
// rotation during a compression moves the file the job reads and the job
// names its result after the backup's number at its end. The compressed
// file is written without a name (O_TMPFILE), synced, and linked as
// x.log.N.gz; only then is x.log.N removed. A crash at any point leaves
// the uncompressed backup (and no partial .gz); the next rotation finds it
// and compresses it.
//
// maxage: a rotation deletes the backups last written (modification
// time, which compression keeps) longer ago than the limit.

var (
	backupsMu sync.Mutex
	gzJobs    = map[string][]*gzJob{} // by log path: jobs queued or running
	gzQueue   []*gzJob
	gzRunning bool
)

// gzJob is the compression of one backup.
type gzJob struct {
	path string
	n    int  // the backup's number now
	gone bool // the backup was deleted or replaced: the job is dropped
}

// backupForms are a backup's names after x.log.N.
var backupForms = [...]string{"", ".gz"}

func numbered(path string, n int) string { return path + "." + strconv.Itoa(n) }

// shiftBackups makes room for a new x.log.1 and moves the live file there
// (4.2's doRollover, with the .gz forms): x.log.(n-1) → x.log.n …, the
// oldest dropped; then deletes backups older than maxage and queues the
// new backup (and any left uncompressed) for compression.
func shiftBackups(path string, rot rotation) error {
	backupsMu.Lock()
	defer backupsMu.Unlock()
	jobs := gzJobs[path]
	for i := rot.backups - 1; i > 0; i-- {
		src, dst := numbered(path, i), numbered(path, i+1)
		if !exists(src) && !exists(src+".gz") {
			continue // 4.2 shifts only the backups that exist
		}
		if err := removeBackup(dst, jobs, i+1); err != nil {
			return err
		}
		for _, form := range backupForms {
			if err := os.Rename(src+form, dst+form); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		for _, j := range jobs {
			if j.n == i && !j.gone {
				j.n = i + 1
			}
		}
	}
	first := numbered(path, 1)
	if err := removeBackup(first, jobs, 1); err != nil {
		return err
	}
	if err := os.Rename(path, first); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	pruneBackups(path, rot, jobs)
	if rot.compress {
		queueCompression(path, rot.backups)
	}
	return nil
}

// removeBackup deletes both forms of backup name (number n); a job
// compressing it is dropped. backupsMu is held. As 4.2, a backup is removed
// before another is renamed over it; that also matters for speed: ext4
// writes a file renamed over an existing one to disk at once (its
// replace-via-rename safeguard), in the renaming thread, for the whole
// backlog of a busy log.
func removeBackup(name string, jobs []*gzJob, n int) error {
	for _, form := range backupForms {
		if err := removeLater(name + form); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, j := range jobs {
		if j.n == n {
			j.gone = true
		}
	}
	return nil
}

// pruneBackups deletes the backups last written before now - maxAge.
// backupsMu is held.
func pruneBackups(path string, rot rotation, jobs []*gzJob) {
	if rot.maxAge <= 0 {
		return
	}
	cutoff := rot.now().Add(-rot.maxAge)
	for i := 1; i <= rot.backups; i++ {
		for _, form := range backupForms {
			name := numbered(path, i) + form
			st, err := os.Stat(name)
			if err != nil || !st.ModTime().Before(cutoff) {
				continue
			}
			if removeLater(name) == nil && form == "" {
				for _, j := range jobs {
					if j.n == i {
						j.gone = true
					}
				}
			}
		}
	}
}

// queueCompression queues every uncompressed backup of path without a job
// (the one just made, and any a crash or a stop left) and starts the
// worker. backupsMu is held.
func queueCompression(path string, backups int) {
	jobs := gzJobs[path]
next:
	for i := 1; i <= backups; i++ {
		if !exists(numbered(path, i)) {
			continue
		}
		for _, j := range jobs {
			if j.n == i && !j.gone {
				continue next
			}
		}
		j := &gzJob{path: path, n: i}
		jobs = append(jobs, j)
		gzQueue = append(gzQueue, j)
	}
	gzJobs[path] = jobs
	if len(gzQueue) > 0 && !gzRunning {
		gzRunning = true
		go compressQueued()
	}
}

// finishJob forgets j; backupsMu is held.
func finishJob(j *gzJob) {
	jobs := gzJobs[j.path]
	for i, x := range jobs {
		if x == j {
			jobs = append(jobs[:i], jobs[i+1:]...)
			break
		}
	}
	if len(jobs) == 0 {
		delete(gzJobs, j.path)
	} else {
		gzJobs[j.path] = jobs
	}
}

// compressQueued is the worker: it compresses the queued backups one after
// the other, on a thread of its own at the lowest priority (it ends with
// the goroutine, taking its priority with it), and ends when the queue is
// empty.
func compressQueued() {
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
	for {
		backupsMu.Lock()
		if len(gzQueue) == 0 {
			gzRunning = false
			gzIdle.Broadcast()
			backupsMu.Unlock()
			return
		}
		j := gzQueue[0]
		gzQueue = gzQueue[1:]
		var src *os.File
		if !j.gone {
			src, _ = os.Open(numbered(j.path, j.n)) // under the lock: the name is this backup's
		}
		if src == nil {
			finishJob(j)
			backupsMu.Unlock()
			continue
		}
		backupsMu.Unlock()

		if gzHook != nil {
			gzHook()
		}
		out, err := gzipTo(src, filepath.Dir(j.path))
		backupsMu.Lock()
		if err == nil && !j.gone {
			// A backup that cannot be put in place stays as it was,
			// uncompressed: nothing is lost.
			_ = out.place(numbered(j.path, j.n), src)
		}
		finishJob(j)
		backupsMu.Unlock()
		src.Close()
		out.discard()
	}
}

// gzHook, when set (tests), runs after a job has opened its backup and
// before it compresses it.
var gzHook func()

// gzIdle is signalled when the worker ends (tests wait for it).
var gzIdle = sync.NewCond(&backupsMu)

// waitCompressed waits until no compression is queued or running (tests).
func waitCompressed() {
	backupsMu.Lock()
	for gzRunning {
		gzIdle.Wait()
	}
	backupsMu.Unlock()
}

// gzFile is a compressed backup not placed yet: a file without a name
// (O_TMPFILE), or with a temporary one where the filesystem has no
// unnamed files.
type gzFile struct {
	f    *os.File
	temp string // "" for an unnamed file
	// What was compressed: a backup that has grown since (a stream that
	// still held it wrote on) is left uncompressed.
	size  int64
	mtime time.Time
}

// gzipTo compresses src into a new file in dir, with src's mode and
// modification time, synced to disk.
func gzipTo(src *os.File, dir string) (out gzFile, err error) {
	st, err := src.Stat()
	if err != nil {
		return out, err
	}
	out.size, out.mtime = st.Size(), st.ModTime()
	mode := uint32(st.Mode().Perm())
	if _, perr := os.Stat("/proc/self/fd"); perr == nil {
		if fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, mode); err == nil {
			out.f = os.NewFile(uintptr(fd), dir)
		}
	}
	if out.f == nil {
		if out.f, err = os.CreateTemp(dir, "."+filepath.Base(src.Name())+".gz-"); err != nil {
			return out, err
		}
		out.temp = out.f.Name()
		out.f.Chmod(st.Mode().Perm())
	}
	defer func() {
		if err != nil {
			out.discard()
		}
	}()
	bw := bufio.NewWriterSize(out.f, 64<<10)
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return out, err
	}
	zw.Name, zw.ModTime = filepath.Base(src.Name()), st.ModTime()
	if _, err = io.Copy(zw, bufio.NewReaderSize(src, 64<<10)); err != nil {
		return out, err
	}
	if err = zw.Close(); err != nil {
		return out, err
	}
	if err = bw.Flush(); err != nil {
		return out, err
	}
	mtime := unix.NsecToTimeval(st.ModTime().UnixNano())
	if err = unix.Futimes(int(out.f.Fd()), []unix.Timeval{mtime, mtime}); err != nil {
		return out, err
	}
	return out, out.f.Sync()
}

// place names the compressed file backup+".gz" and removes backup, if
// backup is still the file that was compressed. backupsMu is held.
func (o *gzFile) place(backup string, src *os.File) error {
	was, err1 := src.Stat()
	now, err2 := os.Stat(backup)
	if err1 != nil || err2 != nil || !os.SameFile(was, now) || now.Size() != o.size || !now.ModTime().Equal(o.mtime) {
		return errors.New("the backup changed while it was compressed")
	}
	dst := backup + ".gz"
	if err := removeLater(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if o.temp != "" {
		if err := os.Rename(o.temp, dst); err != nil {
			return err
		}
		o.temp = ""
	} else if err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(o.f.Fd())), unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW); err != nil {
		return err
	}
	return removeLater(backup)
}

// discard closes the file and removes its temporary name, if any.
func (o *gzFile) discard() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	if o.temp != "" {
		os.Remove(o.temp)
		o.temp = ""
	}
}

// nextRotation is when the time rule next rotates a file written at t:
// the start of the next hour or day of t's zone. An hour is found by
// taking the local minutes and seconds off t, so the hours around a DST
// change are whole hours of real time too (02:00 CEST, 02:00 CET, 03:00
// CET on the autumn night); a day ends at the next local midnight (23 or
// 25 hours on the days of a change).
func nextRotation(t time.Time, every config.RotateEvery) time.Time {
	switch every {
	case config.RotateHourly:
		into := time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
		return t.Add(-into).Add(time.Hour)
	case config.RotateDaily:
		y, m, d := t.Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, t.Location())
	}
	return time.Time{}
}
