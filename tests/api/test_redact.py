"""Log redaction: URLs lose their query and userinfo; keys and Bearer tokens are masked."""

from __future__ import annotations

import logging

import pytest

from seedance_desktop.api.redact import Redactor, install_log_redaction, redact_url

SECRET = "sk-live-SUPERSECRET-0123456789"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://files.example.com/out/v.mp4?X-Amz-Signature=abc&Expires=1", "https://files.example.com/out/v.mp4?…"),
    ("https://user:pw@host.example:8443/a/b?x=1#frag", "https://host.example:8443/a/b?…"),
    ("http://127.0.0.1:8080/api/v1/tasks/t1", "http://127.0.0.1:8080/api/v1/tasks/t1"),
    ("https://[::1]:9/x?y", "https://[::1]:9/x?…"),
    ("/relative/path?token=abc", "/relative/path?…"),
    ("data:image/png;base64,AAAABBBB", "data:image/png;base64,…(30 chars)"),
])
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redactor_masks_everything_sensitive() -> None:
    redactor = Redactor([SECRET, "ab"])  # too-short secrets are ignored (they would mask everything)
    text = (f"key={SECRET} Authorization: Bearer abc.def-ghi GET https://cdn.example/v.mp4?sig=xyz&e=1 "
            f"https://u:p@h.example/p signature=deadbeef ok lab")
    out = redactor(text)
    assert SECRET not in out and "abc.def-ghi" not in out and "sig=xyz" not in out
    assert "u:p@" not in out and "deadbeef" not in out
    assert "https://cdn.example/v.mp4?…" in out and out.endswith(" ok lab")


def test_installed_redaction_covers_caplog_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction([SECRET])
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("seedance_desktop.api.test")
    log.info("using key %s for %s", SECRET, "https://h.example/r.mp4?X-Amz-Signature=zzz")
    logging.getLogger("elsewhere").warning("header Bearer %s", SECRET)
    try:
        raise RuntimeError(f"failed with {SECRET} at https://h.example/x?token=qqq")
    except RuntimeError:
        log.exception("boom")
    text = caplog.text
    assert SECRET not in text and "zzz" not in text and "qqq" not in text
    assert "https://h.example/r.mp4?…" in text and "boom" in text and "RuntimeError" in text


def test_register_secret_later(caplog: pytest.LogCaptureFixture) -> None:
    from seedance_desktop.api.redact import register_secret

    late = "sk-entered-later-in-settings-42"
    register_secret(late)
    caplog.set_level(logging.INFO)
    logging.getLogger("seedance_desktop.ui").info("saved %s", late)
    assert late not in caplog.text and "saved ***" in caplog.text
