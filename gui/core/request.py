"""Build the exact ``StartLabelDetection`` parameters from settings, and an equivalent AWS CLI command."""

from __future__ import annotations

import json
import shlex
from typing import Any

from gui.core.types import JobSettings


def build_start_request(
    bucket: str,
    key: str,
    settings: JobSettings,
    *,
    client_request_token: str | None = None,
    version_id: str | None = None,
) -> dict[str, Any]:
    """The keyword arguments for ``rekognition.start_label_detection(**params)``.

    Only non-empty filter lists are sent; ``Features`` and ``Settings`` appear only when a filter is set,
    as the AWS developer guide shows.
    """
    s3: dict[str, str] = {"Bucket": bucket, "Name": key}
    if version_id:
        s3["Version"] = version_id
    params: dict[str, Any] = {"Video": {"S3Object": s3}}
    if client_request_token:
        params["ClientRequestToken"] = client_request_token
    params.update(job_parameters(settings))
    general = general_labels(settings)
    if general:
        params["Features"] = ["GENERAL_LABELS"]
        params["Settings"] = {"GeneralLabels": general}
    return params


FILTER_KEYS = (
    "LabelInclusionFilters",
    "LabelExclusionFilters",
    "LabelCategoryInclusionFilters",
    "LabelCategoryExclusionFilters",
)


def job_parameters(settings: JobSettings) -> dict[str, Any]:
    """MinConfidence, and JobTag and NotificationChannel when set, as the API names them."""
    params: dict[str, Any] = {"MinConfidence": _number(settings.min_confidence)}
    if settings.job_tag:
        params["JobTag"] = settings.job_tag
    if settings.notification is not None:
        params["NotificationChannel"] = {
            "SNSTopicArn": settings.notification.sns_topic_arn,
            "RoleArn": settings.notification.role_arn,
        }
    return params


def general_labels(settings: JobSettings) -> dict[str, list[str]]:
    """The non-empty filter lists of ``Settings.GeneralLabels``, keyed by their API names."""
    f = settings.filters
    lists = (f.label_inclusions, f.label_exclusions, f.category_inclusions, f.category_exclusions)
    return {key: list(values) for key, values in zip(FILTER_KEYS, lists, strict=True) if values}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def to_json(params: dict[str, Any]) -> str:
    return json.dumps(params, indent=2, ensure_ascii=False)


_CLI_KEYS = {
    "Video": "--video",
    "ClientRequestToken": "--client-request-token",
    "MinConfidence": "--min-confidence",
    "JobTag": "--job-tag",
    "NotificationChannel": "--notification-channel",
    "Features": "--features",
    "Settings": "--settings",
}


def to_cli(
    params: dict[str, Any],
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    multiline: bool = False,
) -> str:
    """An ``aws rekognition start-label-detection`` command with the same parameters (POSIX shell quoting).

    ``multiline`` puts each option on its own line with a trailing backslash, for reading.
    """
    head = "aws rekognition start-label-detection"
    options: list[str] = []
    for key, flag in _CLI_KEYS.items():
        if key not in params:
            continue
        value = params[key]
        if key == "Features":
            options.append(" ".join([flag, *(shlex.quote(str(v)) for v in value)]))
        elif isinstance(value, dict | list):
            options.append(
                f"{flag} {shlex.quote(json.dumps(value, separators=(',', ':'), ensure_ascii=False))}"
            )
        else:
            options.append(f"{flag} {shlex.quote(str(value))}")
    if region:
        options.append(f"--region {shlex.quote(region)}")
    if profile:
        options.append(f"--profile {shlex.quote(profile)}")
    if endpoint_url:
        options.append(f"--endpoint-url {shlex.quote(endpoint_url)}")
    if multiline:
        return " \\\n  ".join([head, *options])
    return " ".join([head, *options])
