# Drives every supervisor.* and system.* method of a running supervisord
# through Python's xmlrpc.client and Supervisor's own SupervisorTransport,
# and prints one JSON array: [label, outcome...] per call, with pids, times
# and random file names masked so two daemons' answers can be compared.
#
# usage: python3 api.py unix:///path/to/sock /path/to/instance/dir
import json
import re
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import SupervisorTransport

URL, DIR = sys.argv[1], sys.argv[2]
out = []


def proxy():
    # A fresh connection per call: a 500 answer leaves Python's connection
    # in a state it cannot reuse.
    return xmlrpc.client.ServerProxy(
        'http://127.0.0.1', transport=SupervisorTransport(None, None, URL))


def mask(v, key=None):
    if isinstance(v, list):
        return [mask(x) for x in v]
    if isinstance(v, dict):
        return {k: mask(x, k) for k, x in v.items()}
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and key in ('pid', 'start', 'stop', 'now'):
        return '<%s>' % key if v else 0
    if isinstance(v, str):
        v = v.replace(DIR, '<dir>')
        v = re.sub(r'---testsup-[a-z0-9_]{8}\.log', '---testsup-<rand>.log', v)
        v = re.sub(r'pid \d+, uptime \d+:\d\d:\d\d', 'pid <pid>, uptime <uptime>', v)
        v = re.sub(r'^[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M$', '<stoptime>', v)
    return v


def unordered(v):
    # Results of waited group requests arrive in completion order.
    if isinstance(v, list):
        return sorted(v, key=lambda r: (r.get('group'), r.get('name')) if isinstance(r, dict) else ())
    return v


def call(label, method, *args, raw=False, sort=False):
    t0 = time.time()
    try:
        return _call(label, method, *args, raw=raw, sort=sort)
    finally:
        if time.time() - t0 > 0.5:
            sys.stderr.write('slow: %s %.1fs\n' % (label, time.time() - t0))


def _call(label, method, *args, raw=False, sort=False):
    try:
        r = proxy()
        for part in method.split('.'):
            r = getattr(r, part)
        v = r(*args)
        out.append([label, 'ok', v if raw else mask(unordered(v) if sort else v)])
        return v
    except xmlrpc.client.Fault as f:
        out.append([label, 'fault', f.faultCode, mask(f.faultString)])
    except xmlrpc.client.ProtocolError as e:
        out.append([label, 'http', e.errcode])
    return None


def quiet(method, *args):
    r = proxy()
    for part in method.split('.'):
        r = getattr(r, part)
    return r(*args)


