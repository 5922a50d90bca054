"""Server-side request validation driven by botocore's Rekognition service model.

botocore checks types and required members on the client but not maxima, minima of strings or
patterns; the service does, and answers ``InvalidParameterException`` with the AWS-style message
``1 validation error detected: Value '...' at 'settings.generalLabels.labelInclusionFilters.1.member'
failed to satisfy constraint: ...``.  Patterns are the model's (Java) regular expressions, matched
against the whole value as the service does.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from gui.sandbox.apierrors import ApiError


@cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rekognition")


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # The service's patterns are Java regexes, where \w and \d match ASCII only.
    return re.compile(pattern, re.ASCII)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _check(shape: Any, value: Any, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                where = f"{path}.{_camel(name)}" if path else _camel(name)
                errors.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None or member_value is None:
                continue  # the service ignores members it does not know
            _check(member, member_value, f"{path}.{_camel(name)}" if path else _camel(name), errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must be a list")
            return
        _check_length(meta, value, path, errors)
        for i, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{i}.member", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must be a string")
            return
        _check_length(meta, value, path, errors)
        if "pattern" in meta and not _regex(meta["pattern"]).fullmatch(value):
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                          f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                          f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            kind in ("integer", "long") and not float(value).is_integer()
        ):
            errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                          f"Member must be a number")
            return
        if "max" in meta and value > meta["max"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                          f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                          f"Member must have value greater than or equal to {meta['min']}")


def problems(operation: str, request: Any) -> list[str]:
    """Every constraint *request* breaks, in the service's wording (empty when valid)."""
    shape = _model().operation_model(operation).input_shape
    errors: list[str] = []
    _check(shape, request, "", errors)
    return errors


def validate(operation: str, request: Any) -> None:
    """Raise ``InvalidParameterException`` naming every field that breaks the model's constraints."""
    errors = problems(operation, request)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ApiError("InvalidParameterException",
                       f"{len(errors)} validation {noun} detected: " + "; ".join(errors))


def _check_length(meta: dict[str, Any], value: Any, path: str, errors: list[str]) -> None:
    """The model's min/max, on a list's item count or a string's characters, worded as AWS words it."""
    if "max" in meta and len(value) > meta["max"]:
        errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                      f"Member must have length less than or equal to {meta['max']}")
    if "min" in meta and len(value) < meta["min"]:
        errors.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: "
                      f"Member must have length greater than or equal to {meta['min']}")
