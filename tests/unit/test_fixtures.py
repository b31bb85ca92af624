"""The recorded outputs under tests/unit/fixtures and their one loader (conftest.py's ``fixture_text``)."""
import os

import pytest

from conftest import FIXTURES, read_fixture


@pytest.mark.parametrize("kind", ["ascend", "nvidia"])
def test_every_vendor_fixture_names_its_source(kind):
    names = sorted(os.listdir(os.path.join(FIXTURES, kind)))
    assert names
    for name in names:
        with open(os.path.join(FIXTURES, kind, name)) as handle:
            assert handle.readline().startswith("# source: "), name


def test_the_loader_drops_the_source_lines(fixture_text):
    text = fixture_text("nvidia", "smi_no_devices.txt")
    assert text and "# source:" not in text
    with open(os.path.join(FIXTURES, "nvidia", "smi_no_devices.txt")) as handle:
        raw = handle.read()
    assert raw.endswith(text) and raw.startswith("# source: ")


def test_the_loader_refuses_a_fixture_that_does_not_say_where_it_came_from(tmp_path, monkeypatch):
    import conftest

    (tmp_path / "nvidia").mkdir()
    (tmp_path / "nvidia" / "made_up.txt").write_text("No devices were found\n")
    monkeypatch.setattr(conftest, "FIXTURES", str(tmp_path))
    with pytest.raises(AssertionError, match="made_up.txt does not start with '# source: <where it came from>'"):
        read_fixture("nvidia", "made_up.txt")
