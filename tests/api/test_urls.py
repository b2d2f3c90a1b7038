"""The one module of URL rules: base URLs, remote sources, scrubbing signed query strings."""

from __future__ import annotations

import pytest

from seedance_desktop.api.errors import ConfigurationError
from seedance_desktop.api.urls import check_base_url, is_remote, redact_url, scrub_text, scrub_urls, strip_query


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://api.modellix.ai", True), ("https://api.modellix.ai/", True), ("HTTPS://api.modellix.ai", True),
     ("http://127.0.0.1:9000", True), ("http://localhost:1", True), ("http://[::1]:80", True),
     ("http://api.modellix.ai", False), ("not a url", False), ("https://", False),
     ("https://x.example/?a=1", False), ("https://x.example/#f", False), ("https://u:p@x.example", False),
     ("ftp://x.example", False), ("https://x.example:99999", False)],
)
def test_check_base_url(url: str, ok: bool) -> None:
    if ok:
        assert check_base_url(url).startswith(("https://", "http://"))
        assert not check_base_url(url).endswith("/")
    else:
        with pytest.raises(ConfigurationError) as caught:
            check_base_url(url)
        assert caught.value.user_message


@pytest.mark.parametrize(
    ("source", "remote"),
    [("https://x/a.mp4", True), ("HTTP://x/a.mp4", True), ("data:image/png;base64,AAAA", True),
     ("ftp://x/a.mp4", True), ("/home/me/clip.mp4", False), ("clip.mp4", False), ("C:\\clips\\a.mp4", False)],
)
def test_is_remote(source: str, remote: bool) -> None:
    assert is_remote(source) is remote


def test_scrubbing_removes_signatures_whatever_the_case_and_depth() -> None:
    assert strip_query("https://cdn/x.mp4?sig=abc#frag") == "https://cdn/x.mp4"
    value = {"a": ["HTTPS://cdn/x.mp4?X-Amz-Signature=s"], "b": {"c": "data:image/png;base64,QUJD"}, "n": 3}
    assert scrub_urls(value) == {"a": ["https://cdn/x.mp4"], "b": {"c": "data:image/png;base64,…"}, "n": 3}
    deep: object = "https://cdn/y?sig=1"
    for _ in range(5000):
        deep = [deep]
    scrubbed = scrub_urls(deep)
    assert "sig=" not in repr(scrubbed)[-2000:]  # no recursion error; the tail is a marker
    assert scrub_text("see https://cdn/z.mp4?token=t now") == "see https://cdn/z.mp4 now"
    assert redact_url("https://cdn/z.mp4?token=t") == "https://cdn/z.mp4?…"
