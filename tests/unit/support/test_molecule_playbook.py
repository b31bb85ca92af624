"""The playbook runner the molecule verifiers share (tests/support/molecule_playbook.py), run for real against
localhost with a made-up scenario: molecule's ansible.cfg and inventory, the scenario's directory, the collection
of this checkout, extra arguments, and the output folded for matching."""
import os
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import molecule_playbook  # noqa: E402

PLAY = textwrap.dedent("""\
    - name: A scenario's playbook
      hosts: all
      gather_facts: false
      tasks:
        - name: Say where it runs, through a filter of the collection
          ansible.builtin.debug:
            msg: "{{ inventory_hostname }} {{ word | default('none') }} {{ 'x' | aiplatform.cluster.toml_string }}"
        - name: Change something
          ansible.builtin.copy:
            content: "x\\n"
            dest: "{{ dest }}"
            mode: "0644"
    """)


@pytest.fixture
def scenario(tmp_path, monkeypatch):
    ephemeral = tmp_path / "ephemeral"
    ephemeral.mkdir()
    (ephemeral / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = false\n")
    (ephemeral / "inventory").write_text("molecule-node ansible_connection=local ansible_python_interpreter=%s "
                                         "dest=%s\n" % (sys.executable, tmp_path / "out.txt"))
    directory = tmp_path / "scenario"
    directory.mkdir()
    (directory / "converge.yml").write_text(PLAY)
    monkeypatch.setenv("MOLECULE_EPHEMERAL_DIRECTORY", str(ephemeral))
    monkeypatch.setenv("MOLECULE_SCENARIO_DIRECTORY", str(directory))
    monkeypatch.setenv("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))  # replaced by molecule's
    return tmp_path


def test_a_scenario_playbook_in_check_mode_then_for_real(scenario):
    rc, out = molecule_playbook.run_playbook("converge.yml", "--check", "-e", "word=hello")
    assert rc == 0, out
    assert 'msg: molecule-node hello "x"' in out, out  # the collection's filter answered
    assert not (scenario / "out.txt").exists()  # check mode changed nothing
    assert "\x1b[" not in out  # no colour
    rc, out = molecule_playbook.run_playbook("converge.yml", timeout=120)
    assert rc == 0 and (scenario / "out.txt").read_text() == "x\n", out
    assert "molecule-node hello" not in out and "molecule-node none" in out  # no leftover arguments
    assert molecule_playbook.flat(out).count("changed=1") == 1


def test_a_failing_run_gives_its_status_and_stderr(scenario):
    rc, out = molecule_playbook.run_playbook("missing.yml")
    assert rc != 0 and "missing.yml" in out


def test_a_playbook_of_the_collection():
    path = molecule_playbook.collection_playbook("backup.yml")
    assert path == os.path.join(ROOT, "playbooks", "backup.yml") and os.path.isfile(path)


def test_flat():
    assert molecule_playbook.flat("a\n   b\tc\n\nd") == "a b c d"
