"""Issue 12: presets round-trip, prompt history search and stars, batch grids and files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from seedance_desktop.api.spec import get_model
from seedance_desktop.core import batch, prompt_history
from seedance_desktop.core.job import InputFile, Job, JobState
from seedance_desktop.core.presets import BUILTIN_PRESETS, Preset, PresetError, PresetStore, export_text, import_text
from seedance_desktop.core.store import JobStore
from tests.core.engine.engine_harness import MODEL, engine_rig, hosted_url, wait_all
from tests.sim_fixtures import clip, simulator  # noqa: F401 - fixtures


def test_a_preset_round_trips_through_export_and_import_into_an_identical_request(tmp_path: Path) -> None:
    request = {"prompt": "A cat surfing [Video 1]", "video_urls": [None, "https://cdn.example/b.mp4"],
               "resolution": "720p", "duration": 7, "ratio": "9:16", "seed": 42, "camera_fixed": True,
               "generate_audio": False, "execution_expires_after": 7200}
    inputs = [InputFile(field="video_urls", index=0, local_path="/clips/a.mp4")]
    store = PresetStore(tmp_path / "presets.json")
    store.save(Preset("Surf", MODEL, request, inputs))
    out = tmp_path / "export.json"
    store.export_file(["Surf"], out)
    other = PresetStore(tmp_path / "other.json")
    (imported,) = other.import_file(out)
    assert imported.recipe() == (MODEL, request, inputs)
    assert other.get("Surf").recipe() == store.get("Surf").recipe()


def test_presets_rename_delete_and_refuse_what_cannot_work(tmp_path: Path) -> None:
    store = PresetStore(tmp_path / "presets.json")
    assert [p.name for p in store.all()] == [p.name for p in BUILTIN_PRESETS]
    store.save(Preset("A", MODEL, {"prompt": "a"}))
    store.rename("A", "B")
    assert [p.name for p in store.user_presets()] == ["B"]
    with pytest.raises(PresetError):
        store.rename(BUILTIN_PRESETS[0].name, "mine")
    with pytest.raises(PresetError) as unknown:
        import_text(export_text([Preset("X", MODEL)]).replace(MODEL, "nope/model"))
    assert "unknown model" in unknown.value.user_message
    with pytest.raises(PresetError) as info:
        import_text('{"name": "Y", "model": "%s", "request": {"colour": "red"}}' % MODEL)
    assert "colour" in info.value.user_message
    store.delete("B")
    assert store.user_presets() == []
    for preset in BUILTIN_PRESETS:  # every built-in applies to a model that exists, with known fields
        assert all(get_model(preset.model).has_field(name) for name in preset.request)


def test_prompt_history_finds_a_prompt_by_a_word_and_keeps_stars(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    for n, prompt in enumerate(["A red fox runs through snow", "Ocean waves at dusk", "A red fox runs through snow",
                                "City lights, rain"]):
        store.add(Job(request={"prompt": prompt}, created_at=100.0 + n))
    entries = prompt_history.load(store)
    assert [e.prompt for e in entries][0] == "City lights, rain"
    found = prompt_history.search(entries, "FOX")
    assert [e.prompt for e in found] == ["A red fox runs through snow"] and found[0].uses == 2
    assert prompt_history.search(entries, "red snow")[0].prompt.startswith("A red fox")
    assert prompt_history.search(entries, "fox dusk") == []
    store.set_prompt_star("Ocean waves at dusk", True)
    entries = prompt_history.load(store)
    assert prompt_history.search(entries)[0].prompt == "Ocean waves at dusk"  # starred first
    assert [e.prompt for e in prompt_history.search(entries, starred_only=True)] == ["Ocean waves at dusk"]
    stepper = prompt_history.Stepper([e.prompt for e in entries], "my draft")
    assert stepper.older() == "City lights, rain" and stepper.newer() == "my draft"
    store.close()


def test_a_grid_is_every_combination_with_a_total_estimate() -> None:
    spec = get_model(MODEL)
    axes = {"prompt": batch.parse_axis(spec, "prompt", "one\ntwo\nthree"),
            "seed": batch.parse_axis(spec, "seed", "1, 2, 3, 4")}
    plan = batch.grid(MODEL, {"video_urls": ["https://cdn.example/a.mp4"], "resolution": "480p", "duration": 4}, axes)
    assert len(plan.items) == 12 and not plan.errors
    assert plan.items[0].request["prompt"] == "one" and plan.items[3].request["seed"] == 4
    assert plan.total_estimate == pytest.approx(12 * 0.276)
    with pytest.raises(ValueError, match="whole number"):
        batch.parse_axis(spec, "duration", "4, five")


def test_a_jsonl_file_reports_its_bad_line_by_number() -> None:
    text = "\n".join([
        '{"prompt": "ok one", "video_urls": ["https://cdn.example/a.mp4"], "duration": 4}',
        '{"prompt": "too long", "video_urls": ["https://cdn.example/a.mp4"], "duration": 99}',
        "",
        '{"model": "bytedance/seedance-2.0-v2v", "prompt": "ok two", "video_urls": ["https://cdn.example/a.mp4"]}',
        '{"prompt": ',
    ])
    plan = batch.parse_jsonl(text, MODEL)
    assert [i.line for i in plan.items] == [1, 4] and plan.items[1].model == "bytedance/seedance-2.0-v2v"
    assert [e.line for e in plan.errors] == [2, 5]
    assert "duration" in plan.errors[0].message and "JSON" in plan.errors[1].message


def test_a_csv_file_converts_cells_by_field_kind(tmp_path: Path) -> None:
    text = ("prompt,video_urls,duration,camera_fixed\n"
            "\"Hello, world\",https://cdn.example/a.mp4|https://cdn.example/b.mp4,6,yes\n"
            "bad,https://cdn.example/a.mp4,six,no\n")
    plan = batch.parse_csv(text, MODEL)
    (item,) = plan.items
    assert item.request == {"prompt": "Hello, world", "duration": 6, "camera_fixed": True,
                            "video_urls": ["https://cdn.example/a.mp4", "https://cdn.example/b.mp4"]}
    assert plan.errors[0].line == 3 and "whole number" in plan.errors[0].message


@pytest.mark.timeout(90)
def test_a_batch_is_a_group_the_queue_pauses_resumes_and_retries(tmp_path: Path, simulator: Any, clip: Path) -> None:
    url = hosted_url(simulator.base_url, simulator.api_key, clip)
    plan = batch.grid(MODEL, {"prompt": "group", "video_urls": [url], "resolution": "480p", "duration": 4},
                      {"seed": [1, 2, 3]})

    async def scenario() -> None:
        async with engine_rig(tmp_path, simulator.base_url, simulator.api_key, start=False) as rig:
            group_id, jobs = batch.queue_plan(rig.engine, plan)
            assert all(j.group_id == group_id for j in jobs) and len(rig.store.group(group_id)) == 3
            assert batch.group_action(rig.engine, rig.store.group(group_id), "pause") == 3
            await rig.engine.start()
            await asyncio.sleep(0)
            assert rig.submit_count() == 0 and all(j.held for j in rig.store.group(group_id))
            assert batch.group_action(rig.engine, rig.store.group(group_id), "resume") == 3
            done = await wait_all(rig.engine, jobs)
            assert all(j.state is JobState.DONE for j in done)
            # a failed member is retried as a new attempt in the same group
            failed = rig.store.add(Job(model=MODEL, request=plan.items[0].request, state=JobState.FAILED,
                                       group_id=group_id, position=99))
            assert batch.group_action(rig.engine, rig.store.group(group_id), "retry_failed") == 1
            retry = next(j for j in rig.store.group(group_id) if j.attempt_of == failed.id)
            assert (await wait_all(rig.engine, [retry]))[0].state is JobState.DONE

    asyncio.run(scenario())
