"""The window and the CLI answer the same queries the same way, and both agree with matches computed
directly from GetLabelDetection's SEGMENTS pages of sandbox jobs (a plain boto3 NextToken loop).

The reference below knows the search rules, written out independently of the code under test: a term
names a label by its Name, an Alias or a Parent the results carry, or a taxonomy alias (AWS's
AmazonRekognitionAliasLabels_v3.0.csv: "Person,Human"); a threshold applies to the label's best segment
and to the moments shown; moments are the segments (overlapping ones of a label merged) of the terms
that made the video match.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from library_support import raw_pages, rekognition, run_of, start_and_wait

from gui.core.library_query import QueryError, parse

BUCKET = "demo-videos"
DOG_PARK = "family/pets/dog-park.mov"
BEACH = "family/2024/beach-walk.mp4"
CITY = "city/city-traffic.mp4"
KITCHEN = "home/kitchen-cooking.mp4"
SOCCER = "sports/soccer-match.mov"
DRONE = "travel/drone/mountain-drone.mp4"  # not scripted: the sandbox's simulated labels

PETS = {"Parents": ("Animal", "Pet")}
SCRIPTS: dict[str, list[dict[str, Any]]] = {
    DOG_PARK: run_of("Dog", 95, 0, 2000, **PETS) + run_of("Person", 70, 1000, 3000) + run_of("Grass", 88, 0, 3500),
    BEACH: run_of("Person", 92, 0, 3000) + run_of("Beach", 90, 0, 3500) + run_of("Sea", 85, 500, 2500)
    + run_of("Dog", 60, 3000, 3500, **PETS),
    CITY: run_of("Car", 97, 0, 3000) + run_of("Person", 80, 0, 1000) + run_of("Road", 75, 0, 3500),
    KITCHEN: run_of("Cat", 93, 500, 1500) + run_of("Food", 88, 0, 3000) + run_of("Person", 65, 0, 3000),
    SOCCER: run_of("Soccer Ball", 91, 0, 1500) + run_of("Person", 99, 0, 3500) + run_of("Grass", 70, 0, 3500),
}
TAXONOMY_ALIASES = {"human": "Person"}  # AWS's alias file: "Person,Human"

Seg = tuple[str, int, int, float]


class Video:
    """One video as its SEGMENTS pages describe it."""

    names: dict[str, set[str]] = {}  # label -> every lower-cased name it answers to (from all videos)

    def __init__(self, key: str, items: list[dict[str, Any]]) -> None:
        self.key = key
        self.segments: dict[str, list[list[Any]]] = {}
        self.categories: dict[str, set[str]] = {}
        for item in sorted(items, key=lambda i: (i["StartTimestampMillis"], i["EndTimestampMillis"])):
            label = item["Label"]
            name = label["Name"]
            Video.names.setdefault(name, {name.lower()}).update(
                x["Name"].lower() for x in (*label.get("Aliases", ()), *label.get("Parents", ()))
            )
            self.categories.setdefault(name, set()).update(c["Name"].lower() for c in label.get("Categories", ()))
            runs = self.segments.setdefault(name, [])
            start, end = item["StartTimestampMillis"], item["EndTimestampMillis"]
            if runs and start <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], end)
                runs[-1][2] = max(runs[-1][2], label["Confidence"])
            else:
                runs.append([start, end, label["Confidence"]])

    def labels(self, name: str) -> set[str]:
        low = name.lower()
        return {lbl for lbl in self.segments if low in Video.names[lbl] or TAXONOMY_ALIASES.get(low) == lbl}

    def category_labels(self, category: str) -> set[str]:
        return {lbl for lbl, cats in self.categories.items() if category.lower() in cats}

    def best(self, labels: set[str]) -> float:
        return max((run[2] for lbl in labels for run in self.segments[lbl]), default=-1.0)

    def has(self, name: str) -> bool:
        return bool(self.labels(name))

    def max(self, name: str) -> float:
        return self.best(self.labels(name))

    def moments(self, labels: set[str], ok: Callable[[float], bool] = lambda c: True) -> set[Seg]:
        return {(lbl, s, e, c) for lbl in labels for s, e, c in self.segments[lbl] if ok(c)}

    def of(self, name: str, ok: Callable[[float], bool] = lambda c: True) -> set[Seg]:
        return self.moments(self.labels(name), ok)


def _dog_soccer_or_car_road(v: Video) -> set[Seg]:
    out = v.of("Soccer Ball") if v.has("Soccer Ball") else set()
    if v.has("Car") and v.has("Road"):
        out |= v.of("Car") | v.of("Road")
    return out


def _beach_or_grass_person(v: Video) -> set[Seg]:
    out = set()
    for place in ("Beach", "Grass"):
        if v.has(place):
            out |= v.of(place)
    return out | v.of("Person", lambda c: c > 80)


PETS_CAT = "Animals and Pets"
# (query, does the video match, its moments) -- written from the rules, not from the code under test
QUERIES: list[tuple[str, Callable[[Video], bool], Callable[[Video], set[Seg]]]] = [
    ("Dog", lambda v: v.has("Dog"), lambda v: v.of("Dog")),
    ("Dog>=90", lambda v: v.max("Dog") >= 90, lambda v: v.of("Dog", lambda c: c >= 90)),
    ("human", lambda v: v.has("Person"), lambda v: v.of("Person")),
    ("Person>=90 NOT Dog", lambda v: v.max("Person") >= 90 and not v.has("Dog"),
     lambda v: v.of("Person", lambda c: c >= 90)),
    (f'category:"{PETS_CAT}"', lambda v: bool(v.category_labels(PETS_CAT)),
     lambda v: v.moments(v.category_labels(PETS_CAT))),
    ("Animal", lambda v: v.has("Animal"), lambda v: v.of("Animal")),
    ('"Soccer Ball" OR Car Road', lambda v: v.has("Soccer Ball") or (v.has("Car") and v.has("Road")),
     _dog_soccer_or_car_road),
    ("(Beach OR Grass) Person>80", lambda v: (v.has("Beach") or v.has("Grass")) and v.max("Person") > 80,
     _beach_or_grass_person),
    (f"bucket:{BUCKET} prefix:family/ Person", lambda v: v.key.startswith("family/") and v.has("Person"),
     lambda v: v.of("Person")),
    ("NOT Person", lambda v: not v.has("Person"), lambda v: set()),
    ("Unicorn", lambda v: False, lambda v: set()),
]
BAD_QUERY = "Dog AND (Cat OR"


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Six sandbox jobs fetched into a results cache the real way; their SEGMENTS pages as the reference."""
    from gui.core.results_fetch import fetch_and_store
    from gui.core.results_store import ResultsStore
    from gui.sandbox import Sandbox

    root = tmp_path_factory.mktemp("library")
    sb = Sandbox(port=0, seed_demo=True, job_seconds=0.3)
    sb.start()
    try:
        for key, detections in SCRIPTS.items():
            sb.set_detection_script(BUCKET, key, detections)
        client = rekognition(sb.endpoint_url)
        videos = {}
        with ResultsStore(root / "results.sqlite3") as store:
            for key in (*SCRIPTS, DRONE):
                job_id = start_and_wait(client, BUCKET, key)
                fetch_and_store(client, job_id, store)
                items = [i for page in raw_pages(client, job_id, "SEGMENTS") for i in page["Labels"]]
                videos[key] = Video(key, items)
    finally:
        sb.stop()
    return root, videos


