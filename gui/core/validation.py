"""Client-side checks for ``StartLabelDetection`` parameters, copied from the API's own limits.

The patterns are the ones botocore's service model states (``rekognition/2016-06-27/service-2.json``),
character for character; tests compare them with the model on disk. AWS validates them with Java regex
``matches()`` semantics, i.e. the whole value must match, so we use :func:`re.fullmatch`.

Note the filter-value pattern ``[A-Za-z0-9àâèçñó'-_(). ]*``: inside the character class, ``'-_`` is a
*range* from ``'`` (U+0027) to ``_`` (U+005F). It therefore also admits ``( ) * + , - . / : ; < = > ? @``
``[ \\ ] ^`` and the digits and capitals, but not ``! " # $ % & ` { | } ~`` nor other accented letters.
We replicate that exactly rather than what the author may have meant: AWS enforces the regex as written.

Java's ``\\w`` and ``\\d`` are ASCII-only; Python's are Unicode-aware, so the ARN patterns compile with
:data:`re.ASCII`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gui.core.types import JobSettings, LabelFilters, NotificationChannel

# --- limits from the service model (GeneralLabelsFilterList / GeneralLabelsFilterValue) -----------------
MAX_FILTER_ITEMS = 100
MAX_FILTER_VALUE_CHARS = 50
FILTER_VALUE_PATTERN = "[A-Za-z0-9àâèçñó'-_(). ]*"
JOB_TAG_PATTERN = "[a-zA-Z0-9_.\\-:+=\\/]+"
JOB_TAG_MAX_CHARS = 1024
SNS_TOPIC_ARN_PATTERN = "(^arn:aws:sns:.*:\\w{12}:.+$)"
ROLE_ARN_PATTERN = "arn:aws:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
MIN_CONFIDENCE_RANGE = (0.0, 100.0)
DEFAULT_MIN_CONFIDENCE = 50.0
# Needed when Rekognition publishes through the AmazonRekognitionServiceRole managed policy.
SNS_TOPIC_PREFIX = "AmazonRekognition"

_FILTER_VALUE_RE = re.compile(FILTER_VALUE_PATTERN)
_JOB_TAG_RE = re.compile(JOB_TAG_PATTERN, re.ASCII)
_SNS_RE = re.compile(SNS_TOPIC_ARN_PATTERN, re.ASCII)
_ROLE_RE = re.compile(ROLE_ARN_PATTERN, re.ASCII)

# The API names of the four lists and how the UI names them.
FILTER_FIELDS: dict[str, str] = {
    "LabelInclusionFilters": "Include labels",
    "LabelExclusionFilters": "Exclude labels",
    "LabelCategoryInclusionFilters": "Include categories",
    "LabelCategoryExclusionFilters": "Exclude categories",
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``field`` is the API parameter name, ``message`` a sentence for the user."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def forbidden_characters(value: str) -> list[str]:
    """The distinct characters of ``value`` that the filter-value pattern does not admit, in order."""
    seen: list[str] = []
    for ch in value:
        if not _FILTER_VALUE_RE.fullmatch(ch) and ch not in seen:
            seen.append(ch)
    return seen


def _show_chars(chars: list[str]) -> str:
    def one(c: str) -> str:
        if c == " ":
            return "a space"
        return repr(c) if c.isprintable() and not c.isspace() else f"U+{ord(c):04X}"

    shown = [one(c) for c in chars]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def filter_value_problem(value: str, field: str = "LabelInclusionFilters") -> str | None:
    """Why ``value`` cannot be sent in a label or category filter list, or None when it can."""
    what = FILTER_FIELDS.get(field, field)
    if not isinstance(value, str):
        return f"{what}: every item must be text, not {type(value).__name__}."
    if not value.strip():
        return f"{what}: a name cannot be empty."
    if len(value) > MAX_FILTER_VALUE_CHARS:
        return (
            f"{what}: '{value[:20]}…' has {len(value)} characters; "
            f"the API accepts at most {MAX_FILTER_VALUE_CHARS} ({field})."
        )
    bad = forbidden_characters(value)
    if bad:
        return (
            f"{what}: '{value}' contains {_show_chars(bad)}, which {field} does not accept. "
            "Allowed: letters A-Z, digits, à â è ç ñ ó, spaces and ' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _."
        )
    return None


def filter_list_problems(field: str, values: tuple[str, ...] | list[str]) -> list[Problem]:
    what = FILTER_FIELDS.get(field, field)
    problems: list[Problem] = []
    if len(values) > MAX_FILTER_ITEMS:
        problems.append(
            Problem(
                field, f"{what}: {len(values)} items; the API accepts at most {MAX_FILTER_ITEMS} ({field})."
            )
        )
    for value in values:
        message = filter_value_problem(value, field)
        if message:
            problems.append(Problem(field, message))
    return problems


def filters_problems(filters: LabelFilters) -> list[Problem]:
    problems: list[Problem] = []
    for field, values in (
        ("LabelInclusionFilters", filters.label_inclusions),
        ("LabelExclusionFilters", filters.label_exclusions),
        ("LabelCategoryInclusionFilters", filters.category_inclusions),
        ("LabelCategoryExclusionFilters", filters.category_exclusions),
    ):
        problems += filter_list_problems(field, values)
    for kind, inc, exc in (
        ("label", filters.label_inclusions, filters.label_exclusions),
        ("category", filters.category_inclusions, filters.category_exclusions),
    ):
        both = sorted(set(inc) & set(exc))
        if both:
            problems.append(
                Problem(
                    "Settings",
                    f"The {kind} {', '.join(repr(b) for b in both)} is both included and excluded; pick one.",
                )
            )
    return problems


def min_confidence_problem(value: object) -> str | None:
    lo, hi = MIN_CONFIDENCE_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"MinConfidence must be a number from {lo:g} to {hi:g}."
    if math.isnan(value) or not lo <= value <= hi:
        return f"MinConfidence must be from {lo:g} to {hi:g} (got {value:g})."
    return None


def job_tag_problem(tag: str | None) -> str | None:
    """None (or empty) means no JobTag is sent, which is fine."""
    if not tag:
        return None
    if len(tag) > JOB_TAG_MAX_CHARS:
        return f"JobTag has {len(tag)} characters; the API accepts at most {JOB_TAG_MAX_CHARS}."
    if not _JOB_TAG_RE.fullmatch(tag):
        bad = sorted({c for c in tag if not _JOB_TAG_RE.fullmatch(c)}, key=tag.index)
        return (
            f"JobTag '{tag}' contains {_show_chars(bad)}. Allowed: letters A-Z a-z, digits and _ . - : + = /"
            " (no spaces)."
        )
    return None


def sns_topic_problem(arn: str) -> str | None:
    if not arn:
        return "SNS topic ARN is empty."
    if not _SNS_RE.fullmatch(arn):
        return (
            "SNS topic ARN is not valid: expected arn:aws:sns:REGION:ACCOUNT_ID(12 digits):TOPIC_NAME, "
            "e.g. arn:aws:sns:us-east-1:123456789012:AmazonRekognitionTopic."
        )
    return None


def role_arn_problem(arn: str) -> str | None:
    if not arn:
        return "IAM role ARN is empty."
    if not _ROLE_RE.fullmatch(arn):
        return (
            "IAM role ARN is not valid: expected arn:aws:iam::ACCOUNT_ID(12 digits):role/NAME, "
            "e.g. arn:aws:iam::123456789012:role/RekognitionSNSRole."
        )
    return None


def sns_topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if arn else ""


def sns_topic_warning(arn: str) -> str | None:
    """Not an API rule but a common trap: the managed policy only allows topics named AmazonRekognition*."""
    if not arn or sns_topic_problem(arn):
        return None
    name = sns_topic_name(arn)
    if not name.startswith(SNS_TOPIC_PREFIX):
        return (
            f"The topic name '{name}' does not begin with '{SNS_TOPIC_PREFIX}': the AmazonRekognitionServiceRole "
            f"policy only lets Rekognition publish to topics named {SNS_TOPIC_PREFIX}*. Rename the topic, or "
            "give the role sns:Publish on it."
        )
    return None


def notification_problems(sns_topic_arn: str, role_arn: str) -> list[Problem]:
    """Both empty: no NotificationChannel (fine). One of them alone: a problem; both: each validated."""
    sns_topic_arn, role_arn = sns_topic_arn.strip(), role_arn.strip()
    if not sns_topic_arn and not role_arn:
        return []
    problems: list[Problem] = []
    if not sns_topic_arn:
        problems.append(
            Problem("SNSTopicArn", "SNS topic ARN is missing: a notification channel needs both ARNs.")
        )
    elif message := sns_topic_problem(sns_topic_arn):
        problems.append(Problem("SNSTopicArn", message))
    if not role_arn:
        problems.append(
            Problem("RoleArn", "IAM role ARN is missing: a notification channel needs both ARNs.")
        )
    elif message := role_arn_problem(role_arn):
        problems.append(Problem("RoleArn", message))
    return problems


def settings_problems(settings: JobSettings) -> list[Problem]:
    """Everything the API would reject in these settings (empty list: the request is acceptable)."""
    problems = filters_problems(settings.filters)
    if message := min_confidence_problem(settings.min_confidence):
        problems.append(Problem("MinConfidence", message))
    if message := job_tag_problem(settings.job_tag):
        problems.append(Problem("JobTag", message))
    channel: NotificationChannel | None = settings.notification
    if channel is not None:
        problems += notification_problems(channel.sns_topic_arn or "", channel.role_arn or "")
        if not channel.sns_topic_arn.strip() and not channel.role_arn.strip():
            problems.append(Problem("NotificationChannel", "The notification channel has neither ARN."))
    return problems
