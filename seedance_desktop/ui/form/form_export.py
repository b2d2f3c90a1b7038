"""Turning the form's request into text for the clipboard: JSON and a curl command.

The key is never put in the text: curl reads it from ``$MODELLIX_API_KEY`` in the user's shell.
Local files are not URLs yet, so they appear as a readable marker saying they are uploaded on
submit (a copied command is for inspection or for use with hosted URLs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seedance_desktop.api.defaults import DEFAULT_BASE_URL
from seedance_desktop.api.spec import FieldKind, ModelSpec
from seedance_desktop.core.job import InputFile

KEY_VARIABLE = "$MODELLIX_API_KEY"


def local_marker(path: str) -> str:
    return f"<local file {Path(path).name}: uploaded on submit>"


def display_request(spec: ModelSpec, request: dict[str, Any], inputs: list[InputFile]) -> dict[str, Any]:
    """The request with every local input put in its slot (by field and index) as a marker."""
    shown: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v) for k, v in request.items()}
    for item in inputs:
        marker = local_marker(item.local_path)
        if spec.has_field(item.field) and spec.field(item.field).kind is FieldKind.MEDIA_LIST:
            values = shown.setdefault(item.field, [])
            while len(values) <= item.index:
                values.append(None)
            values[item.index] = marker
        else:
            shown[item.field] = marker
    return shown


def request_json(spec: ModelSpec, request: dict[str, Any], inputs: list[InputFile]) -> str:
    return json.dumps(display_request(spec, request, inputs), indent=2, ensure_ascii=False)


def _shell_single_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_command(spec: ModelSpec, request: dict[str, Any], inputs: list[InputFile], base_url: str | None) -> str:
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    body = json.dumps(display_request(spec, request, inputs), ensure_ascii=False)
    return (
        f"curl -X POST {_shell_single_quote(base + spec.submit_path)} \\\n"
        f'  -H "Authorization: Bearer {KEY_VARIABLE}" \\\n'
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {_shell_single_quote(body)}"
    )
