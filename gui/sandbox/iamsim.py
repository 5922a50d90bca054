"""IAM ``SimulatePrincipalPolicy`` for roles, which moto does not implement: the same evaluation the
emulator uses to decide whether Rekognition may publish (:mod:`gui.core.iam_policy`), answered in IAM's
query-protocol XML.  Statements with a Condition do not apply (no request context is given), and their
condition keys come back as ``MissingContextValues``, as IAM reports them."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any
from xml.sax.saxutils import escape

from gui.core import iam_policy
from gui.sandbox.apierrors import ApiError

NS = "https://iam.amazonaws.com/doc/2010-05-08/"
DECISIONS = {iam_policy.Decision.ALLOW: "allowed", iam_policy.Decision.EXPLICIT_DENY: "explicitDeny",
             iam_policy.Decision.IMPLICIT_DENY: "implicitDeny"}


def _members(form: dict[str, list[str]], name: str) -> list[str]:
    out = []
    i = 1
    while f"{name}.member.{i}" in form:
        out.append(form[f"{name}.member.{i}"][0])
        i += 1
    return out


def simulate(storage: Any, body: bytes) -> bytes:
    """The XML answer to a SimulatePrincipalPolicy form *body*; raises ApiError for a bad request."""
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    source = (form.get("PolicySourceArn") or [""])[0]
    actions = _members(form, "ActionNames")
    resources = _members(form, "ResourceArns") or ["*"]
    if not source or not actions:
        raise ApiError("InvalidInput", "PolicySourceArn and ActionNames are required.", 400)
    if ":role/" not in source:
        raise ApiError("InvalidInput", "The sandbox simulates roles only.", 400)
    found = storage.role_policies(source)
    if found is None:
        raise ApiError("NoSuchEntity", f"The role with ARN {source} cannot be found.", 404)
    docs = [iam_policy.parse_document(d) for d in found[1]]
    rows = []
    for action in actions:
        for resource in resources:
            result = iam_policy.evaluate(docs, action, resource)
            missing = "".join(f"<member>{escape(k)}</member>"
                              for k in iam_policy.condition_keys(docs, action, resource))
            rows.append(f"<member><EvalActionName>{escape(action)}</EvalActionName>"
                        f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
                        f"<EvalDecision>{DECISIONS[result.decision]}</EvalDecision>"
                        f"<MatchedStatements/><MissingContextValues>{missing}</MissingContextValues></member>")
    return (f'<SimulatePrincipalPolicyResponse xmlns="{NS}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(rows)}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
            f"</ResponseMetadata></SimulatePrincipalPolicyResponse>").encode()


def error_xml(exc: ApiError) -> bytes:
    return (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{escape(exc.code)}</Code>'
            f"<Message>{escape(exc.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            f"</ErrorResponse>").encode()