def expected(videos: dict[str, Video], match: Callable[[Video], bool], moments: Callable[[Video], set[Seg]]
             ) -> dict[str, set[Seg]]:
    return {f"s3://{BUCKET}/{k}": moments(v) for k, v in videos.items() if match(v)}


def test_the_reference_is_not_trivial(library_dir):
    _root, videos = library_dir
    assert set(expected(videos, QUERIES[0][1], QUERIES[0][2])) == {f"s3://{BUCKET}/{DOG_PARK}", f"s3://{BUCKET}/{BEACH}"}
    assert set(expected(videos, QUERIES[1][1], QUERIES[1][2])) == {f"s3://{BUCKET}/{DOG_PARK}"}
    sizes = [len(expected(videos, m, f)) for _q, m, f in QUERIES]
    assert min(sizes) == 0 and max(sizes) >= 4 and len(set(sizes)) >= 4


def _cli(root: Path, *args: str) -> tuple[int, str, str]:
    from gui.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["search", *args, "--data-dir", str(root)], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _as_sets(matches: list[dict[str, Any]]) -> dict[str, set[Seg]]:
    return {m["uri"]: {(x["label"], x["start_ms"], x["end_ms"], x["confidence"]) for x in m["moments"]}
            for m in matches}


@pytest.mark.parametrize(("query", "match", "moments"), QUERIES, ids=[q for q, _m, _f in QUERIES])
def test_the_cli_matches_the_reference(library_dir, query, match, moments):
    root, videos = library_dir
    want = expected(videos, match, moments)
    code, out, err = _cli(root, query, "--json", "--moments")
    assert code == (0 if want else 1), err
    assert _as_sets(json.loads(out)) == want
    code, out, _err = _cli(root, query)  # one line per video
    assert [line.split("\t")[0] for line in out.splitlines()] == sorted(want, key=lambda u: u.split("/", 3)[2:])


def test_the_cli_refuses_a_bad_query_with_its_position(library_dir):
    root, _videos = library_dir
    code, out, err = _cli(root, BAD_QUERY, "--json")
    with pytest.raises(QueryError) as info:
        parse(BAD_QUERY)
    assert code == 2 and out == ""
    assert f"at character {info.value.position + 1}" in err and "Traceback" not in err


def test_the_window_answers_like_the_cli(qtbot, library_dir):
    from gui.core.paths import AppPaths
    from gui.qt.library_view import LibraryView

    root, videos = library_dir
    paths = AppPaths(root, root / "config", root / "cache", root / "logs")
    view = LibraryView(paths)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.ready, timeout=20_000):
        view.start()
    try:
        for query, match, moments in QUERIES:
            with qtbot.waitSignal(view.searchFinished, timeout=20_000):
                view.set_query(query)
            shown = {m.uri: {(x.label, x.start_ms, x.end_ms, x.confidence) for x in m.moments}
                     for m in view.matches()}
            _code, out, _err = _cli(root, query, "--json", "--moments")
            assert shown == _as_sets(json.loads(out)) == expected(videos, match, moments), query
            if not shown:
                assert "No video matches" in view.caption.text()  # never silently empty

        before = [m.uri for m in view.matches()]
        with qtbot.waitSignal(view.searchFinished, timeout=20_000) as blocker:
            view.set_query(BAD_QUERY)
        assert blocker.args == [-1]
        assert view.last_error is not None and view.last_error.position == len(BAD_QUERY)
        assert f"at character {len(BAD_QUERY) + 1}" in view.messageBar.text()
        assert [m.uri for m in view.matches()] == before  # the list is left as it was
    finally:
        view.shutdown()
