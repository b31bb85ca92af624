"""Every conditional of the collection's YAML is a string (or a bare boolean) as YAML reads it.

An unquoted conditional holding ``: `` (``stdout is search('STAGE UNCHANGED: common')``) is a YAML mapping, not
an expression; ansible-core 2.19 stops the play at that task ("Conditional expressions must be strings"),
and only when the task runs: a verifier step or a rarely taken branch shows it late. This reads every
playbook, role, scenario and test playbook of the repository, so the mistake fails here first.
"""

import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FOLDERS = ("playbooks", "roles", "molecule", "tests/support", "lab")
CONDITIONALS = ("when", "that", "failed_when", "changed_when", "until")


def yaml_files(root=ROOT):
    for folder in FOLDERS:
        for base, _dirs, names in os.walk(os.path.join(root, folder)):
            for name in sorted(names):
                if name.endswith((".yml", ".yaml")):
                    yield os.path.join(base, name)
    for name in sorted(os.listdir(root)):
        if name.endswith(".yml"):
            yield os.path.join(root, name)


def bad_conditionals(data, where=""):
    """``[(where, key, item)]`` for each item of a conditional key that is neither a string nor a boolean."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in CONDITIONALS:
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, (str, bool)):
                        found.append((where, key, item))
            found += bad_conditionals(value, where)
    elif isinstance(data, list):
        for item in data:
            found += bad_conditionals(item, where)
    return found


def test_the_scan_reads_files():
    assert sum(1 for _ in yaml_files()) > 100


@pytest.mark.parametrize("text, count", [
    ("- assert:\n    that:\n      - x is search('a: b')\n", 1),
    ("- assert:\n    that:\n      - \"x is search('a: b')\"\n", 0),
    ("- debug: {}\n  when: x == 1\n", 0),
    ("- debug: {}\n  when: true\n", 0),
    ("- block:\n    - debug: {}\n      changed_when: a: b\n", None),  # not YAML at all: yamllint's job
])
def test_an_unquoted_colon_is_found(text, count):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        assert count is None
        return
    assert len(bad_conditionals(data)) == count


def test_every_conditional_is_an_expression():
    found = []
    for path in yaml_files():
        with open(path) as handle:
            try:
                documents = list(yaml.safe_load_all(handle))
            except yaml.YAMLError:
                continue  # Jinja-templated YAML (templates/): not a task file
        for document in documents:
            found += bad_conditionals(document, os.path.relpath(path, ROOT))
    assert not found, "conditionals YAML reads as something else than a string (quote them):\n" + "\n".join(
        "%s: %s: %r" % item for item in found)
