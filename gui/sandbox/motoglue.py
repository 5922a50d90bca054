"""The few moto internals the sandbox relies on, in one place (checked against moto 5.2).

moto keeps state in process-global backends keyed by account id, so each live :class:`Sandbox` gets its
own account: requests through its endpoint carry ``x-moto-account-id`` and direct calls pass the account.
S3 bucket names are one global namespace in moto (``s3_backends.bucket_accounts``); we replace that map
with one scoped per sandbox account, so two sandboxes in one process may both own ``demo-videos``.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, backend_lock
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends

from gui.sandbox import fastdispatch, fastlist, fastrange

CURRENT_ACCOUNT: contextvars.ContextVar[str | None] = contextvars.ContextVar("sandbox_account", default=None)
_install_lock = threading.Lock()
_accounts_lock = threading.Lock()
_live_accounts: set[str] = set()
REKOGNITION_SERVICE_POLICY = "AmazonRekognitionServiceRole"


def _managed_policy_data(raw_json: str, name: str) -> dict[str, Any]:
    """One entry of moto's AWS-managed-policy data without parsing all of it (it is ~1 MB of JSON)."""
    import json

    start = raw_json.index(f'"{name}":')
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(raw_json, raw_json.index("{", start))
    return value  # type: ignore[no-any-return]


@contextmanager
def account_scope(account_id: str) -> Iterator[None]:
    token = CURRENT_ACCOUNT.set(account_id)
    try:
        yield
    finally:
        CURRENT_ACCOUNT.reset(token)


class ScopedBucketNamespace(dict):  # type: ignore[type-arg]
    """``bucket name -> (partition, account)`` as moto expects, but each sandbox account sees only its
    own buckets.  Outside any sandbox scope (plain moto use in the same process) it behaves globally."""

    def __init__(self, existing: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self._by_account: dict[str, dict[str, tuple[str, str]]] = {}
        for name, value in existing.items():
            self[name] = value

    def _visible(self) -> dict[str, tuple[str, str]]:
        scope = CURRENT_ACCOUNT.get()
        if scope is not None:
            return self._by_account.get(scope, {})
        merged: dict[str, tuple[str, str]] = {}
        for names in self._by_account.values():
            for name, value in names.items():
                merged.setdefault(name, value)
        return merged

    def __setitem__(self, name: str, value: tuple[str, str]) -> None:
        self._by_account.setdefault(value[1], {})[name] = value

    def __getitem__(self, name: str) -> tuple[str, str]:
        return self._visible()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._visible()

    def get(self, name: str, default: Any = None) -> Any:
        return self._visible().get(name, default)

    def keys(self) -> Any:
        return self._visible().keys()

    def values(self) -> Any:
        return self._visible().values()

    def items(self) -> Any:
        return self._visible().items()

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._visible()))

    def __len__(self) -> int:
        return len(self._visible())

    def pop(self, name: str, *default: Any) -> Any:
        scope = CURRENT_ACCOUNT.get()
        accounts = [scope] if scope is not None else [a for a, n in self._by_account.items() if name in n]
        for account in accounts:
            names = self._by_account.get(account, {})
            if name in names:
                return names.pop(name)
        if default:
            return default[0]
        raise KeyError(name)

    def drop_account(self, account_id: str) -> None:
        self._by_account.pop(account_id, None)


def disable_moto_cors() -> None:
    """moto's server grants every origin through flask-cors on each service app it creates (unless
    MOTO_DISABLE_GLOBAL_CORS is set before moto loads); turn that off for apps created from now on.
    The sandbox adds its own grants only when asked (``cors=True``)."""
    from moto.moto_server import werkzeug_app

    werkzeug_app.DISABLE_GLOBAL_CORS = True


def install_bucket_namespace() -> ScopedBucketNamespace:
    with _install_lock:
        current = s3_backends.bucket_accounts
        if not isinstance(current, ScopedBucketNamespace):
            s3_backends.bucket_accounts = ScopedBucketNamespace(dict(current))
        return s3_backends.bucket_accounts  # type: ignore[return-value]


def allocate_account() -> str:
    """The first live sandbox uses moto's default account (123456789012); others get their own."""
    with _accounts_lock:
        candidate = DEFAULT_ACCOUNT_ID
        n = 0
        while candidate in _live_accounts:
            n += 1
            candidate = f"{100000000000 + n:012d}"
        _live_accounts.add(candidate)
        return candidate


