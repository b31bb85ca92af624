"""The recorded outputs under tests/unit/fixtures and their one loader (conftest.py's ``fixture_text``)."""
import os

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


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


def test_the_loader_refuses_a_fixture_that_does_not_say_where_it_came_from(tmp_path, fixture_text):
    (tmp_path / "nvidia").mkdir()
    (tmp_path / "nvidia" / "made_up.txt").write_text("No devices were found\n")
    with pytest.raises(AssertionError, match="made_up.txt does not start with '# source: <where it came from>'"):
        fixture_text("nvidia", "made_up.txt", root=str(tmp_path))
    (tmp_path / "nvidia" / "recorded.txt").write_text("# source: a made-up run\nNo devices were found\n")
    assert fixture_text("nvidia", "recorded.txt", root=str(tmp_path)) == "No devices were found\n"
