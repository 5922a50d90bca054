"""Shared fixtures. Qt runs offscreen; AWS is the local sandbox over real HTTP; no real ~/.aws is read."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _isolated_aws(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and an empty ~/.aws so no test ever touches a real account."""
    home = tmp_path_factory.mktemp("aws-home")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("REKOGNITION_LABELER_DATA_DIR", raising=False)


@pytest.fixture(autouse=True)
def _gui_thread_gc(request: pytest.FixtureRequest) -> None:
    """Tests that use Qt collect garbage on the GUI thread, as the app does (gui/qt/gc_guard.py)."""
    if "qapp" in request.fixturenames or "qtbot" in request.fixturenames:
        from gui.qt import gc_guard

        gc_guard.install(request.getfixturevalue("qapp"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Any]:
    """One sandbox for the session (seeded with the demo bucket). Tests must not change its settings;
    use ``make_sandbox`` for custom limits, faults or job durations."""
    from gui.sandbox import Sandbox

    sb = Sandbox(port=0, seed_demo=True, job_seconds=1.0)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Any]]:
    """Factory for a private sandbox: ``make_sandbox(job_seconds=0.5, max_concurrent_jobs=2, ...)``."""
    from gui.sandbox import Sandbox

    started: list[Any] = []

    def factory(**kwargs: Any) -> Any:
        kwargs.setdefault("port", 0)
        sb = Sandbox(**kwargs)
        sb.start()
        started.append(sb)
        return sb

    yield factory
    for sb in started:
        sb.stop()


@pytest.fixture
def boto_client(sandbox: Any) -> Callable[[str], Any]:
    """``boto_client("s3")``: a real boto3 client on the shared sandbox."""
    import boto3

    def make(service: str, sb: Any = None) -> Any:
        target = sb or sandbox
        return boto3.client(
            service,
            region_name=TEST_REGION,
            endpoint_url=target.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    """An in-memory keyring backend (headless machines have none)."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
