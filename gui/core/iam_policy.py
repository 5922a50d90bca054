"""A small, honest reading of IAM policy documents: enough to tell whether a role may be assumed by a
service and whether its policies allow one action on one resource.

What it evaluates: ``Effect`` Allow/Deny, ``Action``/``NotAction`` and ``Resource``/``NotResource`` as a
string or a list, with IAM's ``*`` and ``?`` wildcards (actions case-insensitively, resources
case-sensitively), and an explicit Deny beating any Allow.  What it does not: ``Condition`` blocks, policy
variables, permission boundaries, SCPs, resource policies.  A statement with a ``Condition`` is treated as
not applying (neither allowing nor denying), and :func:`evaluate` says so in its result, so a caller can
report "could not be decided" instead of guessing.

Used by the sandbox (does Rekognition get to publish?) and by the app's notification-channel check.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

REKOGNITION_PRINCIPAL = "rekognition.amazonaws.com"


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"  # nothing allows it


@dataclass(frozen=True)
class Evaluation:
    decision: Decision
    conditional: tuple[str, ...] = field(default=())  # Sids (or indexes) of matching statements with a Condition

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


def parse_document(document: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """A policy document from IAM's answers: a dict, JSON text, or URL-encoded JSON (as GetRole and
    GetPolicyVersion return it).  Raises ValueError when it is none of these."""
    if document is None:
        return {}
    if isinstance(document, Mapping):
        return dict(document)
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = json.loads(urllib.parse.unquote(text))
    if not isinstance(parsed, dict):
        raise ValueError("A policy document must be a JSON object.")
    return parsed


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match of the whole *value* (``*`` any run, ``?`` one character)."""
    return _wildcard(str(pattern), ignore_case).fullmatch(value) is not None


def _any_match(patterns: Iterable[Any], value: str, ignore_case: bool) -> bool:
    return any(matches(str(p), value, ignore_case=ignore_case) for p in patterns)


def _statement_applies(stmt: Mapping[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in stmt:
        if _any_match(_as_list(stmt["NotAction"]), action, True):
            return False
    elif not _any_match(_as_list(stmt.get("Action")), action, True):
        return False
    if "NotResource" in stmt:
        return not _any_match(_as_list(stmt["NotResource"]), resource, False)
    return _any_match(_as_list(stmt.get("Resource")), resource, False)


def evaluate(documents: Iterable[Mapping[str, Any]], action: str, resource: str) -> Evaluation:
    """Identity-policy evaluation of *action* on *resource* over every document a principal has."""
    allowed = False
    conditional: list[str] = []
    for doc in documents:
        for i, stmt in enumerate(statements(doc)):
            if not _statement_applies(stmt, action, resource):
                continue
            if stmt.get("Condition"):
                conditional.append(str(stmt.get("Sid") or f"statement {i + 1}"))
                continue
            effect = str(stmt.get("Effect", "")).lower()
            if effect == "deny":
                return Evaluation(Decision.EXPLICIT_DENY, tuple(conditional))
            if effect == "allow":
                allowed = True
    return Evaluation(Decision.ALLOW if allowed else Decision.IMPLICIT_DENY, tuple(conditional))


def condition_keys(documents: Iterable[Mapping[str, Any]], action: str, resource: str) -> list[str]:
    """The condition keys (``aws:SourceAccount``...) of the statements that match *action* on *resource* but
    carry a Condition: the context IAM's policy simulator would report as missing."""
    keys: dict[str, None] = {}
    for doc in documents:
        for stmt in statements(doc):
            condition = stmt.get("Condition")
            if not condition or not _statement_applies(stmt, action, resource):
                continue
            for operator_block in condition.values() if isinstance(condition, Mapping) else ():
                if isinstance(operator_block, Mapping):
                    keys.update((str(k), None) for k in operator_block)
    return list(keys)


def trusts_service(trust_policy: Mapping[str, Any], service: str = REKOGNITION_PRINCIPAL) -> bool:
    """Whether a role's trust policy lets *service* call ``sts:AssumeRole`` (an Allow naming it, or ``*``,
    as a principal, with no Deny for it).  Conditions are not evaluated: a conditional Allow still counts,
    because the conditions AWS documents for this (aws:SourceAccount/SourceArn) hold for the caller's own
    jobs."""
    allowed = False
    for stmt in statements(trust_policy):
        if not _any_match(_as_list(stmt.get("Action")), "sts:AssumeRole", True):
            continue
        principal = stmt.get("Principal")
        if principal == "*":
            names: list[Any] = ["*"]
        elif isinstance(principal, Mapping):
            names = _as_list(principal.get("Service")) + [p for p in _as_list(principal.get("AWS")) if p == "*"]
        else:
            names = []
        if not any(str(n) in (service, "*") for n in names):
            continue
        if str(stmt.get("Effect", "")).lower() == "deny":
            return False
        if str(stmt.get("Effect", "")).lower() == "allow":
            allowed = True
    return allowed


def arn_region(arn: str) -> str:
    """The region field of an ARN (``arn:partition:service:region:account:resource``), '' when absent."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) >= 6 else ""


def arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) >= 6 else ""
