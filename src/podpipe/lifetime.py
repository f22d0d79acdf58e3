"""Process lifetimes: children that end with their parent, and PIDs that cannot be mistaken for others.

A stage worker or a served scan whose parent was killed (kill -9, out of memory) must not go on
using the CPU and holding an episode nobody waits for; and a PID written to a file must not match
an unrelated process that got the same number after a reboot or a wrap-around.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

POLL_SECONDS = 1.0


def exit_when_parent_dies(parent: int | None = None, poll_seconds: float = POLL_SECONDS) -> None:
    """End this process (exit code 1) once its parent (``parent``, default: the current one) is gone.

    A watchdog thread rather than Linux's PR_SET_PDEATHSIG: that signal fires when the parent
    *thread* that started us exits, and stage workers are started from short-lived task threads.
    Pass the parent's PID where it is known: a parent that died before this call is then noticed too.
    """
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its closing one.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19])


def is_running(pid: int, started: int | None) -> bool:
    """Whether ``pid`` is still the process that was started at ``started`` (a zombie is not)."""
    if _is_zombie(pid):
        return False
    if started is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return start_time(pid) == started


def kill_group(pid: int, started: int | None, grace_seconds: float = 10.0) -> None:
    """SIGTERM to ``pid``'s process group, then SIGKILL if it is still there after ``grace_seconds``."""
    if not is_running(pid, started):
        return
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not is_running(pid, started) or _is_zombie(pid):
                return
            time.sleep(0.1)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].startswith("Z")
