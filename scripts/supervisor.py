"""Keep a set of process roles running (docs/adr/0020): a role that exits is started again after
a backoff (1, 2, 4, ... 30 s; back to 1 s once it has stayed up a while) and the restart is
logged; no other role is touched. `stop()` ends them all (SIGTERM, then SIGKILL).

`make run` (scripts/run.py) uses it on one machine; in production systemd (`Restart=always`,
`RestartSec`) or Kubernetes do the same job (deploy/README.md)."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Role:
    name: str
    argv: list[str]
    env: dict | None = None
    cwd: str | None = None
    # state, owned by the supervisor
    proc: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = 0.0
    restart_at: float | None = None
    delay: float = 0.0
    restarts: int = 0


class Supervisor:
    def __init__(self, roles: list[Role], *, log: Callable[[str], None] = print, backoff_initial: float = 1.0,
                 backoff_max: float = 30.0, stable_after: float = 60.0, poll_interval: float = 0.2):
        self.roles = {r.name: r for r in roles}
        self.log = log
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.stable_after, self.poll_interval = stable_after, poll_interval
        # A plain flag: a signal handler may set it while the loop holds any lock.
        self.stop_requested = False
        self._lock = threading.Lock()  # check() and stop() may run on different threads

    def start(self) -> None:
        for role in self.roles.values():
            self._spawn(role)

    def _spawn(self, role: Role) -> None:
        # Each role in its own session: Ctrl-C in the terminal reaches only the supervisor, and a
        # role is stopped with everything it started (granian's workers, celery's pool).
        role.proc = subprocess.Popen(role.argv, env=role.env, cwd=role.cwd, start_new_session=True)
        role.started_at = time.monotonic()
        role.restart_at = None

    def pid(self, name: str) -> int | None:
        proc = self.roles[name].proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def check(self) -> None:
        """One round: notice exited roles, start those whose backoff is over."""
        with self._lock:
            self._check()

    def _check(self) -> None:
        now = time.monotonic()
        for role in self.roles.values():
            if self.stop_requested:
                return
            if role.restart_at is not None:
                if now >= role.restart_at:
                    self.log(f"[supervisor] starting {role.name} again (restart {role.restarts})")
                    self._spawn(role)
                continue
            code = role.proc.poll() if role.proc is not None else None
            if code is None:
                continue
            _kill_group(role.proc.pid, signal.SIGKILL)  # leftovers of the dead role (workers, pool)
            uptime = now - role.started_at
            if uptime >= self.stable_after or role.delay == 0:
                role.delay = self.backoff_initial  # it had been healthy: restart promptly
            else:
                role.delay = min(role.delay * 2, self.backoff_max)
            role.restarts += 1
            role.restart_at = now + role.delay
            how = f"signal {-code}" if code < 0 else f"code {code}"
            self.log(f"[supervisor] {role.name} exited ({how}) after {uptime:.1f} s; "
                     f"restarting in {role.delay:g} s")

    def request_stop(self) -> None:
        """Safe from a signal handler: `run()` returns soon after, then call `stop()`."""
        self.stop_requested = True

    def run(self) -> None:
        """Supervise until `request_stop()` (a signal handler or another thread)."""
        while not self.stop_requested:
            self.check()
            time.sleep(self.poll_interval)

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_requested = True
        with self._lock:
            running = [r.proc for r in self.roles.values() if r.proc is not None]
        for proc in running:
            _kill_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait()


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
