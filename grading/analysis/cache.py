"""On-disk cache of shot statistics, keyed by what they depend on.

A key is the SHA-256 of (statistics version, media identity — path, size, mtime, see
:func:`cinegrade.analysis.sampler.shot_identity` —, the shot's source range, the sampling
settings). Touching, replacing or re-rendering the media changes the identity, so a stale entry
is never read; it is simply not found. Entries are small JSON files
(``<folder>/<key[:2]>/<key>.json``: ``{"version", "stats", "frames"}``) written atomically
(:mod:`cinegrade.media.atomic`), so parallel workers, or several machines
sharing the folder, can read and write it at once.

Only analysed shots are stored: a missing or unreadable file may be fixed before the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cinegrade.analysis.stats import STATS_VERSION, ShotStats
from cinegrade.media.atomic import write_text_atomically

CACHE_VERSION = 1
#: Environment variable naming the cache folder (else $XDG_CACHE_HOME/cinegrade/stats).
CACHE_ENV = "CINEGRADE_CACHE_DIR"


def default_cache_folder() -> Path:
    """``$CINEGRADE_CACHE_DIR``, else ``$XDG_CACHE_HOME/cinegrade/stats``, else
    ``~/.cache/cinegrade/stats``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cinegrade" / "stats"


def cache_key(identity: Any, source: Any, settings: Any) -> str:
    """Hex SHA-256 of the JSON of (cache and statistics versions, media identity, source range,
    settings); dataclasses are taken field by field."""
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {"_type": type(value).__name__, **dataclasses.asdict(value)}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    text = json.dumps([CACHE_VERSION, STATS_VERSION, plain(identity), plain(source),
                       plain(settings)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class StatsCache:
    """A folder of cached :class:`ShotStats` (created on first write)."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_folder()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> tuple[ShotStats, tuple[int, ...]] | None:
        """(stats, sampled media frames) stored under ``key``, or None (absent, unreadable, or
        written by another version)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            if data.get("version") != CACHE_VERSION:
                return None
            stats = ShotStats.from_json(data["stats"])
            if stats.version != STATS_VERSION or not stats.analysed:
                return None
            return stats, tuple(int(f) for f in data.get("frames", ()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def get_json(self, key: str) -> Any | None:
        """The document :meth:`put_json` stored under ``key`` (another version's: None)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return data["value"] if data.get("version") == CACHE_VERSION else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put_json(self, key: str, value: Any) -> None:
        """Store a JSON-able ``value`` (a cut's measure, a shot's flicker) atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, json.dumps({"version": CACHE_VERSION, "value": value}))

    def put(self, key: str, stats: ShotStats, frames: tuple[int, ...] = ()) -> None:
        """Store an analysed shot's stats atomically; not-analysed shots are not stored.
        ``OSError`` when the folder cannot be created or written."""
        if not stats.analysed:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(path, json.dumps({"version": CACHE_VERSION, "stats": stats.to_json(),
                                                "frames": list(frames)}))
