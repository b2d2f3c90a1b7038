"""The API key store with the null backend, a fake in-memory keyring, env and file storage."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.null
import keyring.errors
import pytest

from seedance_desktop.core.secrets import SecretStore, SecretStoreError, _is_secure, mask

KEY = "sk-live-0123456789abcd"


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("none")
        del self.items[(service, username)]


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's plaintext file backend."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def _store(tmp_path: Path, **env: str) -> SecretStore:
    return SecretStore(file_path=tmp_path / "cfg" / "api-key", environ=env)


def test_null_backend_is_not_secure(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert type(keyring.get_keyring()).__name__ == "Keyring"  # conftest: null backend
    assert store.secure_backend_available() is False
    assert store.get_key() is None and store.storage_kind is None
    with pytest.raises(SecretStoreError) as info:
        store.set_key(KEY)
    assert "no secure credential store" in info.value.user_message
    assert KEY not in str(info.value) and KEY not in info.value.user_message


def test_session_only(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.set_key(f"  {KEY}\n", storage="session")
    assert store.get_key() == KEY and store.storage_kind == "session"
    assert not (tmp_path / "cfg").exists()
    assert KEY not in repr(store)
    store.delete_key()
    assert store.get_key() is None


def test_file_needs_consent_and_is_private(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(SecretStoreError):
        store.set_key(KEY, storage="file")
    assert not store.file_path.exists()
    store.set_key(KEY, storage="file", consent=True)
    assert stat.S_IMODE(store.file_path.stat().st_mode) == 0o600
    assert [p.name for p in store.file_path.parent.iterdir()] == ["api-key"]
    fresh = _store(tmp_path)  # a restarted app finds it
    assert fresh.get_key() == KEY and fresh.storage_kind == "file"
    store.file_path.chmod(0o644)
    fresh.get_key()
    assert stat.S_IMODE(store.file_path.stat().st_mode) == 0o600  # loosened perms are repaired
    fresh.delete_key()
    assert not store.file_path.exists() and fresh.get_key() is None


def test_key_file_is_never_read_or_chmodded_through_a_symlink(tmp_path: Path) -> None:
    """Issue 8 item 13: a symlink planted at the key file's path must not make the app read
    another file as the key, nor chmod that file."""
    store = _store(tmp_path)
    elsewhere = tmp_path / "someone-elses-file"
    elsewhere.write_text("not-a-key\n")
    elsewhere.chmod(0o644)
    store.file_path.parent.mkdir(parents=True, exist_ok=True)
    store.file_path.symlink_to(elsewhere)
    assert store.get_key() is None
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o644


def test_memory_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    store = _store(tmp_path)
    store.set_key(KEY, storage="file", consent=True)
    assert store.secure_backend_available() is True
    store.set_key(KEY)
    assert memory_keyring.items == {("seedance-desktop", "api-key"): KEY}
    assert not store.file_path.exists()  # the secure copy replaces the plaintext one
    assert _store(tmp_path).storage_kind == "keyring"
    store.delete_key()
    assert memory_keyring.items == {}
    store.delete_key()  # deleting twice is fine


def test_env_wins(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    store = _store(tmp_path, MODELLIX_API_KEY="env-key-123456789")
    store.set_key(KEY, storage="session")
    assert store.get_key() == "env-key-123456789" and store.storage_kind == "env"
    assert _store(tmp_path, MODELLIX_API_KEY="  ").get_key() is None


def test_plaintext_and_chained_backends(memory_keyring: MemoryKeyring) -> None:
    assert _is_secure(PlaintextKeyring()) is False
    assert _is_secure(keyring.backends.null.Keyring()) is False
    assert _is_secure(MemoryKeyring()) is True

    class Chain:
        def __init__(self, backends: list[object]) -> None:
            self.backends = backends

    assert _is_secure(Chain([PlaintextKeyring()])) is False
    assert _is_secure(Chain([PlaintextKeyring(), MemoryKeyring()])) is True


def test_broken_keyring_reads_as_no_key(tmp_path: Path) -> None:
    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError("no " + password)

    previous = keyring.get_keyring()
    keyring.set_keyring(Broken())
    try:
        store = _store(tmp_path)
        assert store.get_key() is None
        with pytest.raises(SecretStoreError) as info:
            store.set_key(KEY)
        assert KEY not in str(info.value) and info.value.__cause__ is None
    finally:
        keyring.set_keyring(previous)


def test_mask() -> None:
    assert mask(KEY) == "sk-…abcd"
    assert mask("short12") == "…12"
    assert mask("abc") == "…" and mask(None) == ""


def test_keyring_is_imported_lazily() -> None:
    code = "import sys, seedance_desktop.core.secrets; print('keyring' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_built_from_app_paths(tmp_path: Path) -> None:
    from seedance_desktop.core.paths import AppPaths

    paths = AppPaths.from_env(tmp_path / "home")
    for store in (SecretStore(paths, environ={}), SecretStore.from_paths(paths, environ={})):
        assert store.file_path == paths.key_file and store.service == "seedance-desktop"
    SecretStore(paths, environ={}).set_key(KEY, storage="file", consent=True)
    assert SecretStore.from_paths(paths, environ={}).get_key() == KEY
