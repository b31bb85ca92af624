"""The collection as a package: its declared dependencies, its execution environment definition."""

import os
import re
import subprocess
import sys
import sysconfig

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
SHIPPED_CODE = ("roles", "playbooks", "plugins", "meta")
# Anything shaped namespace.collection.name ...
NAME = re.compile(r"\b([a-z][a-z_0-9]*\.[a-z][a-z_0-9]*)\.[a-z_][a-z_0-9]*")
NOT_DEPENDENCIES = {"ansible.builtin", "ansible.legacy", "aiplatform.cluster"}


def available_collections():
    """... that is a collection: one the `ansible` package installed in this virtualenv
    (it holds about a hundred, every one we could depend on)."""
    base = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections")
    return {"%s.%s" % (ns, name) for ns in os.listdir(base) if os.path.isdir(os.path.join(base, ns))
            for name in os.listdir(os.path.join(base, ns)) if os.path.isdir(os.path.join(base, ns, name))}


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def collections_used():
    available = available_collections()
    assert "community.general" in available and "kubernetes.core" in available, "the ansible package is missing"
    used = set()
    for top in SHIPPED_CODE:
        for directory, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".yml", ".yaml", ".j2", ".py")):
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        used.update(NAME.findall(handle.read()))
    # ansible.utils is also an ansible-core Python package (ansible.utils.display): count it only where
    # roles or playbooks call the collection's filters and tests.
    if not any(re.search(r"ansible\.utils\.ip", open(os.path.join(d, f), encoding="utf-8").read())
               for top in ("roles", "playbooks") for d, _, fs in os.walk(os.path.join(ROOT, top)) for f in fs):
        used.discard("ansible.utils")
    return (used & available) - NOT_DEPENDENCIES


def test_galaxy_declares_exactly_the_collections_used():
    declared = set(load("galaxy.yml")["dependencies"])
    assert collections_used() == declared


def test_requirements_yml_matches_galaxy_yml():
    wanted = {c["name"]: c["version"] for c in load("requirements.yml")["collections"]}
    assert wanted == load("galaxy.yml")["dependencies"]


def test_collection_ee_metadata_points_at_shipped_files():
    meta = load("meta/execution-environment.yml")
    assert meta["version"] == 1
    for kind in ("python", "system"):
        assert os.path.isfile(os.path.join(ROOT, meta["dependencies"][kind])), meta["dependencies"][kind]
    # Not the repository's requirements.txt: that one pins the development tools.
    assert meta["dependencies"]["python"] != "requirements.txt"


def test_ansible_builder_create(tmp_path):
    """ansible-builder writes the build context of execution-environment.yml (the image itself needs
    a base image this workplace cannot pull)."""
    builder = os.path.join(BIN, "ansible-builder")
    assert os.path.exists(builder), "ansible-builder is not in the virtualenv: make venv (requirements-dev.txt)"
    meta = load("galaxy.yml")
    tarball = "%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"])
    # The definition lives at the repository root and copies the tarball `ansible-galaxy collection build`
    # writes there; give it a stand-in copy of the definition's directory.
    work = tmp_path / "src"
    (work / "meta").mkdir(parents=True)
    for name in ("execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt"):
        (work / name).write_bytes(open(os.path.join(ROOT, name), "rb").read())
    (work / tarball).write_bytes(b"stand-in for the collection tarball")
    context = tmp_path / "context"
    result = subprocess.run([builder, "create", "-f", str(work / "execution-environment.yml"), "-c", str(context),
                             "--output-filename", "Containerfile"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = (context / "Containerfile").read_text()
    definition = load("execution-environment.yml")
    assert definition["version"] == 3
    assert 'ARG EE_BASE_IMAGE="%s"' % definition["images"]["base_image"]["name"] in containerfile
    assert "ansible-galaxy collection install" in containerfile and "-r requirements.yml" in containerfile
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "COPY _build/bindep.txt bindep.txt" in containerfile
    build = context / "_build"
    assert (build / "requirements.txt").read_text() == open(os.path.join(ROOT, "meta/ee-requirements.txt")).read()
    assert (build / "bindep.txt").read_text() == open(os.path.join(ROOT, "meta/ee-bindep.txt")).read()
    assert (build / "collections" / tarball).read_bytes() == b"stand-in for the collection tarball"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    # The galaxy stage runs in /build, where _build/ is copied: the tarball's path must resolve there,
    # and name the version galaxy.yml builds.
    assert galaxy["collections"] == [{"name": "collections/" + tarball, "type": "file"}]
    assert "COPY _build /build" in containerfile and "WORKDIR /build" in containerfile
