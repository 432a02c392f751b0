#!/usr/bin/python3
"""An event listener for supervisord ([eventlistener:x]) that records events.

It speaks the listener protocol of Supervisor 4.2 by hand (no supervisor
module needed): write READY, read one header line and len characters of
payload (len counts characters, not bytes: the payload is UTF-8 text),
answer RESULT 2\\nOK. Each event is appended to --out as

    <header line>\\n<payload>\\n--\\n

(or written to stderr, which supervisord keeps in the listener's stderr log,
when --out is not given). Options that misbehave on purpose exist for tests
and demonstrations:

    --fail N       answer FAIL to the first N events (supervisord re-queues them)
    --crash N      exit without answering on the N-th event (re-queued too)
    --delay SECS   sleep this long before answering each event
    --only NAME    record only events whose eventname is NAME

Example:

    [eventlistener:recorder]
    command=/usr/bin/python3 %(here)s/listener.py --out %(here)s/events.txt
    events=PROCESS_STATE,TICK_60
"""
import argparse
import io
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--crash", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--only")
    args = ap.parse_args()

    # Text without newline translation; a byte that is not UTF-8 is one
    # character, as supervisord counts it.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8",
                             errors="surrogateescape", newline="")
    stdout = sys.stdout.buffer
    seen = 0
    while True:
        stdout.write(b"READY\n")
        stdout.flush()
        line = stdin.readline()
        if not line:
            return 0
        headers = dict(x.split(":", 1) for x in line.split())
        payload = stdin.read(int(headers["len"]))
        seen += 1
        if args.crash and seen == args.crash:
            return 3
        if args.delay:
            time.sleep(args.delay)
        name = headers["eventname"]
        if args.only is None or name == args.only:
            record = (line + payload + "\n--\n").encode("utf-8", "surrogateescape")
            if args.out:
                with open(args.out, "ab") as f:
                    f.write(record)
            else:
                sys.stderr.buffer.write(record)
                sys.stderr.flush()
        if seen <= args.fail:
            stdout.write(b"RESULT 4\nFAIL")
        else:
            stdout.write(b"RESULT 2\nOK")
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
