"""The request preview is what the service receives: start a real job on the sandbox with it."""

from __future__ import annotations

import json
import uuid

import pytest

from gui.core.filters import Mark
from gui.core.types import LabelFilters, S3Object
from gui.core.validation import filters_problems
from gui.qt.filter_panel import FilterPanel

VIDEO = S3Object("demo-videos", "city/city-traffic.mp4")


@pytest.fixture
def own_sandbox(make_sandbox):
    """A private sandbox, so the jobs and request counts of the shared one stay untouched."""
    return make_sandbox(seed_demo=True, job_seconds=0.5)


def test_previewed_parameters_are_exactly_what_the_sandbox_records(
    qtbot, filter_paths, own_sandbox, boto_client
):
    sandbox = own_sandbox
    topic = boto_client("sns", sandbox).create_topic(Name="AmazonRekognitionFilterPanel")["TopicArn"]
    role = "arn:aws:iam::123456789012:role/RekognitionSNS"
    panel = FilterPanel(filter_paths)
    qtbot.addWidget(panel)
    model = panel.filter_tree.model
    model.set_mark("category", "Vehicles and Automotive", Mark.INCLUDE)
    model.set_mark("label", "Person", Mark.INCLUDE)
    model.set_mark("label", "Car", Mark.EXCLUDE)
    model.set_mark("category", "Text and Documents", Mark.EXCLUDE)
    assert panel.filter_tree.add_custom_label("Cargo Bike*")  # '*' is inside the '-_ range: accepted
    panel.job_settings.confidence_spin.setValue(72)
    panel.job_settings.job_tag_edit.setText("filter-panel-test")
    panel.job_settings.sns_edit.setText(topic)
    panel.job_settings.role_edit.setText(role)
    panel.set_preview_videos([VIDEO])
    panel.set_connection_hint("us-east-1", sandbox.endpoint_url, None)
    assert panel.is_valid(), panel.validation_errors()

    params = json.loads(panel.preview.json_text())
    assert params["Settings"] == {
        "GeneralLabels": {
            "LabelInclusionFilters": ["Person", "Cargo Bike*"],
            "LabelExclusionFilters": ["Car"],
            "LabelCategoryInclusionFilters": ["Vehicles and Automotive"],
            "LabelCategoryExclusionFilters": ["Text and Documents"],
        }
    }
    token = uuid.uuid4().hex
    job_id = boto_client("rekognition", sandbox).start_label_detection(**params, ClientRequestToken=token)[
        "JobId"
    ]

    recorded = next(j for j in sandbox.jobs() if j["JobId"] == job_id)
    assert recorded["ClientRequestToken"] == token
    sent = dict(recorded["params"])
    sent.pop("ClientRequestToken")
    assert sent == params  # every parameter, exactly as previewed
    assert recorded["params"]["Settings"] == params["Settings"]
    assert recorded["JobTag"] == "filter-panel-test"
    assert recorded["NotificationChannel"] == {"SNSTopicArn": topic, "RoleArn": role}


def test_what_we_refuse_the_service_refuses_too(own_sandbox, boto_client):
    from botocore.exceptions import ClientError

    from gui.core.request import build_start_request
    from gui.core.types import JobSettings

    rekognition = boto_client("rekognition", own_sandbox)
    for filters in (
        LabelFilters(label_inclusions=tuple(f"Label {i}" for i in range(101))),
        LabelFilters(label_exclusions=("Fish & Chips",)),
        LabelFilters(category_inclusions=("x" * 51,)),
    ):
        assert filters_problems(filters)  # our rule says no...
        params = build_start_request(VIDEO.bucket, VIDEO.key, JobSettings(filters))
        with pytest.raises(ClientError) as info:  # ...and so does the service
            rekognition.start_label_detection(**params)
        assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert own_sandbox.jobs() == []
