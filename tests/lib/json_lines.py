#!/usr/bin/env python3
"""json_lines.py [STEP [TEXT]]: every line of stdin is one JSON object (as
zrun swap/deploy --format json print them); with STEP, one of them has that
"step", and with TEXT too, that line's "message" holds TEXT exactly.
Prints what it expected and what it saw when it fails."""
import json
import sys

events = []
for line in sys.stdin.read().splitlines():
    try:
        ev = json.loads(line)  # strict: a raw control character is refused
    except ValueError as e:
        sys.exit(f"expected one JSON object per line, saw {line!r} ({e})")
    if not isinstance(ev, dict):
        sys.exit(f"expected a JSON object, saw {line!r}")
    events.append(ev)
if len(sys.argv) > 1:
    step = sys.argv[1]
    text = sys.argv[2] if len(sys.argv) > 2 else ""
    msgs = [ev.get("message", "") for ev in events if ev.get("step") == step]
    if not any(text in m for m in msgs):
        sys.exit(f"expected a {step!r} line whose message holds {text!r}, saw {step!r} messages {msgs!r}")
