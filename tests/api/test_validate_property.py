"""Property tests: the client's validator agrees with the simulator's independent one.

* whatever ``validate_request`` accepts, the simulator accepts (``build_body`` output);
* whatever the simulator rejects, ``validate_request`` rejects too, naming the same field;
* every error names a field of the request or of the spec.

The simulator's validator is written from the SPEC separately from ``api.validate``, so the two
catch each other's mistakes. The bulk runs in-process; a smaller sample goes over loopback HTTP
through ``ModellixClient.submit`` (media URLs point at a closed local port, so the simulator
fails those tasks quickly instead of rendering them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedance_desktop.api.client import ModellixClient
from seedance_desktop.api.errors import ValidationError
from seedance_desktop.api.spec import MODELS, FieldKind, FieldSpec, ModelSpec
from seedance_desktop.api.validate import build_body, validate_request
from seedance_desktop.simulator.launcher import SimulatorThread
from seedance_desktop.simulator.validation import SIM_MODELS, BodyError, validate_body
from sim_fixtures import FAST_SIM

from seedance_desktop.simulator.server import SimulatorConfig

DATA_URI = "data:image/png;base64,iVBORw0KGgo="
GOOD_URLS = ["http://127.0.0.1:9/a.mp4", "https://127.0.0.1:9/b.png", "https://127.0.0.1:9/c.mp3?x=1"]
BAD_URLS = ["", "ftp://127.0.0.1/a", "/local/file.mp4", "data:image/png;base64,", "data:text/plain;base64,AA==",
            "127.0.0.1/a.mp4", "http:/oops", 7, None]


def media_item(spec: FieldSpec) -> st.SearchStrategy[Any]:
    pool: list[Any] = list(GOOD_URLS) + BAD_URLS
    pool.append(DATA_URI)
    return st.sampled_from(pool)


def field_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind is FieldKind.TEXT:
        return st.one_of(st.text(max_size=40), st.just(" "), st.just("x" * 2000), st.just("y" * 2001), st.integers())
    if spec.kind is FieldKind.INT:
        lo, hi = spec.minimum or 0, spec.maximum or 0
        return st.one_of(
            st.integers(min_value=lo - 2, max_value=lo + 2), st.integers(min_value=hi - 2, max_value=hi + 2),
            st.integers(min_value=lo, max_value=hi), st.booleans(), st.sampled_from([5.0, "5", None]),
        )
    if spec.kind is FieldKind.BOOL:
        return st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None]))
    if spec.kind is FieldKind.CHOICE:
        return st.one_of(st.sampled_from(spec.choices), st.sampled_from(["1080p", "2:1", "", 3, None]))
    if spec.kind is FieldKind.MEDIA:
        return media_item(spec)
    return st.one_of(
        st.lists(media_item(spec), min_size=0, max_size=spec.max_items + 1),
        st.lists(st.sampled_from(GOOD_URLS), min_size=1, max_size=spec.max_items),
        st.just("https://127.0.0.1:9/not-a-list.mp4"),
    )


def valid_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind is FieldKind.TEXT:
        return st.text(min_size=1, max_size=40).filter(lambda t: t.strip() != "")
    if spec.kind is FieldKind.INT:
        return st.integers(min_value=spec.minimum or 0, max_value=spec.maximum or 0)
    if spec.kind is FieldKind.BOOL:
        return st.booleans()
    if spec.kind is FieldKind.CHOICE:
        return st.sampled_from(spec.choices)
    items = st.sampled_from(GOOD_URLS + ([DATA_URI] if spec.allow_base64 else []))
    if spec.kind is FieldKind.MEDIA:
        return items
    return st.lists(items, min_size=max(1, spec.min_items), max_size=spec.max_items)


@st.composite
def requests(draw: st.DrawFn, spec: ModelSpec) -> dict[str, Any]:
    """A mostly valid request with 0-2 fields given arbitrary (often invalid) values."""
    names = [f.name for f in spec.fields]
    wild = set(draw(st.lists(st.sampled_from(names), max_size=2, unique=True)))
    if draw(st.integers(0, 2)) == 0:
        wild = set()
    values: dict[str, Any] = {}
    for fspec in spec.fields:
        if fspec.name in wild:
            if draw(st.integers(0, 4)):
                values[fspec.name] = draw(field_value(fspec))
        elif fspec.required or draw(st.integers(0, 9)) < 4:
            values[fspec.name] = draw(valid_value(fspec))
    for left, right in spec.exclusive:
        if any(n in values for n in left) and any(n in values for n in right) and draw(st.integers(0, 4)):
            for name in draw(st.sampled_from([left, right])):
                values.pop(name, None)
    if draw(st.integers(0, 19)) == 0:
        values[draw(st.sampled_from(["webhook", "video_urls", "foo"]))] = "https://127.0.0.1:9/x"
    return values


def normalised(values: dict[str, Any]) -> dict[str, Any]:
    """What a caller would send: unset values (None, "", []) dropped, as build_body does."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != []}


def sim_model(spec: ModelSpec):  # type: ignore[no-untyped-def]
    return SIM_MODELS[spec.slug.split("/", 1)[1]]


def check_agreement(spec: ModelSpec, values: dict[str, Any]) -> None:
    errors = validate_request(spec, values)
    known = {f.name for f in spec.fields} | set(values)
    assert all(e.field in known and e.message for e in errors), errors
    if not errors:
        validate_body(sim_model(spec), build_body(spec, values))  # must not raise
        return
    try:
        validate_body(sim_model(spec), normalised(values))
    except BodyError as rejected:
        assert rejected.field in {e.field for e in errors}, (rejected, errors)


@pytest.mark.parametrize("slug", sorted(MODELS))
@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validator_agrees_with_simulator_rules(slug: str, data: st.DataObject) -> None:
    spec = MODELS[slug]
    check_agreement(spec, data.draw(requests(spec)))


@pytest.fixture(scope="module")
def rich_sim() -> Iterator[SimulatorThread]:
    with SimulatorThread(SimulatorConfig(**{**FAST_SIM, "balance": 1e9, "fetch_timeout": 2.0})) as server:
        yield server


@pytest.mark.timeout(120)
@pytest.mark.parametrize("slug", ["bytedance/seedance-2.0-fast-v2v", "bytedance/seedance-2.0-fast-i2v"])
@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validator_agrees_with_simulator_over_http(rich_sim: SimulatorThread, slug: str, data: st.DataObject) -> None:
    spec = MODELS[slug]
    values = data.draw(requests(spec))
    errors = validate_request(spec, values)
    body = build_body(spec, values) if not errors else normalised(values)

    async def submit() -> Any:
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await ModellixClient(http, rich_sim.base_url, rich_sim.api_key).submit(spec, body)

    if not errors:
        assert asyncio.run(submit()).task_id
        return
    try:
        asyncio.run(submit())
    except ValidationError as rejected:
        assert rejected.field_errors, rejected
        assert rejected.field_errors[0].field in {e.field for e in errors}, (rejected, errors)
