"""``rekognition-labeler presets list | show NAME | export NAME -o FILE``: the saved and built-in presets,
and the preset file format, from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from gui.cli.common import EXIT_OK, EXIT_USAGE
from gui.core.errors import KnownError
from gui.core.paths import AppPaths
from gui.core.presets import PRESET_SCHEMA_VERSION, Preset, PresetStore, preset_to_doc
from gui.core.safetext import visible

FORMAT_HELP = f"""\
A preset file is JSON (schema_version {PRESET_SCHEMA_VERSION}); 'settings' holds StartLabelDetection's own
parameter names, and 'submit --preset-file FILE' reads it:

  {{
    "schema_version": {PRESET_SCHEMA_VERSION},
    "app": "rekognition-video-labeler",
    "name": "People and vehicles",
    "settings": {{
      "MinConfidence": 70,
      "JobTag": "batch-7",
      "NotificationChannel": {{"SNSTopicArn": "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone",
                              "RoleArn": "arn:aws:iam::123456789012:role/RekognitionSNS"}},
      "GeneralLabels": {{"LabelInclusionFilters": ["Person", "Car"],
                        "LabelCategoryExclusionFilters": ["Weapons"]}}
    }}
  }}

Every member but schema_version and settings may be left out. 'presets show NAME' prints a preset in
this form; 'presets export NAME -o FILE' writes it.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "presets", help="list, show or export filter presets (and see the preset file format)",
        description="The saved and built-in filter presets the window and 'submit --preset' use.",
        epilog=FORMAT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-dir", metavar="DIR", help="where presets live (default: user dirs)")
    actions = p.add_subparsers(dest="presets_action", required=True, metavar="{list,show,export}")
    listing = actions.add_parser("list", help="one preset per line (built-in ones marked)")
    listing.add_argument("--json", action="store_true", help="print a JSON array of names and kinds")
    show = actions.add_parser("show", help="print one preset as a preset file")
    show.add_argument("name", metavar="NAME")
    export = actions.add_parser("export", help="write one preset to a file")
    export.add_argument("name", metavar="NAME")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")


def run(args: argparse.Namespace, paths: AppPaths, out: TextIO, err: TextIO) -> int:
    store = PresetStore(paths)
    report = store.load()
    for problem in report.problems:
        print(f"warning: {visible(problem)}", file=err)
    if args.presets_action == "list":
        presets = store.presets()
        if args.json:
            rows = [{"name": p.name, "builtin": p.builtin} for p in presets]
            print(json.dumps(rows, indent=2), file=out)
        else:
            for p in presets:
                print(f"{visible(p.name)}{'  (built-in)' if p.builtin else ''}", file=out)
        return EXIT_OK
    preset = _find(store, args.name, err)
    if preset is None:
        return EXIT_USAGE
    if args.presets_action == "show":
        doc = {"schema_version": PRESET_SCHEMA_VERSION, **preset_to_doc(preset.name, preset.settings)}
        print(json.dumps(doc, indent=2, ensure_ascii=False), file=out)
        return EXIT_OK
    try:
        written = store.export(preset.name, args.output)
    except KnownError as exc:
        print(f"error: {exc.message}", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: cannot write '{args.output}': {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    print(f"wrote {written}", file=out)
    return EXIT_OK


def _find(store: PresetStore, name: str, err: TextIO) -> Preset | None:
    preset = store.get(name)
    if preset is None:
        names = ", ".join(store.names()) or "none"
        print(f"error: no preset named '{name}' (available: {names})", file=err)
    return preset
