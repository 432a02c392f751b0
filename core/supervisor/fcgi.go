package supervisor

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"super/core/config"
)

// fcgiSocket is the socket of a [fcgi-program:x] pool (4.2's
// SocketManager): created and bound when the first process of the pool
// spawns, handed to every process as its fd 0, and closed when the last
// one has been reaped.
type fcgiSocket struct {
	cfg  *config.FCGISocket
	log  Logger
	mu   sync.Mutex
	file *os.File
	refs int
}

// get returns the listening socket, creating it if no process holds it;
// the release function gives the reference back.
func (s *fcgiSocket) get() (*os.File, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		s.log.Info("Creating socket %s", s.cfg.URL)
		f, err := bindSocket(s.cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("Could not create FastCGI socket %s: %v", s.cfg.URL, err)
		}
		s.file = f
	}
	s.refs++
	var once sync.Once
	return s.file, func() { once.Do(s.put) }, nil
}

func (s *fcgiSocket) put() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs == 0 {
		s.log.Info("Closing socket %s", s.cfg.URL)
		s.file.Close()
		s.file = nil
	}
}

// check creates the socket and closes it again, as 4.2 does when the
// group is created, so a bad socket is reported at once.
func (s *fcgiSocket) check() error {
	_, release, err := s.get()
	if err != nil {
		return err
	}
	release()
	return nil
}

// remove is called when the group is removed: the unix socket file goes
// too (the socket itself is closed, as no process of the group runs).
func (s *fcgiSocket) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path, ok := strings.CutPrefix(s.cfg.URL, "unix://"); ok && s.refs == 0 {
		os.Remove(path)
	}
}

// bindSocket creates, binds and listens on the socket of cfg. The file is
// close-on-exec: only the pool's processes get it, as fd 0.
func bindSocket(cfg *config.FCGISocket) (*os.File, error) {
	backlog := cfg.Backlog
	if backlog <= 0 {
		backlog = syscall.SOMAXCONN
	}
	var fd int
	var err error
	if path, ok := strings.CutPrefix(cfg.URL, "unix://"); ok {
		if _, err := os.Lstat(path); err == nil {
			os.Remove(path)
		}
		fd, err = syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		fail := func(err error) (*os.File, error) {
			syscall.Close(fd)
			os.Remove(path)
			return nil, err
		}
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
			return fail(err)
		}
		if cfg.OwnerUID >= 0 {
			if err := os.Chown(path, cfg.OwnerUID, cfg.OwnerGID); err != nil {
				return fail(fmt.Errorf("Could not change ownership of socket file: %v", err))
			}
		}
		if err := os.Chmod(path, os.FileMode(cfg.Mode)&os.ModePerm); err != nil {
			return fail(fmt.Errorf("Could not change permissions of socket file: %v", err))
		}
		if err := syscall.Listen(fd, backlog); err != nil {
			return fail(err)
		}
		return os.NewFile(uintptr(fd), cfg.URL), nil
	}
	hostport := strings.TrimPrefix(cfg.URL, "tcp://")
	host, portText, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, err
	}
	ip, err := net.ResolveIPAddr("ip4", host)
	if err != nil {
		return nil, err
	}
	sa := &syscall.SockaddrInet4{Port: port}
	copy(sa.Addr[:], ip.IP.To4())
	fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), cfg.URL), nil
}

// fcgiStdin is the Launcher's Stdin hook: processes of a [fcgi-program:x]
// pool get the pool's socket as fd 0. It runs on the loop (spawns do).
func (s *Supervisor) fcgiStdin(c *config.ProcessConfig) (*os.File, func(), error) {
	g := s.groups[c.Group]
	if g == nil || g.sock == nil {
		return nil, nil, nil
	}
	return g.sock.get()
}
