"""Fixtures for the connection and browser tests (tests/browse)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browse_helpers import connect_to

from gui.core.connection import Connection
from gui.core.paths import AppPaths


@pytest.fixture
def sandbox_conn(sandbox: Any) -> Connection:
    return connect_to(sandbox)


@pytest.fixture
def paths(data_dir: Path) -> AppPaths:
    return AppPaths(data_dir, data_dir / "config", data_dir / "cache", data_dir / "logs").ensure()


@pytest.fixture
def limited_user(make_sandbox: Callable[..., Any], boto_client: Callable[..., Any]) -> Callable[..., Any]:
    """``limited_user(actions) -> (sandbox, key_id, secret)``: a private sandbox (seeded) with an IAM
    user allowed only ``actions``. Enforcement is off until the test enters ``iam_enforced(sb)``."""

    def make(actions: list[str]) -> tuple[Any, str, str]:
        sb = make_sandbox(seed_demo=True)
        iam = boto_client("iam", sb)
        iam.create_user(UserName="viewer")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        iam.put_user_policy(UserName="viewer", PolicyName="limited", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="viewer")["AccessKey"]
        return sb, key["AccessKeyId"], key["SecretAccessKey"]

    return make
