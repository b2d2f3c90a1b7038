"""The one unit for sizes shown to people: decimal megabytes.

The API's limits are written "50 MB" (read strictly, decimal) and "16 MiB" (the File API). A
file's size and the limit it is checked against must be in the same unit, so every text (the
form's file rows, the local checks, the preparing notes, the command line) uses these helpers.
"""

from __future__ import annotations

MB = 1_000_000


def size_text(n: float | None) -> str:
    """"12.3 MB", "850 kB", "?" for unknown."""
    if n is None:
        return "?"
    return f"{n / 1000:.0f} kB" if n < MB else f"{n / MB:.1f} MB"
