package config

import (
	"syscall"
	"time"
)

// The model below is what the rest of super sees of a config file: every
// value typed, validated, defaulted and expanded exactly as Supervisor 4.2
// does it. Values are plain data (no pointers into parser state), so two
// loads of the same file compare equal with reflect.DeepEqual — reread/update
// relies on that to tell added, changed and removed groups apart.

// Config is one loaded configuration: the main file plus its includes.
type Config struct {
	File          string   // absolute path of the main config file
	Here          string   // directory of the main config file (%(here)s)
	IncludedFiles []string // files read through [include], in read order
	// Warnings are non-fatal findings (e.g. an [include] pattern matching no
	// file) that supervisord writes to the activity log once it is up.
	Warnings []string

	Supervisord   Supervisord
	Supervisorctl Supervisorctl
	UnixHTTP      *UnixHTTPServer // nil when there is no [unix_http_server]
	InetHTTP      *InetHTTPServer // nil when there is no [inet_http_server]
	RPCInterfaces []RPCInterface
	CtlPlugins    []CtlPlugin

	// Groups in 4.2's order: sorted by priority, then by name.
	Groups []*GroupConfig
}

// LogLevel is the activity log threshold; the numbers are Supervisor's
// (loggers.LevelsByName) so comparisons read the same as in 4.2.
type LogLevel int

const (
	LevelCritical LogLevel = 50
	LevelError    LogLevel = 40
	LevelWarn     LogLevel = 30
	LevelInfo     LogLevel = 20
	LevelDebug    LogLevel = 10
	LevelTrace    LogLevel = 5
	LevelBlather  LogLevel = 3
)

// Special log file values. A process log path is either a real path or one
// of these markers.
const (
	LogNone   = ""       // NONE: no log file
	LogAuto   = "AUTO"   // AUTO: a unique file in childlogdir, created at spawn
	LogSyslog = "syslog" // syslog (deprecated 4.2 spelling kept working)
)

// Supervisord is the [supervisord] section.
type Supervisord struct {
	Logfile         string // path, LogNone, or LogSyslog
	LogfileMaxbytes int64
	LogfileBackups  int
	Loglevel        LogLevel
	Pidfile         string
	Umask           int // 0o022 by default
	Nodaemon        bool
	Silent          bool
	Minfds          int
	Minprocs        int
	Nocleanup       bool
	Childlogdir     string
	User            string // "" = do not switch user
	Directory       string // "" = do not chdir when daemonizing
	StripANSI       bool
	Environment     map[string]string // nil when not set
	Identifier      string

	// super's own keys (extras.go); off by default.
	ContainerLogs bool // container_logs
	ExitWhenDone  bool // exit_when_done

	// Environment files (issue 22, environ.go).
	EnvironmentFiles []EnvFile // environment_file; nil when not set

	// Resource control (resources.go): cgroups.
	Cgroups bool

	// Logs (issue 26, logs.go); zero values mean 4.2's behaviour.
	ContainerLogsJSON       bool        // container_logs_format=json
	ContainerLogsTimestamps bool        // container_logs_timestamps
	LogfileRotate           RotateEvery // logfile_rotate: also rotate at each hour or day
	LogfileMaxage           int         // logfile_maxage: days a backup is kept; 0 = no limit
	LogfileCompress         bool        // logfile_compress: gzip backups
}

// Supervisorctl is the [supervisorctl] section.
type Supervisorctl struct {
	ServerURL   string // "unix:///..." or "http://host:port"
	Username    string
	Password    string
	Prompt      string
	HistoryFile string // "" = no history
}

// UnixHTTPServer is the [unix_http_server] section.
type UnixHTTPServer struct {
	File     string
	Chmod    int // 0o700 by default
	ChownUID int // -1 = leave as is
	ChownGID int // -1 = leave as is
	Username string
	Password string // plain, or "{SHA}" + hex SHA-1
}

// InetHTTPServer is the [inet_http_server] section.
type InetHTTPServer struct {
	Host     string // "" = all interfaces
	Port     int
	Username string
	Password string
}

// RPCInterface is an [rpcinterface:x] section; only the standard
// supervisor.rpcinterface factory is meaningful to super, others are kept so
// the config still loads.
type RPCInterface struct {
	Name    string
	Factory string            // supervisor.rpcinterface_factory
	Params  map[string]string // every other key, verbatim
}

// CtlPlugin is a [ctlplugin:x] section.
type CtlPlugin struct {
	Name    string
	Factory string
	Params  map[string]string
}

// GroupKind says which kind of section produced a group.
type GroupKind int

