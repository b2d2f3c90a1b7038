"""Where the app keeps its files.

Everything hangs off one :class:`AppPaths` value built once by the composition root and passed
down, so tests (and portable installs) can put the whole app under one folder with
``SEEDANCE_HOME`` or an explicit override instead of touching the real home directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "seedance-desktop"
HOME_ENV = "SEEDANCE_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def from_env(cls, override_dir: str | Path | None = None) -> AppPaths:
        """An explicit ``override_dir`` wins, then ``$SEEDANCE_HOME``, then the platform's
        standard per-user folders (via platformdirs)."""
        root = override_dir if override_dir is not None else os.environ.get(HOME_ENV) or None
        if root is not None:
            base = Path(root).expanduser()
            return cls(base / "config", base / "data", base / "cache", base / "logs")
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> AppPaths:
        """Create the folders, private to the user (0700): they hold prompts and job history."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def key_file(self) -> Path:
        """The plaintext key file, used only with the user's explicit consent."""
        return self.config_dir / "api-key"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "seedance-desktop.log"

    @property
    def thumbnail_dir(self) -> Path:
        return self.cache_dir / "thumbnails"

    @property
    def conform_dir(self) -> Path:
        """Conformed (trimmed/re-encoded) copies of local clips waiting for upload."""
        return self.cache_dir / "conformed"


def default_output_dir() -> Path:
    """The user's videos folder, subfolder ``Seedance``."""
    return Path(platformdirs.user_videos_dir()) / "Seedance"