def until(what, fn, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if fn():
                return
        except Exception:
            pass
        time.sleep(0.05)
    out.append(['timeout', what])


def execd(*names):
    # 4.2 loses a SIGTERM that reaches a child between fork and exec, so
    # stop requests wait until every child runs its program.
    def ok():
        for n in names:
            pid = quiet(S + 'getProcessInfo', n)['pid']
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                if not f.read().startswith(b'/bin/sleep'):
                    return False
        return True
    until('exec ' + ' '.join(names), ok)


def state(name):
    return quiet('supervisor.getProcessInfo', name)['statename']


S = 'supervisor.'

# Identity and state.
for m in ('getAPIVersion', 'getVersion', 'getSupervisorVersion',
          'getIdentification', 'getState'):
    call(m, S + m)
pid = call('getPID', S + 'getPID', raw=True)
out[-1][2] = isinstance(pid, int) and pid > 0

# Dispatch and arity.
call('unknown method', S + 'nope')
call('unknown namespace', 'nope.getState')
call('no namespace', 'getState')
call('three parts', 'supervisor.getState.x')
call('private method', S + '_update', 'x')
call('getAPIVersion extra arg', S + 'getAPIVersion', 1)
call('getProcessInfo no arg', S + 'getProcessInfo')
call('startProcess three args', S + 'startProcess', 'cat', True, 1)
call('readLog one arg', S + 'readLog', 0)
call('tail two args', S + 'tailProcessStdoutLog', 'cat', 0)
call('listMethods extra', 'system.listMethods', 1)

until('cat RUNNING', lambda: state('cat') == 'RUNNING')

# Process info.
call('getProcessInfo cat', S + 'getProcessInfo', 'cat')
call('getProcessInfo cat:cat', S + 'getProcessInfo', 'cat:cat')
call('getProcessInfo grp:a', S + 'getProcessInfo', 'grp:a')
call('getProcessInfo unknown', S + 'getProcessInfo', 'nope')
call('getProcessInfo group spec', S + 'getProcessInfo', 'grp:')
call('getProcessInfo group star', S + 'getProcessInfo', 'grp:*')
call('getProcessInfo unknown in group', S + 'getProcessInfo', 'grp:zz')
call('getProcessInfo int', S + 'getProcessInfo', 1)
call('getAllProcessInfo', S + 'getAllProcessInfo')
call('getAllConfigInfo', S + 'getAllConfigInfo')

# Start: faults.
call('start running', S + 'startProcess', 'cat')
call('start unknown', S + 'startProcess', 'nope')
call('start unknown group', S + 'startProcess', 'nope:*')
call('start no file', S + 'startProcess', 'nofile')
call('start not executable', S + 'startProcess', 'notexec')
call('start abnormal', S + 'startProcess', 'fail')
until('fail FATAL', lambda: state('fail') == 'FATAL')
call('info after abnormal', S + 'getProcessInfo', 'fail')
call('start group unknown', S + 'startProcessGroup', 'nope')
call('start group int', S + 'startProcessGroup', 1)
call('start group list', S + 'startProcessGroup', [1])

# Start and output.
call('start echo', S + 'startProcess', 'echo')
until('echo output', lambda: quiet(S + 'readProcessStderrLog', 'echo', 0, 0) == 'oops\n')
call('read stdout', S + 'readProcessStdoutLog', 'echo', 0, 0)
call('read stdout alias', S + 'readProcessLog', 'echo', 0, 0)
call('read stderr', S + 'readProcessStderrLog', 'echo', 0, 0)
call('read tail bytes', S + 'readProcessStdoutLog', 'echo', -3, 0)
call('read beyond tail', S + 'readProcessStdoutLog', 'echo', -100, 0)
call('read middle', S + 'readProcessStdoutLog', 'echo', 1, 2)
call('read past end', S + 'readProcessStdoutLog', 'echo', 100, 0)
call('read negative with length', S + 'readProcessStdoutLog', 'echo', -3, 1)
call('read negative length', S + 'readProcessStdoutLog', 'echo', 0, -1)
call('read string offset', S + 'readProcessStdoutLog', 'echo', '1', '2')
call('read bad string offset', S + 'readProcessStdoutLog', 'echo', 'x', 0)
call('read list offset', S + 'readProcessStdoutLog', 'echo', [1], 0)
call('read unknown', S + 'readProcessStdoutLog', 'nope', 0, 0)
call('read group spec', S + 'readProcessStdoutLog', 'grp:*', 0, 0)
call('read no log', S + 'readProcessStdoutLog', 'nolog', 0, 0)
call('read stderr redirected', S + 'readProcessStderrLog', 'cat', 0, 0)
call('tail overflow', S + 'tailProcessStdoutLog', 'echo', 0, 3)
call('tail all', S + 'tailProcessStdoutLog', 'echo', 0, 100)
call('tail alias', S + 'tailProcessLog', 'echo', 0, 100)
call('tail from end', S + 'tailProcessStdoutLog', 'echo', 6, 10)
call('tail stderr', S + 'tailProcessStderrLog', 'echo', 0, 2)
call('tail no log', S + 'tailProcessStdoutLog', 'nolog', 0, 10)
call('tail unknown', S + 'tailProcessStdoutLog', 'nope', 0, 10)

# stdin.
call('stdin', S + 'sendProcessStdin', 'cat', 'hi\n')
until('cat echoed', lambda: quiet(S + 'readProcessStdoutLog', 'cat', 0, 0) == 'hi\n')
call('cat output', S + 'readProcessStdoutLog', 'cat', 0, 0)
call('stdin unicode', S + 'sendProcessStdin', 'cat', '\u00e9\n')
until('cat echoed unicode', lambda: quiet(S + 'readProcessStdoutLog', 'cat', 0, 0) == 'hi\n\u00e9\n')
call('stdin not running', S + 'sendProcessStdin', 'nolog', 'x')
call('stdin unknown', S + 'sendProcessStdin', 'nope', 'x')
call('stdin int', S + 'sendProcessStdin', 'cat', 1)
call('stdin group', S + 'sendProcessStdin', 'grp:*', 'x')
call('remote comm event', S + 'sendRemoteCommEvent', 'type', 'data')
call('remote comm event arity', S + 'sendRemoteCommEvent', 'type')

# Signals.
call('signal', S + 'signalProcess', 'cat', 'CONT')
call('signal number', S + 'signalProcess', 'cat', 18)
call('signal SIG name', S + 'signalProcess', 'cat', 'SIGCONT')
call('signal bad', S + 'signalProcess', 'cat', 'BOGUS')
call('signal bad number', S + 'signalProcess', 'cat', '999')
call('signal not running', S + 'signalProcess', 'nolog', 'CONT')
call('signal unknown', S + 'signalProcess', 'nope', 'CONT')
call('signal group spec', S + 'signalProcess', 'cat:*', 'CONT')
call('signal group', S + 'signalProcessGroup', 'cat', 'CONT')
call('signal group unknown', S + 'signalProcessGroup', 'nope', 'CONT')
call('signal group bad', S + 'signalProcessGroup', 'cat', 'BOGUS')
call('signal all', S + 'signalAllProcesses', 'CONT')
call('signal all bad', S + 'signalAllProcesses', 'BOGUS')

# Groups.
call('start group', S + 'startProcessGroup', 'grp', sort=True)
call('start group again', S + 'startProcessGroup', 'grp')
execd('grp:a', 'grp:b')
call('stop one', S + 'stopProcess', 'grp:a')
call('stop one again', S + 'stopProcess', 'grp:a')
call('start star', S + 'startProcess', 'grp:*', sort=True)
execd('grp:a', 'grp:b')
call('stop star', S + 'stopProcess', 'grp:*', sort=True)
call('stop group empty', S + 'stopProcessGroup', 'grp', sort=True)
call('start multi nowait', S + 'startProcess', 'multi:*', False)
until('multi running', lambda: state('multi:multi_0') == 'RUNNING' and state('multi:multi_1') == 'RUNNING')
execd('multi:multi_0', 'multi:multi_1')
call('stop multi nowait', S + 'stopProcessGroup', 'multi', False)
until('multi stopped', lambda: state('multi:multi_0') == 'STOPPED' and state('multi:multi_1') == 'STOPPED')
call('stop group unknown', S + 'stopProcessGroup', 'nope')
call('stop unknown', S + 'stopProcess', 'nope')
call('stop not running', S + 'stopProcess', 'nolog')
call('start echo again', S + 'startProcess', 'echo', 0)
call('info echo', S + 'getProcessInfo', 'echo')

# Logs.
call('clear logs', S + 'clearProcessLogs', 'echo')
call('read after clear', S + 'readProcessStdoutLog', 'echo', 0, 0)
call('clear log alias', S + 'clearProcessLog', 'echo')
call('clear unknown', S + 'clearProcessLogs', 'nope')
call('clear group', S + 'clearProcessLogs', 'grp:*')
call('clear all', S + 'clearAllProcessLogs')
call('readLog tail', S + 'readLog', -1, 0)
call('readMainLog tail', S + 'readMainLog', -1, 0)
call('readLog bad args', S + 'readLog', -5, 5)
call('readLog negative length', S + 'readLog', 0, -1)
call('clearLog', S + 'clearLog')
call('readLog after clear', S + 'readLog', 0, 0)
call('clearLog arity', S + 'clearLog', 1)

# system.*
# super answers listMethods with its own super.* namespace too; 4.2's list
# is compared with super's minus the super.* entries (their help and
# signatures are checked by super's own tests), so every 4.2 method must
# still be there, unchanged.
try:
    methods = [m for m in quiet('system.listMethods') if not m.startswith('super.')]
    out.append(['listMethods', 'ok', methods])
except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError) as e:
    out.append(['listMethods', 'error', str(e)])
    methods = []
