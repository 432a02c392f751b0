package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"super/core/config"
)

// ListenError is a listener that could not be opened. Its Error() is the
// text supervisord 4.2 prints after "Error: " in that situation, so the
// daemon can report it unchanged; Section and Addr say which server and
// address it was about.
type ListenError struct {
	Section string // "unix_http_server" or "inet_http_server"
	Addr    string // socket path or host:port
	Err     error
	msg     string // 4.2's own text when it is not derived from Err
}

func (e *ListenError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		if errno == syscall.EADDRINUSE {
			return "Another program is already listening on a port that one of our HTTP servers is " +
				"configured to use.  Shut this program down first before starting supervisord."
		}
		if name, ok := errnoNames[errno]; ok {
			return fmt.Sprintf("Cannot open an HTTP server: socket.error reported errno.%s (%d)", name, int(errno))
		}
		return fmt.Sprintf("Cannot open an HTTP server: socket.error reported %d", int(errno))
	}
	return fmt.Sprintf("Cannot open an HTTP server: %v", e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

var errnoNames = map[syscall.Errno]string{
	syscall.EACCES:        "EACCES",
	syscall.EPERM:         "EPERM",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL",
	syscall.ENOENT:        "ENOENT",
	syscall.ENOTDIR:       "ENOTDIR",
	syscall.EROFS:         "EROFS",
	syscall.ENAMETOOLONG:  "ENAMETOOLONG",
	syscall.EINVAL:        "EINVAL",
	syscall.ELOOP:         "ELOOP",
	syscall.ENOSPC:        "ENOSPC",
	syscall.EAFNOSUPPORT:  "EAFNOSUPPORT",
}

// listenUnix creates the socket the way 4.2 does, so that two daemons
// never both believe they own it: bind a private name (file.PID), chmod
// it, then hard-link it to the configured name, which fails if the name
// exists. A name that exists is either a live server's socket (refuse with
// EADDRINUSE) or stale (remove it and try again).
func listenUnix(c *config.UnixHTTPServer, stderr io.Writer) (*net.UnixListener, os.FileInfo, error) {
	fail := func(err error) (*net.UnixListener, os.FileInfo, error) {
		return nil, nil, &ListenError{Section: "unix_http_server", Addr: c.File, Err: err}
	}
	temp := fmt.Sprintf("%s.%d", c.File, os.Getpid())
	os.Remove(temp)
	defer os.Remove(temp)
	for attempt := 0; ; attempt++ {
		// bind creates the socket file with 0777 &^ umask; under a
		// permissive umask anyone could connect between bind and the
		// chmod below. Binding under 0177 keeps it owner-only until then.
		// The umask is the process's: this runs at startup, before any
		// child is spawned (spawns set their own umask) or log rotated.
		old := syscall.Umask(0o177)
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: temp, Net: "unix"})
		syscall.Umask(old)
		if err != nil {
			return fail(err)
		}
		// The listener must not unlink temp (gone by then) nor the real
		// name (Shutdown removes it only if it is still ours).
		l.SetUnlinkOnClose(false)
		if err := os.Chmod(temp, os.FileMode(c.Chmod)&os.ModePerm); err != nil {
			l.Close()
			return fail(err)
		}
		linkErr := os.Link(temp, c.File)
		if linkErr != nil {
			if socketInUse(c.File) {
				l.Close()
				return fail(syscall.EADDRINUSE)
			}
			if attempt >= 3 {
				l.Close()
				return fail(linkErr)
			}
			if stderr != nil {
				fmt.Fprintf(stderr, "Unlinking stale socket %s\n", c.File)
			}
			os.Remove(c.File)
			l.Close()
			os.Remove(temp)
			continue
		}
		os.Remove(temp)
		if c.ChownUID != -1 || c.ChownGID != -1 {
			if err := os.Chown(c.File, c.ChownUID, c.ChownGID); err != nil {
				l.Close()
				os.Remove(c.File)
				if errors.Is(err, syscall.EPERM) {
					return nil, nil, &ListenError{Section: "unix_http_server", Addr: c.File, Err: err, msg: chownMessage(c)}
				}
				return fail(err)
			}
		}
		info, err := os.Lstat(c.File)
		if err != nil {
			l.Close()
			return fail(err)
		}
		return l, info, nil
	}
}

func chownMessage(c *config.UnixHTTPServer) string {
	name := strconv.Itoa(os.Geteuid())
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return fmt.Sprintf("Not permitted to chown %s to uid/gid (%d, %d); adjust \"sockchown\" value in config "+
		"file or on command line to values that the current user (%s) can successfully chown",
		c.File, c.ChownUID, c.ChownGID, name)
}

// socketInUse is 4.2's checkused: something that accepts a connection and
// answers (or closes) after an HTTP request is a live server.
func socketInUse(path string) bool {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		return false
	}
	var b [1]byte
	_, err = conn.Read(b[:])
	var ne net.Error
	return err == nil || err == io.EOF || (errors.As(err, &ne) && ne.Timeout())
}
