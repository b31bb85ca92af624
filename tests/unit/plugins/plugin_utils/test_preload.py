"""plugin_utils/preload.py: the collection's plugins loaded once in ansible-playbook's own process (issue 19).

The names come from the files; a plugin that does not load is reported, never raised; with Ansible's real loaders
every plugin of the collection loads (a subprocess, so that the loaders of this test process stay untouched).
"""
import os
import subprocess
import sys

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preload

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_names_from_the_files(tmp_path):
    (tmp_path / "filter").mkdir()
    for name in ("a.py", "a_one.yml", "b_two.yml", "__init__.py", "_private.yml", "notes.txt"):
        (tmp_path / "filter" / name).write_text("")
    (tmp_path / "test").mkdir()
    for name in ("safe.py", "safe.yml", "__init__.py"):
        (tmp_path / "test" / name).write_text("")
    assert preload.names(str(tmp_path), "filter") == ["a_one", "b_two"]
    assert preload.names(str(tmp_path), "test") == ["safe"]
    assert preload.names(str(tmp_path), "action") == []  # no folder


class Loader(object):
    def __init__(self, broken=()):
        self.asked = []
        self.broken = broken

    def get(self, name, class_only=False):
        self.asked.append((name, class_only))
        if name in self.broken:
            raise ValueError("does not import")
        return None if name.endswith("missing") else object()


def test_what_did_not_load_is_reported_not_raised(tmp_path):
    for kind, files in (("filter", ("one.yml", "missing.yml")), ("test", ("two.py",)), ("action", ("three.py",))):
        (tmp_path / kind).mkdir()
        for name in files:
            (tmp_path / kind / name).write_text("")
    loaders = {"filter": Loader(), "test": Loader(), "action": Loader(broken=("aiplatform.cluster.three",))}
    loaded, missed = preload.preload(loaders, str(tmp_path))
    assert missed == ["aiplatform.cluster.missing", "aiplatform.cluster.three"]
    assert loaded == 2 + len(preload.BUILTIN_ACTIONS)
    assert loaders["filter"].asked == [("aiplatform.cluster.missing", False), ("aiplatform.cluster.one", False)]
    # action plugins are loaded as classes (an instance needs a task); Ansible's own are loaded too
    assert ("ansible.builtin.normal", True) in loaders["action"].asked


def test_the_collection_plugins_all_load():
    code = ("from ansible.plugins.loader import init_plugin_loader\n"
            "init_plugin_loader([%r])\n"
            "from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preload\n"
            "loaded, missed = preload.preload()\n"
            "print(loaded, ','.join(missed))\n" % os.path.join(ROOT, ".collections"))
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    loaded, missed = run.stdout.split("\n")[-2].split(" ", 1)
    assert missed == "", "did not load: %s" % missed
    expected = (len(preload.names(preload.plugins_dir(), "filter")) + len(preload.names(preload.plugins_dir(), "test"))
                + len(preload.names(preload.plugins_dir(), "action")) + len(preload.BUILTIN_ACTIONS))
    assert int(loaded) == expected > 90
