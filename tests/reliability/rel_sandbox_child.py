"""A sandbox in a child process, driven by JSON lines on stdin (used by ``rel_helpers.ChildSandbox``).

Why a child: stopping it with SIGKILL drops every connection the way a crashed or unplugged service
does, it can come back on the same port, and its HTTP work does not compete for this test process's
GIL (which would spoil the GUI responsiveness measurements).

Usage: ``python rel_sandbox_child.py '{"port": 0, "job_seconds": 0.3, ...}'``. The first stdout line is
``endpoint_url http://127.0.0.1:PORT``; then one JSON reply line per command line.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any


def _handle(sb: Any, op: str, cmd: dict[str, Any]) -> Any:
    if op == "jobs":
        return sb.jobs()
    if op == "stats":
        return {"start_requests": sb.start_requests, "get_requests": sb.get_requests,
                "faults_injected": sb.faults_injected}
    if op == "set":
        setattr(sb, cmd["name"], cmd["value"])
        return None
    if op == "fill_prefix":
        return sb.fill_prefix(cmd["bucket"], cmd["prefix"], cmd["count"], cmd.get("size", 1024),
                              cmd.get("video_ratio", 1.0))
    if op == "seed_demo":
        return sb.seed_demo()
    if op == "put_object":
        sb.create_bucket(cmd["bucket"])
        sb.put_object(cmd["bucket"], cmd["key"], base64.b64decode(cmd["body"]))
        return None
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    from gui.sandbox import Sandbox

    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    sb = Sandbox(**config).start()
    print("endpoint_url", sb.endpoint_url, flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            cmd = json.loads(line)
            op = cmd.pop("op")
            if op == "stop":
                break
            try:
                reply: dict[str, Any] = {"ok": _handle(sb, op, cmd)}
            except Exception as exc:  # reported to the test, which fails with it
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(reply, default=str), flush=True)
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