const (
	KindProgram       GroupKind = iota // [program:x]: homogeneous group of one program
	KindGroup                          // [group:x]: heterogeneous group of programs
	KindEventListener                  // [eventlistener:x]: listener pool
	KindFCGI                           // [fcgi-program:x]: pool sharing one socket
)

// GroupConfig is one process group: what supervisorctl names as "group:".
type GroupConfig struct {
	Name      string
	Kind      GroupKind
	Priority  int
	Processes []*ProcessConfig // sorted by priority, then name (4.2 order)

	// Event listener pools only.
	Events        []string // event type names subscribed to
	BufferSize    int
	ResultHandler string // "supervisor.dispatchers:default_handler" by default

	// FastCGI pools only.
	Socket *FCGISocket
}

// FCGISocket is the socket a [fcgi-program:x] pool shares.
type FCGISocket struct {
	URL      string // "tcp://host:port" or "unix:///path"
	Backlog  int    // 0 = use the system's SOMAXCONN
	OwnerUID int    // -1 = unchanged (unix sockets only)
	OwnerGID int    // -1 = unchanged
	Mode     int    // 0o700 by default (unix sockets only)
}

// Autorestart is the autorestart setting.
type Autorestart int

const (
	RestartNever      Autorestart = iota // false
	RestartUnexpected                    // unexpected: only when the exit code is not in exitcodes
	RestartAlways                        // true
)

// ProcessConfig is one process, after numprocs expansion.
type ProcessConfig struct {
	Name      string // process name (process_name expanded)
	Group     string // name of the group it belongs to
	Section   string // section it came from, e.g. "program:cat"
	Command   string // as written, expansions applied (split at spawn time)
	Directory string // "" = do not chdir
	Umask     int    // -1 = inherit
	User      string // "" = do not switch; else the name or uid as written
	UID       int    // -1 when User == ""
	GID       int    // primary group of User; -1 when User == ""
	Priority  int

	Autostart    bool
	Autorestart  Autorestart
	Startsecs    int
	Startretries int
	Exitcodes    []int

	Stopsignal   syscall.Signal
	Stopwaitsecs int
	Stopasgroup  bool
	Killasgroup  bool

	RedirectStderr bool
	Stdout         LogConfig
	Stderr         LogConfig

	Environment map[string]string // nil when not set
	ServerURL   string            // "AUTO" by default

	// Event listeners never capture stdout (it carries the protocol).
	IsEventListener bool

	// super's own keys (extras.go); zero values mean 4.2's behaviour.
	Critical    bool         // critical
	DependsOn   []Dependency // depends_on, in the order written; checked to exist and be acyclic
	Healthcheck *HealthCheck // nil when healthcheck is not set

	// Environment files and the login environment (issue 22, environ.go).
	EnvironmentFiles []EnvFile         // [supervisord]'s environment_file, then the section's; nil when none
	OwnEnvironment   map[string]string // the section's own environment= (Environment has [supervisord]'s too); nil when not set
	LoginEnv         bool              // login_env

	// Lifecycle policies (lifecycle.go); zero values mean 4.2's behaviour.
	// startretries=infinite is Startretries = RetryForever.
	RestartDelay    time.Duration // restart_delay: wait before each automatic restart; 0 = 4.2's
	RestartDelayMax time.Duration // restart_delay_max: cap of the doubling wait (= RestartDelay: no growth)
	Oneshot         bool          // oneshot: runs to completion; an expected exit is success
	Schedule        string        // schedule: a cron spec as written (checked by ParseSchedule); "" = none

	// Readiness notification (issue 22, notify.go).
	Notify       bool // notify: RUNNING on READY=1, not after startsecs
	WatchdogSecs int  // watchdog_secs; 0 = no watchdog

	// Readiness from a log line (issue 26, logs.go).
	ReadyLogLine string // ready_log_line: RUNNING once an output line matches this regexp; "" = off

	// Resource control (resources.go): rlimit_*, cgroup limits, killmode,
	// memory_restart; the zero value is 4.2's behaviour.
	Resources Resources
}

// LogConfig is the configuration of one output stream of a process.
type LogConfig struct {
	Logfile         string // path, LogNone, LogAuto or LogSyslog
	Maxbytes        int64
	Backups         int
	CaptureMaxbytes int64
	EventsEnabled   bool
	Syslog          bool

	// Logs (issue 26, logs.go); zero values mean 4.2's behaviour.
	Timestamps bool        // *_logfile_timestamps: each line in the file starts with the time it was read
	Rotate     RotateEvery // *_logfile_rotate: also rotate at each hour or day
	Maxage     int         // *_logfile_maxage: days a backup is kept; 0 = no limit
	Compress   bool        // *_logfile_compress: gzip backups
}
