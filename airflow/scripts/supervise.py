"""Runs Airflow as one process tree for deploy/local: `airflow db migrate`, then api-server, scheduler and
dag-processor as children. The stack tracks a single pid per component, so this parent forwards
SIGTERM/SIGINT to the children, reaps them, and exits when any of them dies (after stopping the
others), so `npm run stack -- down` leaves nothing behind and a crashed scheduler is not hidden.

Usage (the stack sets the AIRFLOW__* environment): python supervise.py --home=<AIRFLOW_HOME> --port=8080
The --home argument is also the marker the stack looks for in /proc/<pid>/cmdline.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_SECONDS = 45


def log(msg: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} [supervise] {msg}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if os.path.realpath(os.environ.get("AIRFLOW_HOME", "")) != os.path.realpath(args.home):
        log(f"AIRFLOW_HOME ({os.environ.get('AIRFLOW_HOME')}) differs from --home {args.home}")
        return 2

    airflow = str(Path(sys.executable).with_name("airflow"))
    stopping = False

    def on_signal(signum, _frame):  # noqa: ANN001
        nonlocal stopping
        stopping = True
        log(f"received {signal.Signals(signum).name}, stopping")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log("airflow db migrate")
    migrate = subprocess.Popen([airflow, "db", "migrate"])
    while migrate.poll() is None:
        if stopping:
            migrate.terminate()
            migrate.wait()
            return 0
        time.sleep(0.5)
    if migrate.returncode != 0:
        log(f"airflow db migrate exited with {migrate.returncode}")
        return 1

    commands = {
        "api-server": [airflow, "api-server", "--host", "127.0.0.1", "--port", str(args.port)],
        "scheduler": [airflow, "scheduler"],
        "dag-processor": [airflow, "dag-processor"],
    }
    children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    log("started " + ", ".join(f"{n} (pid {p.pid})" for n, p in children.items()))

    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                log(f"{name} exited with {proc.returncode}; stopping the others")
                exit_code = 1
                stopping = True
                break
        else:
            time.sleep(1)

    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {GRACE_SECONDS}s; killing it")
            proc.kill()
            proc.wait()
    log("all stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
