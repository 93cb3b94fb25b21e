"""Serve the whole platform in one terminal: the web server plus a Celery worker with the beat scheduler.

Used by `make run`. Stops every child when one of them exits or on Ctrl-C.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")}
    commands = {
        "web": [PYTHON, "manage.py", "runserver", f"{args.host}:{args.port}", "--noreload"],
        # -B embeds the beat scheduler; one worker process keeps SQLite writers few.
        "worker": [PYTHON, "-m", "celery", "-A", "config", "worker", "-B", "--loglevel=INFO", "--concurrency=1"],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}  # noqa: S603
    print(f"SoulSeer is running at http://{args.host}:{args.port}/ (web, worker and scheduler). Ctrl-C stops it.")

    def stop(*_: object) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
    finally:
        stop()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return max((child.returncode or 0) for child in children.values())


if __name__ == "__main__":
    sys.exit(main())