def release_account(account_id: str) -> None:
    """Forget everything moto holds for *account_id* (all services) and free the id.

    moto's own ``S3Backend.reset()`` disposes *every* FakeKey in the process (it walks a global
    registry), which would break other live sandboxes; so we close only this account's S3 objects,
    drop them (and their ACL objects) from moto's instance registries, which hold strong references,
    and drop the account from each service's backend dict."""
    from moto.s3.models import FakeAcl, FakeGrant, FakeGrantee, FakeKey

    namespace = install_bucket_namespace()
    released: set[int] = set()
    with backend_lock:
        specific = dict.get(s3_backends, account_id)
        for backend in (specific or {}).values():
            for bucket in list(backend.buckets.values()):
                for _, versions in list(bucket.keys.iterlists()):
                    for key in versions:
                        released.add(id(key))
                        acl = getattr(key, "acl", None)
                        if acl is not None:
                            released.add(id(acl))
                            for grant in getattr(acl, "grants", ()):
                                released.add(id(grant))
                                released.update(id(g) for g in getattr(grant, "grantees", ()))
                        dispose = getattr(key, "dispose", None)
                        if dispose is not None:
                            dispose()
                for part in list(bucket.multiparts.values()):
                    part.dispose()
        for backend_dict in list(BackendDict._instances):
            dict.pop(backend_dict, account_id, None)
        # moto appends a service's dict to this registry once per new account: keep it from growing
        unique = {id(d): d for d in BackendDict._instances}
        BackendDict._instances[:] = list(unique.values())
        if released:
            for model in (FakeKey, FakeAcl, FakeGrant, FakeGrantee):
                tracked = getattr(model, "instances_tracked", None)
                if isinstance(tracked, list):
                    tracked[:] = [obj for obj in tracked if id(obj) not in released]
    namespace.drop_account(account_id)
    with _accounts_lock:
        _live_accounts.discard(account_id)


class MotoAccount:
    """Direct access to one account's moto backends (no HTTP)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        install_bucket_namespace()
        fastdispatch.install()
        fastlist.install()
        fastrange.install()

    @property
    def s3(self) -> Any:
        return s3_backends[self.account_id]["aws"]

    def create_bucket(self, name: str, region: str | None = None) -> None:
        with account_scope(self.account_id):
            self.s3.create_bucket(name, region or self.region)

    def has_bucket(self, name: str) -> bool:
        with account_scope(self.account_id):
            return name in self.s3.buckets

    def put_object(self, bucket: str, key: str, body: bytes) -> Any:
        with account_scope(self.account_id):
            return self.s3.put_object(bucket, key, body, disable_notification=True)

    def get_key(self, bucket: str, key: str, version: str | None = None) -> Any | None:
        """moto's FakeKey, or None when the bucket, key or version does not exist."""
        from moto.s3.exceptions import MissingBucket

        with account_scope(self.account_id):
            try:
                b = self.s3.get_bucket(bucket)
            except MissingBucket:
                return None
            if version:
                for candidate in b.keys.getlist(key, []):
                    if str(candidate.version_id) == version:
                        return candidate
                return None
            found = b.keys.get(key)
            if found is None or getattr(found, "is_delete_marker", False) or not hasattr(found, "value"):
                return None
            return found

    def bucket_region(self, bucket: str) -> str | None:
        """The region moto created *bucket* in, None when this account has no such bucket."""
        from moto.s3.exceptions import MissingBucket

        with account_scope(self.account_id):
            try:
                return str(self.s3.get_bucket(bucket).region_name)
            except MissingBucket:
                return None

    @property
    def iam(self) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[self.account_id]["aws"]

    def install_rekognition_service_policy(self) -> None:
        """Make AWS's managed ``service-role/AmazonRekognitionServiceRole`` policy attachable in this account,
        as it is on AWS (moto loads AWS managed policies only on request, and then all ~1,300 of them).
        The document is AWS's own, from the copy moto ships."""
        from moto.iam.aws_managed_policies import aws_managed_policies_data
        from moto.iam.models import AWSManagedPolicy

        data = _managed_policy_data(aws_managed_policies_data, REKOGNITION_SERVICE_POLICY)
        with account_scope(self.account_id):
            iam = self.iam
            policy = AWSManagedPolicy.from_data(REKOGNITION_SERVICE_POLICY, self.account_id, "us-east-1", data)
            iam.managed_policies.setdefault(policy.arn, policy)

    def role_policies(self, role_arn: str) -> tuple[str, list[str]] | None:
        """(trust policy, [every inline and attached policy document]) of the role named by *role_arn*,
        as JSON text; None when the account has no such role."""
        with account_scope(self.account_id):
            iam = self.iam
            role = next((r for r in iam.get_roles() if r.arn == role_arn), None)
            if role is None:
                return None
            documents = list(role.policies.values())
            for arn in list(role.managed_policies):
                policy = iam.managed_policies.get(arn)
                if policy is None:
                    continue
                default = next((v for v in policy.versions if v.is_default), None)
                if default is not None:
                    documents.append(default.document)
            return role.assume_role_policy_document, documents

    def publish(self, topic_arn: str, message: str) -> bool:
        """Publish through moto's SNS backend in-process; False when the topic does not exist in this
        sandbox's account (another sandbox's topic is never reached)."""
        parts = topic_arn.split(":")
        if len(parts) < 6 or parts[4] != self.account_id:
            return False
        region, account = parts[3], parts[4]
        with account_scope(self.account_id):
            try:
                topic = sns_backends[account][region].topics.get(topic_arn)
            except KeyError:
                return False
            if topic is None:
                return False
            topic.publish(message)
            return True
