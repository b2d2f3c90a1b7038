"""Pure conversions between what the form shows and a job recipe (no widgets here).

A media field in the form is an ordered list of sources: URLs (sent as they are) and absolute
local paths (uploaded at submit). A recipe keeps only URLs in ``request``: a list field keeps
its full length with ``None`` in each local file's slot, and ``inputs`` names each local file by
field and 0-based position, so the engine (``core.transfers.request_with_urls``) puts the
uploaded URL into exactly that slot. A single-valued field with a local file is left out of
``request``.
"""

from __future__ import annotations

import os
from typing import Any

from seedance_desktop.api.spec import FieldKind, ModelSpec
from seedance_desktop.api.urls import is_remote
from seedance_desktop.core.cost import usd
from seedance_desktop.core.job import InputFile
from seedance_desktop.core.pricing import PriceOverrides, estimate_request
from seedance_desktop.ui.form.form_validation import LOCAL_PLACEHOLDER


def split_media(
    spec: ModelSpec, scalars: dict[str, Any], media: dict[str, list[str]],
    edits: dict[str, list[dict[str, Any] | None]] | None = None,
) -> tuple[dict[str, Any], list[InputFile], dict[str, Any]]:
    """(request without local paths, inputs, values to validate with local files stood in for).

    ``media`` holds only the fields that are in use (the inactive exclusive group is left out);
    ``edits`` each row's trim/framing (``InputFile.edit_fields()``), carried into its input.
    """
    request = dict(scalars)
    checked = dict(scalars)
    inputs: list[InputFile] = []
    for name, entries in media.items():
        if not entries:
            continue
        is_list = spec.field(name).kind is FieldKind.MEDIA_LIST
        remote = [s for s in entries if is_remote(s)]
        stand_ins: list[str] = []
        for index, source in enumerate(entries):
            if is_remote(source):
                stand_ins.append(source)
            else:
                rows = (edits or {}).get(name) or []
                edit = (rows[index] if index < len(rows) else None) or {}
                inputs.append(InputFile(field=name, index=index, local_path=source,
                                        trim_start=edit.get("trim_start"), trim_end=edit.get("trim_end"),
                                        framing=edit.get("framing")))
                stand_ins.append(LOCAL_PLACEHOLDER.format(field=name, index=index))
        if is_list:
            request[name] = [s if is_remote(s) else None for s in entries]
        elif remote:
            request[name] = remote[0]
        checked[name] = stand_ins if is_list or len(stand_ins) > 1 else stand_ins[0]
    return request, inputs, checked


def merge_recipe(
    spec: ModelSpec, request: dict[str, Any], inputs: list[InputFile]
) -> dict[str, Any]:
    """Every field's value for the widgets: defaults, the request, and local files put back at
    their positions (media fields become lists of sources)."""
    raw: dict[str, Any] = spec.defaults()
    raw.update({k: (list(v) if isinstance(v, list) else v) for k, v in request.items()})
    media = [f.name for f in spec.fields if f.kind in (FieldKind.MEDIA, FieldKind.MEDIA_LIST)]
    for name in media:
        value = raw.get(name)
        raw[name] = list(value) if isinstance(value, list) else ([value] if value else [])
    for f in spec.fields:
        if f.kind is FieldKind.TEXT:
            raw.setdefault(f.name, "")
    for item in inputs:
        values = raw.get(item.field)
        if not isinstance(values, list) or item.index < 0:
            continue
        path = item.local_path
        if not os.path.exists(path) and item.uploaded_url:
            path = item.uploaded_url  # the local copy is gone; the hosted one may still work
        while len(values) <= item.index:
            values.append(None)
        values[item.index] = path
    for name in media:  # slots nobody filled (a damaged recipe) are dropped, not sent as null
        raw[name] = [v for v in raw[name] if v]
    return raw


def recipe_edits(inputs: list[InputFile]) -> dict[str, list[dict[str, Any] | None]]:
    """Each media field's per-row trim/framing from a recipe's inputs (for the media lists)."""
    edits: dict[str, list[dict[str, Any] | None]] = {}
    for item in inputs:
        fields = item.edit_fields()
        if item.index < 0 or all(v is None for v in fields.values()):
            continue
        rows = edits.setdefault(item.field, [])
        rows.extend([None] * (item.index + 1 - len(rows)))
        rows[item.index] = dict(fields)
    return edits


def cost_text(spec: ModelSpec, values: dict[str, Any], prices: PriceOverrides | None, *, demo: bool = False) -> str:
    """What sending this recipe costs, for the Submit button: "≈ $0.69 (estimate)" priced by
    ``core.pricing`` (the model's table with the person's overrides), "nothing billed (demo)" in
    demo mode, "" when no price is known."""
    if demo:
        return "nothing billed (demo)"
    resolution, duration = values.get("resolution"), values.get("duration")
    if not isinstance(resolution, str) or not isinstance(duration, int):
        return ""
    cost = estimate_request(spec.slug, {"resolution": resolution, "duration": duration}, prices)
    return "" if cost is None else f"≈ {usd(cost)} (estimate)"
