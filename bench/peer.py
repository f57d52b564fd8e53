"""The peer of `make bench`: django-ledger 0.8.5, the Django accounting app a user would otherwise pick, in a
scratch virtualenv of its own (never in the project's dependencies), measured in the same run as Ledgerline.

`Peer` starts `bench/peer_worker.py` with that virtualenv's Python, lets it build the same data through
django-ledger's models, and times one of its pages per call, so `bench.pages` can interleave the two sides:
one run of ours, one of the peer's, and so on, which keeps the ratio fair on a noisy machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

PEER_PACKAGE = "django-ledger==0.8.5"
DEFAULT_VENV = Path(os.environ.get("PEER_VENV", "/tmp/ledgerline-peer-venv"))
WORKER = Path(__file__).with_name("peer_worker.py")

# Our scenario (name, size) → the peer's page that does the same job.
COUNTERPARTS = {
    ("editable card", "200 lines"): ("bill update", "200 lines"),
    ("posted card", "10 lines"): ("bill detail", "10 lines"),
    ("posted card", "200 lines"): ("bill detail", "200 lines"),
    ("invoices list, one page", None): ("bill list", "one page"),
    ("create + post + pay (services)", "5 lines"): ("create → approve → paid", "5 lines"),
}


class PeerUnavailable(Exception):
    """The peer could not be installed or started: the bench goes on without its column."""


def counterpart(scenario, size):
    return COUNTERPARTS.get((scenario, size)) or COUNTERPARTS.get((scenario, None))


def ensure_venv(venv=DEFAULT_VENV):
    """The peer's virtualenv, created and filled on first use; its Python."""
    python = venv / "bin" / "python"
    import django

    # Our Django release under the peer too (pip alone would take the newest): the ratio compares the two apps,
    # not two Django releases.
    ours = f"Django=={django.get_version()}"
    packages, modules = [PEER_PACKAGE, ours], "django_ledger"
    if os.environ.get("DATABASE_URL"):  # the peer on the same PostgreSQL server as ours
        packages, modules = [*packages, "psycopg[binary]"], "django_ledger, psycopg"
    same = f"import django, {modules}; assert django.get_version() == {django.get_version()!r}"
    check = [str(python), "-c", same]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    steps = [[sys.executable, "-m", "venv", str(venv)], [str(python), "-m", "pip", "install", "--quiet", *packages]]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            raise PeerUnavailable(f"{' '.join(step[-2:])} failed: {(result.stderr or result.stdout).strip()[-300:]}")
    return python


class Peer:
    """One django-ledger worker with its data built; `run(name, size)` → (queries, ms) of one timed run."""

    def __init__(self, *, documents, venv=DEFAULT_VENV):
        python = ensure_venv(venv)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self.process = subprocess.Popen(
            [str(python), str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        if not self._ask({"build": {"documents": documents}}).get("ok"):
            raise PeerUnavailable("the peer could not build its data")

    def _ask(self, command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise PeerUnavailable("the peer worker stopped (its error is above)")
        return json.loads(answer)

    def run(self, name, size):
        answer = self._ask({"run": name, "size": size})
        return answer["queries"], answer["ms"]

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=120)
