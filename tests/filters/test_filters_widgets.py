"""The widgets: tree with counters and inline messages, job settings, presets bar, the composite panel."""

from __future__ import annotations

import json
import shlex

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QSpinBox, QToolButton, QTreeView

from gui.core.filters import FilterKind, Mark
from gui.core.presets import PresetStore
from gui.core.taxonomy import load_taxonomy
from gui.core.types import JobSettings, LabelFilters, NotificationChannel, S3Object
from gui.qt.filter_model import NameRole
from gui.qt.filter_panel import FilterPanel
from gui.qt.filter_tree import FilterTree
from gui.qt.job_settings import JobSettingsWidget
from gui.qt.request_preview import RequestPreview

TOPIC = "arn:aws:sns:us-east-1:123456789012:AmazonRekognitionDone"
ROLE = "arn:aws:iam::123456789012:role/RekognitionSNS"


def _tree(qtbot, answers=()) -> FilterTree:
    queue = list(answers)
    tree = FilterTree(ask_text=lambda parent, title, prompt: queue.pop(0))
    qtbot.addWidget(tree)
    return tree


def test_tree_object_names_counters_and_explanation(qtbot):
    tree = _tree(qtbot)
    assert tree.findChild(QTreeView, "filterTree") is tree.view
    assert tree.findChild(QLineEdit, "filterSearchEdit") is tree.search_edit
    assert tree.counter_texts() == [
        "Include labels 0/100",
        "Include categories 0/100",
        "Exclude labels 0/100",
        "Exclude categories 0/100",
    ]
    assert "every label" in tree.explanation_text()
    with qtbot.waitSignal(tree.filtersChanged):
        tree.model.set_mark("category", "Vehicles and Automotive", Mark.INCLUDE)
    tree.model.set_mark("label", "Car", Mark.EXCLUDE)
    assert (
        "Include categories 1/100" in tree.counter_texts() and "Exclude labels 1/100" in tree.counter_texts()
    )
    assert "'Car' is left out even though its category 'Vehicles and Automotive' is included." in (
        tree.explanation_text()
    )


