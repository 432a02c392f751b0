"""Reference loader for the differential tests of core/config.

usage: oracle.py ini FILE...     raw configparser view (UnhosedConfigParser)
       oracle.py load FILE...    Supervisor's ServerOptions view
       oracle.py client FILE...  Supervisor's ClientOptions view
Prints one JSON object per file, one per line.
"""
import json
import os
import socket
import sys

from supervisor import options, datatypes


def raw(path):
    p = options.UnhosedConfigParser()
    try:
        with open(path) as f:
            p.read_file(f)
    except Exception as e:  # ParsingError and friends
        return {"error": str(e)}
    out = {"sections": []}
    for s in p.sections():
        out["sections"].append([s, [[k, p.get(s, k)] for k in p.options(s)]])
    return out


def restart(v):
    if v is datatypes.RestartUnconditionally:
        return "true"
    if v is datatypes.RestartWhenExitUnexpected:
        return "unexpected"
    return "false"


def logname(v):
    if v is datatypes.Automatic:
        return "AUTO"
    if v is None:
        return ""
    return v


def proc(pc):
    return {
        "name": pc.name, "command": pc.command, "directory": pc.directory,
        "umask": pc.umask, "priority": pc.priority, "autostart": bool(pc.autostart),
        "autorestart": restart(pc.autorestart), "startsecs": pc.startsecs,
        "startretries": pc.startretries, "uid": pc.uid,
        "stopsignal": pc.stopsignal, "stopwaitsecs": pc.stopwaitsecs,
        "stopasgroup": bool(pc.stopasgroup), "killasgroup": bool(pc.killasgroup),
        "exitcodes": pc.exitcodes, "redirect_stderr": bool(pc.redirect_stderr),
        "environment": pc.environment or {}, "serverurl": pc.serverurl,
        "stdout": [logname(pc.stdout_logfile), pc.stdout_logfile_maxbytes,
                   pc.stdout_logfile_backups, pc.stdout_capture_maxbytes,
                   bool(pc.stdout_events_enabled), bool(pc.stdout_syslog)],
        "stderr": [logname(pc.stderr_logfile), pc.stderr_logfile_maxbytes,
                   pc.stderr_logfile_backups, pc.stderr_capture_maxbytes,
                   bool(pc.stderr_events_enabled), bool(pc.stderr_syslog)],
    }


def load(path):
    o = options.ServerOptions()

    def usage(msg):
        raise ValueError(msg)
    o.usage = usage
    try:
        o.realize(args=["-c", path])
    except ValueError as e:
        return {"error": str(e)}
    s = o.configroot.supervisord
    groups = []
    for g in o.process_group_configs:
        d = {"name": g.name, "priority": g.priority,
             "processes": [proc(p) for p in g.process_configs]}
        if hasattr(g, "buffer_size"):
            d["buffer_size"] = g.buffer_size
            d["events"] = sorted(e.__name__ if hasattr(e, "__name__") else str(e)
                                 for e in g.pool_events)
        if hasattr(g, "socket_config"):
            sc = g.socket_config
            d["socket"] = [sc.url, sc.get_backlog() or 0,
                           list(sc.get_owner()) if getattr(sc, "owner", None) else None,
                           getattr(sc, "mode", None)]
        groups.append(d)
    servers = []
    for c in o.server_configs:
        c = dict(c)
        c["family"] = "unix" if c["family"] == socket.AF_UNIX else "inet"
        if "chown" in c:
            c["chown"] = list(c["chown"])
        servers.append(c)
    return {
        "supervisord": {
            "logfile": o.logfile, "logfile_maxbytes": s.logfile_maxbytes,
            "logfile_backups": s.logfile_backups, "loglevel": s.loglevel,
            "pidfile": o.pidfile, "umask": s.umask, "nodaemon": bool(s.nodaemon),
            "silent": bool(s.silent), "minfds": s.minfds, "minprocs": s.minprocs,
            "nocleanup": bool(s.nocleanup), "childlogdir": s.childlogdir,
            "user": s.user, "directory": s.directory, "strip_ansi": bool(s.strip_ansi),
            "environment": s.environment, "identifier": s.identifier,
        },
        "groups": groups,
        "servers": servers,
        "rpcinterfaces": [[n, e] for n, f, e in s.rpcinterface_factories],
        "warnings": o.parse_warnings,
    }


def client(path):
    o = options.ClientOptions()
    o.configfile = path
    try:
        o.process_config(do_usage=False)
    except Exception as e:
        return {"error": str(e)}
    s = o.configroot.supervisorctl
    return {"serverurl": s.serverurl, "username": s.username,
            "password": s.password, "prompt": s.prompt,
            "history_file": s.history_file}


def main():
    mode = sys.argv[1]
    fn = {"ini": raw, "load": load, "client": client}[mode]
    for path in sys.argv[2:]:
        sys.stdout.write(json.dumps(fn(path), sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
