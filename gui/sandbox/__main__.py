"""``python -m gui.sandbox [--port N] [--seed-demo] [--job-seconds S] [--max-concurrent-jobs N]
[--fault-rate P] [--start-tps R] [--get-tps R] [--cors]``: serve the sandbox until SIGINT/SIGTERM.

The first line on stdout is ``endpoint_url http://127.0.0.1:PORT`` (flushed at once), so a parent
process can read the endpoint before anything else.

``python -m gui.sandbox --dump-jobs http://127.0.0.1:PORT`` prints the job list of a running sandbox
(``GET /_sandbox/jobs``) as JSON and exits: 0 on success, 1 when the sandbox cannot be reached.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from gui.sandbox import Sandbox


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gui.sandbox",
                                description="Local AWS sandbox: moto (S3/SNS/SQS/IAM/STS) + a Rekognition "
                                            "Video label-detection emulator on one loopback endpoint.")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--seed-demo", action="store_true", help="create and fill the demo-videos bucket")
    p.add_argument("--job-seconds", type=float, default=3.0, help="how long a job stays IN_PROGRESS")
    p.add_argument("--max-concurrent-jobs", type=int, default=20, help="IN_PROGRESS jobs before LimitExceeded")
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="share of Rekognition calls answering Throttling/ProvisionedThroughput/InternalServerError")
    p.add_argument("--fault-seed", type=int, default=None, help="make fault injection reproducible")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--start-tps", type=float, default=None, metavar="R",
                   help="StartLabelDetection calls per second before ProvisionedThroughputExceededException "
                        "(default: AWS's default quota, 5; 0 turns the quota off)")
    p.add_argument("--get-tps", type=float, default=None, metavar="R",
                   help="GetLabelDetection calls per second (default: AWS's default quota, 20 in us-east-1, "
                        "us-west-2 and eu-west-1, 5 elsewhere; 0 turns the quota off)")
    p.add_argument("--cors", action="store_true",
                   help="send CORS grants to browsers (off by default: the sandbox serves SDKs, not web pages)")
    p.add_argument("--dump-jobs", metavar="ENDPOINT_URL", default=None,
                   help="print the job list of the sandbox running at ENDPOINT_URL as JSON, then exit")
    return p


def dump_jobs(endpoint_url: str) -> int:
    import json
    import urllib.error
    import urllib.request

    url = endpoint_url.rstrip("/") + "/_sandbox/jobs"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            jobs = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"Cannot read the job list at {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(jobs, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.dump_jobs:
        return dump_jobs(args.dump_jobs)
    if not 0.0 <= args.fault_rate <= 1.0:
        print("--fault-rate must be between 0 and 1", file=sys.stderr)
        return 2
    if any(v is not None and v < 0 for v in (args.start_tps, args.get_tps)):
        print("--start-tps and --get-tps must be 0 (off) or more", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sb = Sandbox(port=args.port, seed_demo=args.seed_demo, job_seconds=args.job_seconds,
                 max_concurrent_jobs=args.max_concurrent_jobs, fault_rate=args.fault_rate,
                 region=args.region, fault_seed=args.fault_seed, start_tps=args.start_tps,
                 get_tps=args.get_tps, cors=args.cors)
    sb.start()
    try:
        print(f"endpoint_url {sb.endpoint_url}", flush=True)
        print(f"account {sb.account_id}; region {args.region}; any credentials work. Ctrl+C to stop.",
              file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