def test_limit_message_is_inline_and_goes_away_after_a_good_change(qtbot):
    tree = _tree(qtbot)
    names = list(load_taxonomy().labels)
    for name in names[:100]:
        tree.model.set_mark("label", name, Mark.INCLUDE)
    idx = tree.model.index_of("label", names[100], 1)
    assert not tree.model.setData(idx, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert "Include labels is full (100/100)" in tree.message_text()
    assert tree.counter_labels[FilterKind.LABEL_INCLUDE].text() == "Include labels 100/100"
    assert "b00020" in tree.counter_labels[FilterKind.LABEL_INCLUDE].styleSheet()  # shown in red
    tree.model.set_mark("label", names[0], Mark.NONE)
    assert tree.message_text() == ""


def test_add_custom_label_through_the_button(qtbot):
    tree = _tree(qtbot, answers=["Robot Vacuum", "x" * 51, "Pizza!", None])
    for _ in range(4):
        qtbot.mouseClick(tree.findChild(QPushButton, "addCustomLabelButton"), Qt.MouseButton.LeftButton)
        if _ == 0:
            assert tree.filters().label_inclusions == ("Robot Vacuum",)
            assert "Robot Vacuum" in tree.message_text()
        if _ == 1:
            assert "51 characters" in tree.message_text()
        if _ == 2:
            assert "'!'" in tree.message_text()
    assert tree.model.rowCount(tree.model.custom_group_index()) == 1
    tree.apply_menu_choice("label", "Robot Vacuum", -1)
    assert tree.filters().is_empty()


def test_search_box_filters_and_expands(qtbot):
    tree = _tree(qtbot)
    qtbot.keyClicks(tree.search_edit, "kid")
    assert tree.proxy.needle == "kid"
    group = tree.proxy.index(0, 0)
    assert tree.view.isExpanded(group)
    assert tree.proxy.index(0, 0, group).data(NameRole) == "Child"
    assert tree.proxy.index(0, 0, group).data() == "Child — aka Kid"
    tree.checked_only_box.setChecked(True)
    assert tree.proxy.rowCount() == 0
    tree.search_edit.clear()
    tree.checked_only_box.setChecked(False)
    assert tree.proxy.rowCount() == tree.model.rowCount()


def test_job_settings_validation(qtbot):
    w = JobSettingsWidget()
    qtbot.addWidget(w)
    spin = w.findChild(QSpinBox, "minConfidenceSpin")
    assert (spin.minimum(), spin.maximum(), spin.value()) == (0, 100, 50)
    w.confidence_slider.setValue(80)
    assert spin.value() == 80 and w.min_confidence() == 80.0
    w.findChild(QLineEdit, "jobTagEdit").setText("bad tag")
    assert any("JobTag" in e for e in w.errors()) and w.job_tag_hint.isVisibleTo(w)
    w.job_tag_edit.setText("good-tag")
    assert w.errors() == [] and w.job_tag() == "good-tag"
    w.findChild(QLineEdit, "snsTopicEdit").setText("arn:aws:sns:us-east-1:123456789012:done")
    assert any("IAM role ARN is missing" in e for e in w.errors())
    assert w.warnings() and "AmazonRekognition" in w.warnings()[0] and w.sns_hint.isVisibleTo(w)
    w.findChild(QLineEdit, "roleArnEdit").setText("arn:aws:iam::123:role/x")
    assert any("IAM role ARN is not valid" in e for e in w.errors())
    w.role_edit.setText(ROLE)
    w.sns_edit.setText(TOPIC)
    assert w.errors() == [] and w.warnings() == []
    assert w.notification() == NotificationChannel(TOPIC, ROLE)
    notes = w.set_values(55.5, None, None)
    assert spin.value() == 56 and "rounded" in notes[0] and w.notification() is None


def _parse_cli(command: str) -> dict:
    """Turn our multi-line CLI command back into API parameters (proves the two previews agree)."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["aws", "rekognition", "start-label-detection"]
    keys = {
        "--video": "Video",
        "--min-confidence": "MinConfidence",
        "--job-tag": "JobTag",
        "--notification-channel": "NotificationChannel",
        "--features": "Features",
        "--settings": "Settings",
        "--client-request-token": "ClientRequestToken",
    }
    out: dict = {}
    i = 3
    while i < len(words):
        flag, value = words[i], words[i + 1]
        i += 2
        if flag in ("--region", "--endpoint-url", "--profile"):
            out[flag] = value
        elif flag == "--features":
            out["Features"] = [value]
        elif flag == "--min-confidence":
            out["MinConfidence"] = json.loads(value)
        elif flag == "--job-tag":
            out["JobTag"] = value
        else:
            out[keys[flag]] = json.loads(value)
    return out


def test_request_preview_json_and_cli_agree(qtbot):
    preview = RequestPreview()
    qtbot.addWidget(preview)
    settings = JobSettings(
        LabelFilters(("Farmer's Market",), ("Car",), ("Vehicles and Automotive",), ("Text and Documents",)),
        72.0,
        "t1",
        NotificationChannel(TOPIC, ROLE),
    )
    preview.set_settings(settings)
    preview.set_videos([S3Object("demo-videos", "city/city traffic.mp4", version_id="v7")])
    preview.set_connection_hint("eu-west-1", "http://127.0.0.1:9999", "my profile")
    params = json.loads(preview.json_text())
    assert params == preview.requests()[0]
    assert params["Settings"]["GeneralLabels"]["LabelCategoryInclusionFilters"] == ["Vehicles and Automotive"]
    assert params["Video"]["S3Object"] == {
        "Bucket": "demo-videos",
        "Name": "city/city traffic.mp4",
        "Version": "v7",
    }
    cli = _parse_cli(preview.cli_text())
    assert cli.pop("--region") == "eu-west-1" and cli.pop("--profile") == "my profile"
    assert cli.pop("--endpoint-url") == "http://127.0.0.1:9999"
    assert cli == params
    preview.copy_cli()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == preview.cli_text()
    preview.set_videos([S3Object("b", f"v{i}.mp4") for i in range(3)])
    assert (
        len(json.loads(preview.json_text())) == 3 and preview.cli_text().count("start-label-detection") == 3
    )


def _panel(qtbot, paths, dialogs=None) -> FilterPanel:
    panel = FilterPanel(paths, dialogs=dialogs)
    qtbot.addWidget(panel)
    qtbot.waitUntil(panel.is_loaded)  # presets and settings are read on a worker
    return panel


def test_panel_contract_and_restart(qtbot, filter_paths, dialogs):
    panel = _panel(qtbot, filter_paths, dialogs)
    assert panel.current_settings() == JobSettings()
    assert panel.current_preset_name() is None and panel.is_valid()
    with qtbot.waitSignal(panel.settingsChanged):
        panel.presets_bar.apply("People and vehicles")
    assert panel.current_preset_name() == "People and vehicles"
    assert panel.current_settings() == PresetStore(filter_paths).get("People and vehicles").settings
    with qtbot.waitSignal(panel.settingsChanged):
        panel.filter_tree.model.set_mark("label", "Car", Mark.EXCLUDE)
    assert panel.presets_bar.is_modified()
    panel.job_settings.job_tag_edit.setText("no spaces allowed")
    assert not panel.is_valid() and any("JobTag" in e for e in panel.validation_errors())
    panel.job_settings.job_tag_edit.setText("traffic")
    panel.save_state()
    expected = panel.current_settings()

    again = _panel(qtbot, filter_paths, dialogs)  # next start
    assert again.current_settings() == expected
    assert again.current_preset_name() == "People and vehicles" and again.presets_bar.is_modified()


def test_panel_saves_a_preset_and_it_survives_a_restart(qtbot, filter_paths, dialogs):
    panel = _panel(qtbot, filter_paths, dialogs)
    panel.filter_tree.model.set_mark("category", "Animals and Pets", Mark.INCLUDE)
    panel.job_settings.confidence_spin.setValue(70)
    dialogs.texts = ["My pets"]
    qtbot.mouseClick(panel.findChild(QToolButton, "savePresetButton"), Qt.MouseButton.LeftButton)
    assert panel.current_preset_name() == "My pets" and not panel.presets_bar.is_modified()
    # save over it: asks to confirm; "No" keeps the old one
    panel.job_settings.confidence_spin.setValue(90)
    dialogs.texts, dialogs.confirms = ["My pets"], [False]
    panel.presets_bar.save_current()
    fresh = PresetStore(filter_paths)
    report = fresh.load()
    assert (report.problems, report.notices) == ([], [])  # the file on disk is still whole and current
    assert fresh.get("My pets").settings.min_confidence == 70  # "No" kept the old one
    dialogs.texts, dialogs.confirms = ["My pets"], [True]
    panel.presets_bar.save_current()
    fresh.load()
    assert fresh.get("My pets").settings.min_confidence == 90

    again = _panel(qtbot, filter_paths, dialogs)
    assert again.current_preset_name() == "My pets" and not again.presets_bar.is_modified()
    assert again.current_settings().filters.category_inclusions == ("Animals and Pets",)
    # delete asks first
    dialogs.confirms = [False, True]
    assert not again.presets_bar.delete_current()
    assert again.presets_bar.delete_current()
    assert again.current_preset_name() is None and "My pets" not in PresetStore(filter_paths).names()


def test_builtin_cannot_be_saved_over_or_deleted_from_the_bar(qtbot, filter_paths, dialogs):
    panel = _panel(qtbot, filter_paths, dialogs)
    panel.presets_bar.apply("Animals and pets")
    assert not panel.presets_bar.delete_button.isEnabled()
    dialogs.texts = ["Animals and pets"]
    assert panel.presets_bar.save_current() is None
    assert "built-in" in panel.message_text()


def test_rename_duplicate_export_import_from_the_bar(qtbot, filter_paths, dialogs, tmp_path):
    panel = _panel(qtbot, filter_paths, dialogs)
    panel.filter_tree.model.set_mark("label", "Dog", Mark.INCLUDE)
    dialogs.texts = ["Dogs"]
    panel.presets_bar.save_current()
    dialogs.texts = ["Dogs only"]
    panel.presets_bar.rename_action.trigger()
    assert panel.current_preset_name() == "Dogs only"
    panel.presets_bar.duplicate_action.trigger()
    assert panel.current_preset_name() == "Dogs only (copy)"
    target = tmp_path / "out" / "dogs.json"
    target.parent.mkdir()
    dialogs.save_paths = [target]
    panel.presets_bar.export_action.trigger()
    assert json.loads(target.read_text(encoding="utf-8"))["name"] == "Dogs only (copy)"
    # importing a file whose name exists: decline replacing, give a new name
    dialogs.open_paths, dialogs.confirms, dialogs.texts = [target], [False], ["Dogs from Ann"]
    panel.presets_bar.import_action.trigger()
    assert panel.current_preset_name() == "Dogs from Ann"
    assert panel.current_settings().filters.label_inclusions == ("Dog",)
    # a broken file: a clear message naming it
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    dialogs.open_paths = [broken]
    panel.presets_bar.import_action.trigger()
    assert "broken.json" in panel.message_text()


def test_panel_reports_bad_preset_files_at_start(qtbot, filter_paths):
    folder = filter_paths.presets_dir
    folder.mkdir(parents=True)
    (folder / "bad.json").write_text("nope", encoding="utf-8")
    (folder / "future.json").write_text(
        json.dumps(
            {
                "schema_version": 2,
                "name": "Future",
                "settings": {"GeneralLabels": {"LabelInclusionFilters": ["Jetpack"]}},
            }
        ),
        encoding="utf-8",
    )
    panel = _panel(qtbot, filter_paths)
    message = panel.message_text()
    assert "bad.json" in message and "bad.json.corrupt" in message and "Jetpack" in message
    assert "Future" in panel.store.names()
    panel.presets_bar.apply("Future")
    assert panel.filter_tree.model.rowCount(panel.filter_tree.model.custom_group_index()) == 1
    assert "Jetpack" in panel.message_text()


def test_custom_label_added_while_include_is_full_stays_unchecked_with_a_message(qtbot):
    tree = _tree(qtbot)
    for name in list(load_taxonomy().labels)[:100]:
        tree.model.set_mark("label", name, Mark.INCLUDE)
    assert tree.add_custom_label("Robot Vacuum")
    assert tree.model.selection.custom_labels == ["Robot Vacuum"]
    assert tree.model.selection.label_mark("Robot Vacuum") == Mark.NONE
    assert "Include labels is full" in tree.message_text()
    assert tree.model.set_mark("label", "Robot Vacuum", Mark.EXCLUDE)  # the other list still has room
