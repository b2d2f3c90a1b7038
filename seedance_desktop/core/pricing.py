"""The pre-send estimate of a job's charge: the one place both faces price a request.

Modellix bills per second of output by resolution and reports the real charge with the result
(``billing.amount``, kept as ``Job.cost``). Before sending, all we have is a price table: the
model spec's (``api.spec``), overridden per model and resolution by the person's own table in
Settings (``Settings.prices``), because prices change and differ between accounts. Every figure
from here is an *estimate* and is labelled so wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seedance_desktop.api.spec import MODELS, estimate_cost

#: {model slug: {resolution: USD per second}}: the overrides kept in Settings.
PriceOverrides = Mapping[str, Mapping[str, float]]


def price_table(model: str, overrides: PriceOverrides | None = None) -> dict[str, float]:
    """USD per output second by resolution for ``model``: the spec's table with the person's
    overrides on top (an override may name only some resolutions)."""
    spec = MODELS.get(model)
    table = dict(spec.price_per_second) if spec is not None else {}
    table.update((overrides or {}).get(model, {}))
    return table


def request_shape(model: str, request: Mapping[str, Any]) -> tuple[str, int | None]:
    """(resolution, duration) the request will be billed for: its values, else the model's
    defaults (the server applies the same defaults)."""
    spec = MODELS.get(model)
    resolution = request.get("resolution")
    duration = request.get("duration")
    if spec is not None:
        if not isinstance(resolution, str) and spec.has_field("resolution"):
            resolution = spec.field("resolution").default
        if not (isinstance(duration, int) and not isinstance(duration, bool)) and spec.has_field("duration"):
            duration = spec.field("duration").default
    ok_duration = duration if isinstance(duration, int) and not isinstance(duration, bool) else None
    return str(resolution or ""), ok_duration


def estimate_request(model: str, request: Mapping[str, Any], overrides: PriceOverrides | None = None) -> float | None:
    """The estimated charge (USD) of sending ``request`` to ``model``; None when no price is
    known for its resolution."""
    spec = MODELS.get(model)
    resolution, duration = request_shape(model, request)
    if spec is None or duration is None:
        return None
    return estimate_cost(spec, resolution, duration, price_table(model, overrides))


__all__ = ["PriceOverrides", "estimate_request", "price_table", "request_shape"]
