"""Where the Modellix API key is kept.

Order of preference when reading: ``$MODELLIX_API_KEY`` (scripts, CI) → this session's memory →
the OS credential store (keyring) → a 0600 file, only ever written with the user's explicit
consent when no secure store exists. ``keyring`` is imported lazily: importing it costs ~130 ms
of start-up, and most launches only need it once. The key is never logged, never put in a
repr, and never written anywhere else (settings, DB, sidecars).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from seedance_desktop.core.fileio import atomic_write_text
from seedance_desktop.core.paths import AppPaths
from seedance_desktop.errors import SeedanceError

ENV_VAR = "MODELLIX_API_KEY"
Storage = Literal["keyring", "file", "session"]
StorageKind = Literal["env", "session", "keyring", "file"]

#: Backends that store nothing or store it in plain text do not count as a secure store.
_INSECURE_BACKENDS = {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}


class SecretStoreError(SeedanceError):
    """The keyring or the key file cannot be used; ``user_message`` says what to do."""


def mask(key: str | None) -> str:
    """A display form that identifies the key without revealing it: ``sk-…abcd``."""
    if not key:
        return ""
    if len(key) >= 12:
        return f"{key[:3]}…{key[-4:]}"
    return "…" + key[-2:] if len(key) > 4 else "…"


def _is_secure(backend: Any) -> bool:
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name in _INSECURE_BACKENDS or cls.__module__.startswith("keyrings.alt"):
        return False
    chained = getattr(backend, "backends", None)
    if name == "keyring.backends.chainer.ChainerBackend" or (chained is not None and isinstance(chained, list)):
        return any(_is_secure(b) for b in chained or [])
    try:
        return float(getattr(backend, "priority", 0)) > 0
    except Exception:  # a backend whose priority probe fails is not usable
        return False


class SecretStore:
    def __init__(
        self,
        service: str | AppPaths = "seedance-desktop",
        file_path: str | Path | None = None,
        *,
        username: str = "api-key",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(service, AppPaths):  # SecretStore(paths): the key file under those paths
            file_path = service.key_file if file_path is None else file_path
            service = "seedance-desktop"
        self.service = service
        self.username = username
        self.file_path = Path(file_path) if file_path is not None else AppPaths.from_env().key_file
        self._environ = environ if environ is not None else os.environ
        self._session: str | None = None

    @classmethod
    def from_paths(cls, paths: AppPaths, **kwargs: Any) -> SecretStore:
        return cls(file_path=paths.key_file, **kwargs)

    def __repr__(self) -> str:  # never show the key
        return f"SecretStore(service={self.service!r}, storage_kind={self.storage_kind!r})"

    # ------------------------------------------------------------------ backend

    @staticmethod
    def _keyring() -> Any:
        import keyring  # lazy: see the module docstring

        return keyring

    def secure_backend_available(self) -> bool:
        """True when the OS credential store can hold the key (not the fail/null backends,
        not a plaintext ``keyrings.alt`` backend)."""
        try:
            keyring = self._keyring()
            return _is_secure(keyring.get_keyring())
        except Exception:  # NoKeyringError, a broken D-Bus, an import error: no secure store
            return False

    def _keyring_get(self) -> str | None:
        if not self.secure_backend_available():
            return None
        try:
            value = self._keyring().get_password(self.service, self.username)
        except Exception:  # a locked or broken store reads as "no key there"
            return None
        return value or None

    # ------------------------------------------------------------------ reading

    def _lookup(self) -> tuple[str | None, StorageKind | None]:
        env = (self._environ.get(ENV_VAR) or "").strip()
        if env:
            return env, "env"
        if self._session:
            return self._session, "session"
        value = self._keyring_get()
        if value:
            return value, "keyring"
        value = self._read_file()
        if value:
            return value, "file"
        return None, None

    def get_key(self) -> str | None:
        """The key to use, or None when none is configured."""
        return self._lookup()[0]

    @property
    def storage_kind(self) -> StorageKind | None:
        """Where the current key comes from: "env", "session", "keyring", "file" or None."""
        return self._lookup()[1]

    def _read_file(self) -> str | None:
        """The key from the 0600 file. Opened with O_NOFOLLOW and checked to be a regular file
        we own: a symlink planted in its place could otherwise make us read (and chmod) a
        file of someone else's choosing. Permissions someone loosened are repaired on the
        open descriptor, never through a path that could be swapped."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.file_path, flags)
        except OSError:  # missing, a symlink (ELOOP), unreadable
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
                return None
            if hasattr(os, "fchmod") and stat.S_IMODE(info.st_mode) != 0o600:
                try:
                    os.fchmod(fd, 0o600)
                except OSError:
                    pass
            with os.fdopen(fd, "r", encoding="utf-8", closefd=False) as handle:
                text = handle.read(64 * 1024).strip()
        except (OSError, UnicodeDecodeError):
            return None
        finally:
            os.close(fd)
        return text or None

    # ------------------------------------------------------------------ writing

    def set_key(self, key: str, storage: Storage = "keyring", *, consent: bool = False) -> None:
        """Keep ``key``. "keyring" needs a secure store (raises SecretStoreError otherwise);
        "file" needs ``consent=True`` (the user confirmed a plaintext 0600 file); "session"
        keeps it in memory until the app quits."""
        key = key.strip()
        if not key:
            raise SecretStoreError("empty key", user_message="Enter an API key first.")
        if storage == "session":
            self._session = key
            return
        if storage == "keyring":
            if not self.secure_backend_available():
                raise SecretStoreError(
                    "no secure keyring backend",
                    user_message=(
                        "This system has no secure credential store. Keep the key for this session "
                        "only, or agree to store it in a private file."
                    ),
                )
            try:
                self._keyring().set_password(self.service, self.username, key)
            except Exception as exc:  # never include the key in the message
                raise SecretStoreError(
                    f"keyring refused the key: {type(exc).__name__}",
                    user_message="The credential store refused to save the key. Try again, or keep it for this session only.",
                ) from None
            self._session = None
            self._remove_file()  # the secure copy supersedes any plaintext one
            return
        if storage == "file":
            if not consent:
                raise SecretStoreError(
                    "file storage needs consent",
                    user_message="Storing the key in a plain file needs your explicit confirmation.",
                )
            self._write_file(key)
            self._session = None
            return
        raise ValueError(f"unknown storage {storage!r}")

    def _write_file(self, key: str) -> None:
        atomic_write_text(self.file_path, key + "\n", mode=0o600)

    def _remove_file(self) -> None:
        try:
            self.file_path.unlink()
        except FileNotFoundError:
            pass

    def delete_key(self) -> None:
        """Forget the key everywhere we stored it (the environment variable is the user's)."""
        self._session = None
        if self.secure_backend_available():
            try:
                self._keyring().delete_password(self.service, self.username)
            except Exception:  # PasswordDeleteError when there was none
                pass
        self._remove_file()
