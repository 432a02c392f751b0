# Runs Supervisor 4.2's supervisorctl once per input line (a JSON array of
# arguments) in one Python process, so the interpreter starts only once,
# and answers each with one JSON line: {"out": stdout+stderr, "code": exit}.
import contextlib
import io
import json
import sys

from supervisor import supervisorctl

for line in sys.stdin:
    args = json.loads(line)
    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            supervisorctl.main(args=args)
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                buf.write(str(e.code) + '\n')
                code = 1
    sys.stdout.write(json.dumps({'out': buf.getvalue(), 'code': code}) + '\n')
    sys.stdout.flush()