for m in methods:
    call('help ' + m, 'system.methodHelp', m)
    call('signature ' + m, 'system.methodSignature', m)
call('help unknown', 'system.methodHelp', 'nope')
call('signature unknown', 'system.methodSignature', 'supervisor.nope')
call('signature arity', 'system.methodSignature')
call('multicall', 'system.multicall', [
    {'methodName': 'supervisor.getAPIVersion', 'params': []},
    {'methodName': 'supervisor.getProcessInfo', 'params': ['nope']},
    {'methodName': 'supervisor.nope', 'params': []},
    {'params': []},
    {'methodName': 'system.multicall', 'params': [[]]},
    {'methodName': 'supervisor.startProcess', 'params': ['grp:a']},
    {'methodName': 'supervisor.stopProcess', 'params': ['nolog']},
    {'methodName': 'supervisor.getState'},
])
call('multicall empty', 'system.multicall', [])

# reloadConfig, addProcessGroup, removeProcessGroup.
conf = open(DIR + '/supervisord.conf').read()
good = conf.replace('[program:nolog]', '[program:new]\ncommand=/bin/sleep 1000\nautostart=false\n\n[program:nolog_gone]')
good = good.replace('exec /bin/sleep 1000"', 'exec /bin/sleep 1001"')
open(DIR + '/supervisord.conf', 'w').write(good)
call('reloadConfig', S + 'reloadConfig')
call('config info after reread', S + 'getAllConfigInfo')
call('add', S + 'addProcessGroup', 'new')
call('add again', S + 'addProcessGroup', 'new')
call('add unknown', S + 'addProcessGroup', 'nope')
call('add int', S + 'addProcessGroup', 1)
call('remove running', S + 'removeProcessGroup', 'cat')
call('remove', S + 'removeProcessGroup', 'nolog')
call('remove again', S + 'removeProcessGroup', 'nolog')
call('remove list', S + 'removeProcessGroup', [1])
call('all info after update', S + 'getAllProcessInfo')
open(DIR + '/supervisord.conf', 'w').write(good + '\n[program:bad]\nautostart=false\n')
call('reloadConfig bad', S + 'reloadConfig')
open(DIR + '/supervisord.conf', 'w').write(good)

# Stop/start everything.
call('stop all', S + 'stopAllProcesses', sort=True)
call('start all nowait', S + 'startAllProcesses', False)
until('cat running again', lambda: state('cat') == 'RUNNING')
execd('echo', 'grp:a', 'grp:b', 'multi:multi_0', 'multi:multi_1', 'new')
call('stop all again', S + 'stopAllProcesses', True, sort=True)

# Restart, then shut down.
call('restart', S + 'restart')
until('back after restart', lambda: quiet(S + 'getState')['statename'] == 'RUNNING', timeout=30)
call('state after restart', S + 'getState')
call('info after restart', S + 'getProcessInfo', 'cat')
call('shutdown', S + 'shutdown')

print(json.dumps(out, indent=1, sort_keys=False))
