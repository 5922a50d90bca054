"""Check a NotificationChannel before submitting: will Rekognition's completion messages reach the topic?

Rekognition publishes the completion of a stored-video job to the channel's SNS topic *as the channel's
IAM role*; the developer guide's rules (``api-video``, ``api-video-roles``, ``video-troubleshooting``):

* the topic must be in the same region as the Rekognition endpoint;
* the role must exist and trust ``rekognition.amazonaws.com`` (the "Rekognition" service-role use case);
* the role must be allowed ``sns:Publish`` on the topic; the managed ``AmazonRekognitionServiceRole``
  policy allows it only for topics whose name begins with ``AmazonRekognition``.

AWS does not refuse a job whose channel breaks these rules: the job runs and no message ever arrives.
This check looks the facts up with calls a user's credentials usually allow (``sns:GetTopicAttributes``,
``iam:GetRole``, ``iam:SimulatePrincipalPolicy`` or else the role's policies) and returns plain findings.
A look-up the credentials may not make is reported as ``UNKNOWN`` ("could not check"), never as a
problem, so the caller can let the user go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from gui.core import iam_policy
from gui.core.types import ClientFactory

SERVICE_POLICY_NAME = "AmazonRekognitionServiceRole"
SERVICE_TOPIC_PREFIX = "AmazonRekognition"
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException",
                "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"}
WHY_NO_MESSAGES = ("Completion messages usually fail to arrive because the role does not exist or does not "
                   "trust rekognition.amazonaws.com, the role may not publish to the topic (the managed "
                   "AmazonRekognitionServiceRole policy covers only topics named AmazonRekognition...), the "
                   "topic is in another region than Rekognition, or the topic's access policy refuses it.")


class Level(Enum):
    OK = "ok"
    PROBLEM = "problem"  # completion messages will not arrive
    UNKNOWN = "unknown"  # could not be checked (permissions, or a rule this check cannot decide)


@dataclass(frozen=True)
class Finding:
    level: Level
    subject: str  # "region", "topic", "role", "trust", "permission"
    message: str


def blocking(findings: Iterable[Finding]) -> bool:
    """True when some finding says messages will not arrive (UNKNOWN never blocks)."""
    return any(f.level is Level.PROBLEM for f in findings)


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _denied(exc: BaseException) -> bool:
    return _code(exc) in DENIED_CODES


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def topic_name(topic_arn: str) -> str:
    return topic_arn.rsplit(":", 1)[-1]


def check_channel(clients: ClientFactory, topic_arn: str, role_arn: str, endpoint_region: str) -> list[Finding]:
    """Every finding about the channel (*topic_arn*, *role_arn*) for jobs started in *endpoint_region*."""
    findings = [_check_region(topic_arn, endpoint_region), _check_topic(clients, topic_arn)]
    role = _get_role(clients, role_arn)
    if isinstance(role, Finding):
        findings.append(role)
        return findings
    findings.append(_check_trust(role, role_arn))
    findings.append(_check_permission(clients, role_arn, topic_arn))
    return findings


def _check_region(topic_arn: str, endpoint_region: str) -> Finding:
    region = iam_policy.arn_region(topic_arn)
    if region != endpoint_region:
        return Finding(Level.PROBLEM, "region",
                       f"The SNS topic is in {region or 'no region'}, but jobs are started in {endpoint_region}: "
                       "Rekognition publishes only to topics in its own region. Use a topic in "
                       f"{endpoint_region}.")
    return Finding(Level.OK, "region", f"The SNS topic is in {endpoint_region}, like the jobs.")


def _check_topic(clients: ClientFactory, topic_arn: str) -> Finding:
    region = iam_policy.arn_region(topic_arn) or None
    try:
        clients("sns", region).get_topic_attributes(TopicArn=topic_arn)
    except Exception as exc:
        if _denied(exc):
            return Finding(Level.UNKNOWN, "topic", "Could not check that the SNS topic exists: your credentials "
                                                   "may not call sns:GetTopicAttributes.")
        if _code(exc) in ("NotFound", "NotFoundException", "InvalidParameter"):
            return Finding(Level.PROBLEM, "topic", f"The SNS topic {topic_name(topic_arn)} does not exist.")
        return Finding(Level.UNKNOWN, "topic", f"Could not check the SNS topic ({_code(exc) or type(exc).__name__}).")
    return Finding(Level.OK, "topic", f"The SNS topic {topic_name(topic_arn)} exists.")


def _get_role(clients: ClientFactory, role_arn: str) -> dict[str, Any] | Finding:
    try:
        role = clients("iam").get_role(RoleName=role_name(role_arn))["Role"]
    except Exception as exc:
        if _denied(exc):
            return Finding(Level.UNKNOWN, "role", "Could not check the IAM role: your credentials may not call "
                                                  "iam:GetRole. Messages may still arrive.")
        if _code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
            return Finding(Level.PROBLEM, "role", f"The IAM role {role_name(role_arn)} does not exist.")
        return Finding(Level.UNKNOWN, "role", f"Could not check the IAM role ({_code(exc) or type(exc).__name__}).")
    if role.get("Arn") and role["Arn"] != role_arn:
        return Finding(Level.PROBLEM, "role", f"No role has the ARN {role_arn} (a role named "
                                              f"{role_name(role_arn)} has {role['Arn']}).")
    return dict(role)


def _check_trust(role: dict[str, Any], role_arn: str) -> Finding:
    try:
        trust = iam_policy.parse_document(role.get("AssumeRolePolicyDocument"))
    except ValueError:
        return Finding(Level.UNKNOWN, "trust", "Could not read the role's trust policy.")
    if not iam_policy.trusts_service(trust):
        return Finding(Level.PROBLEM, "trust",
                       f"The role {role_name(role_arn)} does not trust rekognition.amazonaws.com, so Rekognition "
                       "cannot use it. Create it for the 'Rekognition' use case, or add that service as a "
                       "principal of its trust policy.")
    return Finding(Level.OK, "trust", f"The role {role_name(role_arn)} trusts rekognition.amazonaws.com.")


def _denied_message(role_arn: str, topic_arn: str, has_service_policy: bool) -> str:
    text = f"The role {role_name(role_arn)} may not publish (sns:Publish) to the topic {topic_name(topic_arn)}."
    if has_service_policy and not topic_name(topic_arn).startswith(SERVICE_TOPIC_PREFIX):
        text += (f" Its {SERVICE_POLICY_NAME} policy covers only topics whose name begins with "
                 f"{SERVICE_TOPIC_PREFIX}: rename the topic or allow sns:Publish on it.")
    return text


def _check_permission(clients: ClientFactory, role_arn: str, topic_arn: str) -> Finding:
    iam = clients("iam")
    simulated = _simulate(iam, role_arn, topic_arn)
    if simulated is not None:
        decision, missing = simulated
        if decision == "allowed":
            return Finding(Level.OK, "permission", f"The role may publish to {topic_name(topic_arn)}.")
        if decision == "implicitDeny" and missing:
            return Finding(Level.UNKNOWN, "permission",
                           "The role's permission to publish depends on policy conditions this check cannot "
                           f"evaluate ({', '.join(missing)}).")
        return Finding(Level.PROBLEM, "permission", _denied_message(role_arn, topic_arn,
                                                                    _has_service_policy(iam, role_arn)))
    documents = _role_documents(iam, role_arn)
    if documents is None:
        return Finding(Level.UNKNOWN, "permission",
                       "Could not check whether the role may publish to the topic: your credentials may not "
                       "read its policies (iam:SimulatePrincipalPolicy, or iam:ListRolePolicies/GetRolePolicy/"
                       "ListAttachedRolePolicies/GetPolicyVersion).")
    names, docs = documents
    result = iam_policy.evaluate(docs, "sns:Publish", topic_arn)
    if result.allowed:
        return Finding(Level.OK, "permission", f"The role may publish to {topic_name(topic_arn)}.")
    if result.decision is iam_policy.Decision.IMPLICIT_DENY and result.conditional:
        return Finding(Level.UNKNOWN, "permission",
                       "The role's permission to publish depends on policy conditions this check cannot "
                       f"evaluate ({', '.join(result.conditional)}).")
    return Finding(Level.PROBLEM, "permission", _denied_message(role_arn, topic_arn, SERVICE_POLICY_NAME in names))


def _simulate(iam: Any, role_arn: str, topic_arn: str) -> tuple[str, list[str]] | None:
    """IAM's own decision ("allowed", "explicitDeny", "implicitDeny") and the condition keys it lacked to
    decide; None when it cannot be had."""
    try:
        answer = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["sns:Publish"],
                                               ResourceArns=[topic_arn])
        results = answer.get("EvaluationResults") or []
        if not results:
            return None
        return str(results[0]["EvalDecision"]), [str(k) for k in results[0].get("MissingContextValues") or []]
    except Exception:
        return None  # not allowed, or not offered by this endpoint: read the policies instead


def _has_service_policy(iam: Any, role_arn: str) -> bool:
    try:
        attached = iam.list_attached_role_policies(RoleName=role_name(role_arn))["AttachedPolicies"]
    except Exception:
        return False
    return any(p.get("PolicyName") == SERVICE_POLICY_NAME for p in attached)


def _role_documents(iam: Any, role_arn: str) -> tuple[set[str], list[dict[str, Any]]] | None:
    """(names of the policies, their documents) of the role; None when they cannot be read."""
    name = role_name(role_arn)
    names: set[str] = set()
    docs: list[dict[str, Any]] = []
    try:
        for policy_name in _pages(iam.list_role_policies, "PolicyNames", RoleName=name):
            names.add(policy_name)
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            docs.append(iam_policy.parse_document(doc))
        for attached in _pages(iam.list_attached_role_policies, "AttachedPolicies", RoleName=name):
            names.add(attached["PolicyName"])
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                             VersionId=policy["DefaultVersionId"])["PolicyVersion"]
            docs.append(iam_policy.parse_document(version["Document"]))
    except Exception:
        return None
    return names, docs


def _pages(call: Callable[..., Any], key: str, **kwargs: Any) -> list[Any]:
    out: list[Any] = []
    marker = None
    while True:
        page = call(**kwargs, **({"Marker": marker} if marker else {}))
        out.extend(page.get(key) or [])
        if not page.get("IsTruncated"):
            return out
        marker = page.get("Marker")
