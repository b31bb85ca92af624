"""The registry password: the config's, else generated once into a file on the control machine; one definition
that every role needing it uses."""
import json
import os
import re
import stat
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.aiplatform.cluster.plugins.lookup.registry_password import (
    LookupModule,
    configured_password,
    default_file,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)


def lookup(variables, *terms):
    loader = DataLoader()
    return LookupModule(loader=loader, templar=Templar(loader=loader, variables=variables)).run(
        list(terms), variables)


def test_the_configs_password_wins_and_no_file_is_written(tmp_path):
    variables = {"platform_registry": {"local": {"password": "S3cret-of-the-site"}},
                 "platform_artifacts_dir": str(tmp_path)}
    assert lookup(variables) == ["S3cret-of-the-site"]
    assert lookup(variables, str(tmp_path / "pw")) == ["S3cret-of-the-site"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("registry, password", [
    (None, ""), ({}, ""), ({"local": None}, ""), ({"local": {"password": ""}}, ""),
    ({"local": {"password": None, "username": "ops"}}, ""), ({"local": {"password": "pw"}}, "pw"),
    ("not a mapping", ""), ({"local": "not a mapping"}, "")])
def test_the_configs_password(registry, password):
    assert configured_password(registry) == password


def test_the_default_file():
    assert default_file("/site/.aiplatform", "/play") == "/site/.aiplatform/registry/password"
    assert default_file(None, "/play") == "/play/.aiplatform/registry/password"
    assert default_file("", None) == "./.aiplatform/registry/password"


def run_play(tmp_path, play_vars, *terms):
    """The three roles' defaults and the lookup itself, as ansible-playbook renders them -> their values."""
    out = tmp_path / "out.json"
    values = {"registry": "{{ registry_password }}",
              "container_runtime": "{{ container_runtime_local_registry_password }}",
              "offline": "{{ offline_registry_password }}"}
    for number, term in enumerate(terms):
        values["term%d" % number] = "{{ lookup('aiplatform.cluster.registry_password', %r) }}" % term
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars_files": [os.path.join(ROOT, "roles", role, "defaults", "main.yml")
                            for role in ("registry", "container_runtime", "offline")],
             "vars": play_vars,
             "tasks": [{"ansible.builtin.copy": {"content": "{{ __values | to_json }}", "dest": str(out)},
                        "vars": {"__values": values}}]}]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", "ansible_python_interpreter=" + sys.executable, str(path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return json.loads(out.read_text())


def test_generated_once_and_the_same_for_every_role(tmp_path):
    art = tmp_path / "art"
    first = run_play(tmp_path, {"platform_artifacts_dir": str(art)}, str(tmp_path / "elsewhere" / "pw"))
    path = art / "registry" / "password"
    generated = path.read_text().strip()
    assert re.match(r"^[A-Za-z0-9]{32}$", generated)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert first["registry"] == first["container_runtime"] == first["offline"] == generated
    assert first["term0"] == (tmp_path / "elsewhere" / "pw").read_text().strip() != generated
    assert run_play(tmp_path, {"platform_artifacts_dir": str(art)}, str(tmp_path / "elsewhere" / "pw")) == first


def test_the_configs_password_for_every_role_and_no_file(tmp_path):
    values = run_play(tmp_path, {"platform_artifacts_dir": str(tmp_path / "art"),
                                 "platform_registry": {"local": {"password": "{{ 'S3cret' ~ '-site' }}"}}})
    assert values == {"registry": "S3cret-site", "container_runtime": "S3cret-site", "offline": "S3cret-site"}
    assert not (tmp_path / "art").exists()


@pytest.mark.parametrize("role, name", [("registry", "registry_password"),
                                        ("container_runtime", "container_runtime_local_registry_password"),
                                        ("offline", "offline_registry_password")])
def test_every_role_takes_the_password_from_the_one_lookup(role, name):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    assert "lookup('aiplatform.cluster.registry_password'" in defaults[name]
    assert "ansible.builtin.password" not in defaults[name]


def test_no_role_or_playbook_generates_the_password_itself():
    """The generated file is made in one place: no other lookup of ansible.builtin.password names it."""
    found = []
    for top in ("roles", "playbooks"):
        for folder, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                with open(os.path.join(folder, name), errors="replace") as handle:
                    text = handle.read()
                for match in re.finditer(r"lookup\(\s*'ansible\.builtin\.password',([^)]*)", text):
                    if "registry" in match.group(1):
                        found.append(os.path.relpath(os.path.join(folder, name), ROOT))
    assert found == []
