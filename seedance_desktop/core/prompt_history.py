"""Prompt history: every prompt sent, found by a word, starred, stepped through.

The prompts are not copied anywhere: each job keeps its request (and so its prompt) in the
store, so the history is a view over the jobs (``JobStore.prompts``), one entry per distinct
prompt text with its newest use and its jobs. The only thing added is the set of starred
prompt texts (``JobStore.set_prompt_star``). Pure functions over those two, so the window's
search popup and its Ctrl+Up/Down stepping read the same list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class PromptSource(Protocol):
    def prompts(self) -> list[tuple[str, float, str]]: ...
    def starred_prompts(self) -> set[str]: ...


@dataclass
class PromptEntry:
    prompt: str
    last_used: float
    job_ids: list[str] = field(default_factory=list)   # newest first
    starred: bool = False

    @property
    def uses(self) -> int:
        return len(self.job_ids)


def history(rows: Iterable[tuple[str, float, str]], starred: set[str]) -> list[PromptEntry]:
    """One entry per distinct prompt, newest use first (rows come newest first)."""
    entries: dict[str, PromptEntry] = {}
    for prompt, at, job_id in rows:
        entry = entries.get(prompt)
        if entry is None:
            entries[prompt] = entry = PromptEntry(prompt, at, starred=prompt in starred)
        entry.last_used = max(entry.last_used, at)
        entry.job_ids.append(job_id)
    return sorted(entries.values(), key=lambda e: e.last_used, reverse=True)


def search(entries: Iterable[PromptEntry], query: str = "", *, starred_only: bool = False) -> list[PromptEntry]:
    """Entries whose prompt contains every word of ``query`` (case-insensitive), starred ones
    first, then newest first."""
    words = query.lower().split()
    found = [e for e in entries
             if (not starred_only or e.starred) and all(word in e.prompt.lower() for word in words)]
    return sorted(found, key=lambda e: (not e.starred, -e.last_used))


def load(source: PromptSource) -> list[PromptEntry]:
    return history(source.prompts(), source.starred_prompts())


class Stepper:
    """Ctrl+Up/Down through recent prompts: index -1 is the text being written (kept, so
    stepping back down restores it)."""

    def __init__(self, prompts: list[str], draft: str) -> None:
        self.prompts = prompts
        self.draft = draft
        self.index = -1

    def older(self) -> str:
        if self.index + 1 < len(self.prompts):
            self.index += 1
        return self.current()

    def newer(self) -> str:
        if self.index > -1:
            self.index -= 1
        return self.current()

    def current(self) -> str:
        return self.draft if self.index < 0 else self.prompts[self.index]


__all__ = ["PromptEntry", "PromptSource", "Stepper", "history", "load", "search"]
