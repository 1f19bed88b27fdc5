"""A real HTTP remote cache on loopback: nginx serving a directory with WebDAV PUT.

Bazel's HTTP cache protocol is plain GET/PUT of /ac/<digest> (action results) and
/cas/<digest> (file contents); a miss is a 404. nginx's dav module accepts the PUTs.
`running_cache` starts nginx in the foreground as our child (so that its process id is known)
and always stops it, also when the check fails or is interrupted.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

_CONFIG = """\
daemon off;
master_process on;
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 128; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/tmp/body;
  proxy_temp_path {root}/tmp/proxy;
  fastcgi_temp_path {root}/tmp/fastcgi;
  uwsgi_temp_path {root}/tmp/uwsgi;
  scgi_temp_path {root}/tmp/scgi;
  client_max_body_size 0;
  server {{
    listen 127.0.0.1:{port};
    root {root}/store;
    location / {{
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }}
  }}
}}
"""


class CacheError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM nginx if we die (even by SIGKILL), so no server
    outlives an interrupted check."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _answers(url: str) -> bool:
    """A PUT followed by a GET of the same object round-trips (i.e. WebDAV PUT works)."""
    body = b"rules_microtvm hermetic check"
    try:
        put = urllib.request.Request(url + "/probe/put-test", data=body, method="PUT")
        with urllib.request.urlopen(put, timeout=2):
            pass
        with urllib.request.urlopen(url + "/probe/put-test", timeout=2) as reply:
            return reply.read() == body
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # nginx: fast shutdown of the master and its workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(nginx: str, root: Path) -> tuple[subprocess.Popen, str]:
    for directory in ("store", "tmp"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    # A root master would hand the work to "nobody", who cannot write into our private temp dir.
    user = "user root root;" if os.geteuid() == 0 else ""
    last_error = ""
    for _attempt in range(5):
        port = _free_port()
        config = root / "nginx.conf"
        config.write_text(_CONFIG.format(root=root, port=port, user=user))
        process = subprocess.Popen(
            [nginx, "-p", str(root), "-c", str(config), "-e", str(root / "error.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(url):
                return process, url
            time.sleep(0.2)
        _stop(process)
        log = root / "error.log"
        last_error = log.read_text(errors="replace")[-2000:] if log.exists() else "(no error log)"
        if "in use" not in last_error:
            break
    raise CacheError(f"nginx did not start as an HTTP cache on loopback; its error log:\n{last_error}")


@contextlib.contextmanager
def running_cache(nginx: str, root: Path) -> Iterator[str]:
    """Yields the URL of an empty HTTP cache stored under root; stops nginx on exit."""
    process, url = _start(nginx, root)
    try:
        yield url
    finally:
        _stop(process)


def stored_entries(root: Path) -> dict[str, tuple[int, int]]:
    """{"ac": (entries, bytes), "cas": (entries, bytes)}: what Bazel uploaded."""
    result = {}
    for area in ("ac", "cas"):
        files = [path for path in (root / "store" / area).rglob("*") if path.is_file()]
        result[area] = (len(files), sum(path.stat().st_size for path in files))
    return result
