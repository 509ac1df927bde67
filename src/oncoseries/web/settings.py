"""Server settings: where data lives, who may log in, limits. Filled by `oncoseries serve` options."""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


def default_data_dir() -> Path:
    """A per-user data folder: $XDG_DATA_HOME/oncoseries (Linux), ~/Library/Application Support
    (macOS), %LOCALAPPDATA% (Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "oncoseries"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the usual names for them."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None          # default: sqlite:///<data_dir>/oncoseries.db
    token: str | None = None                 # with a token, every /api call needs "Bearer TOKEN"
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: float = 50.0
    workers: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    secret_key: str | None = None            # signs session cookies; default: kept in data_dir
    users_file: Path | None = None           # optional users (argon2 hashes), see docs/web.md
    warm_workers: bool = False               # start the worker processes at startup (oncoseries serve does)

    def __post_init__(self):
        self.data_dir = Path(self.data_dir)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'oncoseries.db').resolve()}"

    def refusal(self) -> str | None:
        """Why the server must not start (INTERFACE §3: off loopback only with a token or users)."""
        if is_loopback(self.host) or self.token or self.users_file:
            return None
        return (f"refusing to serve on {self.host}: off loopback a login is required "
                "(give --token TOKEN or --users FILE, or serve on 127.0.0.1)")
