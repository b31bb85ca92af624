"""Make the collection importable as ansible_collections.aiplatform.cluster, and load the recorded outputs.

``fixture_text("nvidia", "smi_no_devices.txt")`` (a pytest fixture) is the file under tests/unit/fixtures/
without its leading ``# source:`` line(s); a file that does not say where it came from fails the test that
reads it (tests/unit/test_conftest.py holds every vendor fixture to that).
"""
import os
import socket
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures")
SOURCE = "# source:"
sys.path.insert(0, os.path.join(ROOT, ".collections"))
# Helpers the tests share (tests/support/module_run.py: run a module as Ansible does).
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: builds or installs something (seconds, not milliseconds); runs in the default suite")


def read_fixture(*parts, **where):
    """The recorded output ``tests/unit/fixtures/<parts...>`` without its ``# source:`` line(s) (``root=`` another
    folder than tests/unit/fixtures)."""
    path = os.path.join(where.get("root", FIXTURES), *parts)
    with open(path) as handle:
        lines = handle.readlines()
    assert lines and lines[0].startswith(SOURCE + " "), "%s does not start with '%s <where it came from>'" % (
        path, SOURCE)
    return "".join(line for line in lines if not line.startswith(SOURCE))


@pytest.fixture(name="fixture_text")
def fixture_text_loader():
    """:func:`read_fixture`, for a test: ``fixture_text("ascend", "npu_smi_list_8.txt")``."""
    return read_fixture


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that accepts connections (the network probes' tests)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()
