"""Runs tests of Supervisor's own end-to-end suite (the installed
supervisor.tests.test_end_to_end, unchanged) against super's applets.

    python3 upstream_e2e.py --work DIR [--bin DIR] TEST...
    python3 upstream_e2e.py --list

The suite starts `python -m supervisor.supervisord` (supervisorctl,
pidproxy) through pexpect; with --bin those commands run DIR/supervisord
(supervisorctl, pidproxy) instead, without --bin they run Supervisor itself.
Only how the programs are found is changed, at run time:

  - pexpect.spawn maps `sys.executable -m supervisor.X` to the applet (and
    the one shell pipeline that names it); any other use of the Python
    module fails the test, so nothing runs 4.2 in super's place;
  - the fixtures are copied to DIR with their fixed /tmp/ paths moved into
    DIR (the suite's sockets, logs and pidfiles live in /tmp/ under fixed
    names: runs side by side would share them), and the suite's own
    unix:///tmp/ server URLs follow; TMPDIR is DIR too, as AUTO child
    logs go there by default (and a starting daemon deletes the AUTO logs
    of its program names it finds there: another run's);
  - `python` on PATH, which the fixtures' programs use, is this Python
    (it has the supervisor module the fixtures' listener imports).
"""
import argparse
import os
import shutil
import sys
import unittest

os.environ["END_TO_END"] = "1"  # the suite runs only when asked

import pexpect  # noqa: E402
import pkg_resources  # noqa: E402

import supervisor.xmlrpc  # noqa: E402

MODULE = "supervisor.tests.test_end_to_end"
APPLETS = {
    "supervisor.supervisord": "supervisord",
    "supervisor.supervisorctl": "supervisorctl",
    "supervisor.pidproxy": "pidproxy",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work")
    ap.add_argument("--bin")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("tests", nargs="*")
    args = ap.parse_args()

    if args.list:
        import supervisor.tests.test_end_to_end as e2e
        for name in unittest.TestLoader().getTestCaseNames(e2e.EndToEndTests):
            print(name)
        return 0

    work = os.path.abspath(args.work)
    tmp = work + "/"
    bindir = os.path.abspath(args.bin) if args.bin else None

    # The fixtures, with their /tmp/ paths in work.
    import supervisor.tests
    src = os.path.join(os.path.dirname(supervisor.tests.__file__), "fixtures")
    fixtures = os.path.join(work, "fixtures")
    shutil.copytree(src, fixtures, ignore=shutil.ignore_patterns("__pycache__"))
    for name in os.listdir(fixtures):
        path = os.path.join(fixtures, name)
        if name.endswith(".conf"):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("/tmp/", tmp))

    resource_filename = pkg_resources.resource_filename

    def fixture_filename(package, name):
        if package == MODULE and name.startswith("fixtures/"):
            return os.path.join(fixtures, name[len("fixtures/"):])
        return resource_filename(package, name)

    pkg_resources.resource_filename = fixture_filename

    class Transport(supervisor.xmlrpc.SupervisorTransport):
        def __init__(self, username=None, password=None, serverurl=None):
            if serverurl and serverurl.startswith("unix:///tmp/"):
                serverurl = "unix://" + tmp + serverurl[len("unix:///tmp/"):]
            super().__init__(username, password, serverurl)

    supervisor.xmlrpc.SupervisorTransport = Transport

    spawned = []

    class Spawn(pexpect.spawn):
        def __init__(self, command, args=(), **kw):
            args = list(args)
            if bindir and command == sys.executable:
                if args[:1] != ["-m"] or args[1] not in APPLETS:
                    raise AssertionError("no super applet for %s %s" % (command, args))
                command, args = os.path.join(bindir, APPLETS[args[1]]), args[2:]
            elif bindir and command == "/bin/sh" and args[:1] == ["-c"]:
                mod = "'%s' -m supervisor.supervisorctl" % sys.executable
                if mod not in args[1]:
                    raise AssertionError("no super applet in %r" % args[1])
                args[1] = args[1].replace(mod, "'%s'" % os.path.join(bindir, "supervisorctl"))
            super().__init__(command, args, **kw)
            spawned.append(self)

    pexpect.spawn = Spawn

    pybin = os.path.join(work, "pybin")
    os.mkdir(pybin)
    os.symlink(sys.executable, os.path.join(pybin, "python"))
    os.environ["PATH"] = pybin + os.pathsep + os.environ.get("PATH", "")
    os.environ["TMPDIR"] = work
    os.chdir(work)

    import supervisor.tests.test_end_to_end as e2e
    suite = unittest.TestSuite(e2e.EndToEndTests(name) for name in args.tests)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)

    # The tests end their programs with SIGINT; wait for them to be gone
    # (a daemon stops its children first), then kill what is left.
    for sp in spawned:
        if sp.isalive():
            try:
                sp.expect(pexpect.EOF, timeout=20)
            except pexpect.ExceptionPexpect:
                pass
        if sp.isalive():
            print("killing %s (pid %d), still running" % (sp.command, sp.pid))
            sp.kill(9)
        sp.close(force=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
