"""playbooks/guard.yml: every playbook stops, with what to do, unless its inventory is one platform config's.

The judgement (plugins/plugin_utils/inventory_guard.py) is tested by a table; then ansible-playbook runs
site.yml and a lifecycle playbook in a subprocess against temporary site directories, with an ansible.cfg
of their own (never the repository's): the plugin not enabled, no config, a broken config (under the
documented ansible.cfg, and with unparsed_is_failed on), two configs, and a good one (the guard lets it through; the next play finds no node
answering on port 1 of this machine, so nothing is ever contacted). The installed tarball is tested the same
way in test_installed_collection.py.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.action import inventory_check
from ansible_collections.aiplatform.cluster.plugins.inventory import platform_config
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.inventory_guard import Source, plugin_enabled, problem

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
PLAYBOOKS = os.path.join(ROOT, "playbooks")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")
NAMES = inventory_check.file_names()
ENABLED = ["aiplatform.cluster.platform_config", "host_list", "script"]
DEFAULTS = ["host_list", "script", "auto", "yaml", "ini", "toml"]  # ansible-core's default enable_plugins
CFG = "/sites/ansible.cfg"


def flat(text):
    return " ".join(text.split())


# --- the judgement, as a table ---------------------------------------------------------------------------------

ACME = Source("/sites/acme", True, ["/sites/acme/config.yaml"])
EMPTY = Source("/sites/acme", True, [])
MISSING = Source("/sites/acme", False)


@pytest.mark.parametrize("kwargs, expected", [
    # the plugin read one config: through
    (dict(hosts=4, config_file="/sites/acme/config.yaml", config_files=["/sites/acme/config.yaml"], sources=[ACME]),
     []),
    # a hand-written inventory (molecule) names its own file; platform_config_files is the plugin's only
    (dict(hosts=2, config_file="/m/molecule.yml", config_files=None, sources=[Source("/m/inventory", True, [])]), []),
    # the same config given twice (-i acme -i acme/config.yaml) is one config
    (dict(hosts=4, config_file="/sites/acme/config.yaml", sources=[ACME],
          config_files=["/sites/acme/config.yaml", "/sites/acme/config.yaml"]), []),
    (dict(hosts=6, config_file="/sites/b/config.yaml", config_files=["/sites/a/config.yaml", "/sites/b/config.yaml"],
          sources=[Source("/sites/a", True, ["/sites/a/config.yaml"]), Source("/sites/b", True, ["/sites/b/config.yaml"])]),
     ["The inventory was built from 2 platform configs: /sites/a/config.yaml and /sites/b/config.yaml.",
      "Fix: pass one site's directory with -i", "Nothing was changed."]),
    (dict(hosts=0, config_file="/m/molecule.yml", config_files=None, sources=[EMPTY]),
     ["The inventory (/m/molecule.yml) has no host."]),
    # not enabled: Ansible's defaults, with and without a config in the source
    (dict(hosts=0, config_file=None, config_files=None, sources=[ACME], enabled=DEFAULTS, ansible_cfg=None),
     ["so the plays would match no host", "Inventory sources: /sites/acme (platform config: /sites/acme/config.yaml).",
      "The plugin is not enabled: [inventory] enable_plugins of Ansible's defaults (no ansible.cfg found) is "
      "host_list, script, auto, yaml, ini, toml, so Ansible's own plugins read the config as plain groups",
      "The plugin reads files named platform.yml, platform.yaml, config.yml, config.yaml, layout.yml, layout.yaml, "
      "*.platform.yml, *.platform.yaml.",
      "[inventory] enable_plugins = aiplatform.cluster.platform_config, host_list, script (the collection's "
      "docs/examples/ansible.cfg; docs/install.md)"]),
    (dict(hosts=3, config_file=None, config_files=None, sources=[ACME], enabled=["yaml"], ansible_cfg=CFG),
     ["would run against 3 host(s) the plugin did not make", "enable_plugins of the ansible.cfg in use "
      "(/sites/ansible.cfg) is yaml"]),
    (dict(hosts=0, config_file=None, config_files=None, sources=[MISSING], enabled=DEFAULTS),
     ["/sites/acme (does not exist)", "so nothing can read a platform config"]),
    # enabled, but no config where -i points
    (dict(hosts=0, config_file=None, config_files=None, sources=[EMPTY]),
     ["/sites/acme (no platform config in it)", "The plugin is enabled, but no source holds a platform config.",
      "The plugin reads files named platform.yml,", "Fix: pass the site's inventory directory with -i"]),
    (dict(hosts=0, config_file=None, config_files=None, sources=[MISSING]),
     ["/sites/acme (does not exist)", "no source holds a platform config"]),
    # enabled, a config that did not load: its problems, and why Ansible went on
    (dict(hosts=0, config_file=None, config_files=None, sources=[ACME],
          load_errors={"/sites/acme/config.yaml": "1 problem in the platform config /sites/acme/config.yaml:\n"
                                                  "  - nodes: lists no node"}),
     ["The plugin stopped on:\n1 problem in the platform config /sites/acme/config.yaml:\n  - nodes: lists no node\n",
      "(Ansible printed it as a warning and went on with an empty inventory: [inventory] unparsed_is_failed is off "
      "in the ansible.cfg in use (/sites/ansible.cfg).) Nothing was changed."]),
    # ... the same message once, even when both files of a directory report it
    (dict(hosts=0, config_file=None, config_files=None,
          sources=[Source("/s", True, ["/s/config.yaml", "/s/platform.yml"])],
          load_errors={"/s/config.yaml": "/s holds 2 platform config files", "/s/platform.yml": "/s holds 2 platform "
                                                                                               "config files"}),
     ["The plugin stopped on:\n/s holds 2 platform config files\nFix the config"]),
    # ... and when it reads now (the failure was elsewhere): the plugin's warning above
    (dict(hosts=0, config_file=None, config_files=None, sources=[ACME], load_errors={"/sites/acme/config.yaml": ""},
          unparsed_is_failed=True),
     ["The plugin found /sites/acme/config.yaml but did not build the inventory: see its warning above"]),
])
def test_problem(kwargs, expected):
    args = dict(enabled=ENABLED, file_names=NAMES, ansible_cfg=CFG)
    args.update(kwargs)
    message = problem(**args)
    if not expected:
        assert message == ""
    for part in expected:
        assert part in message, (part, message)
    if expected:
        assert message.endswith("Nothing was changed."), message


def test_names_come_from_the_plugin():
    assert NAMES[:len(platform_config.FILE_NAMES)] == list(platform_config.FILE_NAMES)
    assert all(platform_config.is_config_name(name.replace("*", "acme")) for name in NAMES)
    assert not platform_config.is_config_name("hosts.yml")


@pytest.mark.parametrize("enabled, expected", [
    (ENABLED, True), ([" aiplatform.cluster.platform_config "], True), (DEFAULTS, False), ([], False), (None, False),
    (["platform_config"], False),  # Ansible resolves enable_plugins by the full name only for collections
])
def test_plugin_enabled(enabled, expected):
    assert plugin_enabled(enabled) is expected


def test_source_lists_the_configs_the_plugin_would_read(tmp_path):
    (tmp_path / "config.yaml").write_text("x")
    (tmp_path / "notes.yml").write_text("x")
    (tmp_path / "platform.yml").mkdir()  # a directory, not a config
    found = inventory_check.source(str(tmp_path))
    assert (found.exists, found.configs) == (True, [str(tmp_path / "config.yaml")])
    assert inventory_check.source(str(tmp_path / "config.yaml")).configs == [str(tmp_path / "config.yaml")]
    assert inventory_check.source(str(tmp_path / "notes.yml")).configs == []
    assert inventory_check.source(str(tmp_path / "gone")).exists is False


# --- every playbook starts with it -----------------------------------------------------------------------------

def entries(name):
    with open(os.path.join(PLAYBOOKS, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def first_play_file(name):
    """The file of the first play a playbook runs, following import_playbook."""
    first = entries(name)[0]
    imported = first.get("ansible.builtin.import_playbook")
    return first_play_file(imported) if imported else name


def test_guard_play():
    (play,) = entries("guard.yml")
    # localhost (the implicit one when there is no host); under --limit, which leaves localhost out, the limit's hosts
    assert play["hosts"] == "{{ 'all' if ansible_limit is defined else 'localhost' }}"
    assert play["gather_facts"] is False and play["tags"] == ["always"]
    (task,) = play["tasks"]
    assert "aiplatform.cluster.inventory_check" in task and task["run_once"] is True


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(PLAYBOOKS) if n.endswith(".yml") and n != "guard.yml"))
def test_every_playbook_starts_with_the_guard(name):
    assert first_play_file(name) == "guard.yml", name
    # each imports it itself (site.yml: through preflight.yml, its first import)
    first = entries(name)[0]
    assert first.get("ansible.builtin.import_playbook") in ("guard.yml", "preflight.yml")


def test_the_root_site_yml_imports_playbooks_site():
    with open(os.path.join(ROOT, "site.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)[0]["ansible.builtin.import_playbook"] == "playbooks/site.yml"


# --- ansible-playbook, for real --------------------------------------------------------------------------------

ENABLE = "[inventory]\nenable_plugins = aiplatform.cluster.platform_config, host_list, script\n"


def documented_cfg():
    with open(os.path.join(ROOT, "docs", "examples", "ansible.cfg"), encoding="utf-8") as handle:
        return handle.read()


def site(tmp_path, cfg, configs):
    """A site directory: cfg as its ansible.cfg, {dir/name: fixture or text} as its configs."""
    base = tmp_path / "sites"
    base.mkdir()
    (base / "ansible.cfg").write_text(cfg)
    for relative, content in configs.items():
        (base / relative).parent.mkdir(parents=True, exist_ok=True)
        if content.endswith(".yaml") and "\n" not in content:
            shutil.copy(os.path.join(FIXTURES, content), base / relative)
        else:
            (base / relative).write_text(content)
    return base


def playbook(base, name, *args, timeout=120):
    """ansible-playbook <name> from the site directory, with its ansible.cfg only; (rc, flat output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(base / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_NOCOLOR="true", ANSIBLE_FORCE_COLOR="false", ANSIBLE_LOCAL_TEMP=str(base / ".tmp"),
               ANSIBLE_HOME=str(base / ".ansible"))
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), os.path.join(PLAYBOOKS, name)] + list(args),
                         cwd=str(base), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return run.returncode, flat(run.stdout + run.stderr)


GUARD_OK = r"TASK \[Stop unless the inventory is one platform config's\] \** ok: \[%s"
LIFECYCLE = [("site.yml", []), ("reset.yml", ["-e", "reset_confirm=yes"])]


@pytest.mark.parametrize("name, extra", LIFECYCLE)
def test_plugin_not_enabled(tmp_path, name, extra):
    base = site(tmp_path, "[defaults]\n", {"acme/config.yaml": "dlws_apulis_atlas.yaml"})
    rc, out = playbook(base, name, "-i", "acme", *extra)
    assert rc != 0, out[-3000:]
    assert "The plugin is not enabled: [inventory] enable_plugins of the ansible.cfg in use (%s) is host_list, " \
           "script, auto, yaml, ini, toml" % (base / "ansible.cfg") in out, out[-3000:]
    assert "Inventory sources: %s (platform config: %s)" % (base / "acme", base / "acme" / "config.yaml") in out
    assert "The plugin reads files named %s." % ", ".join(NAMES) in out
    assert "Fix: run from the directory that holds the site's ansible.cfg" in out
    assert "enable_plugins = aiplatform.cluster.platform_config, host_list, script" in out
    assert "skipping: no hosts matched" not in out


@pytest.mark.parametrize("name, extra", LIFECYCLE)
def test_no_config(tmp_path, name, extra):
    base = site(tmp_path, ENABLE, {"acme/README": "the config went missing\n"})
    rc, out = playbook(base, name, "-i", "acme", *extra)
    assert rc != 0, out[-3000:]
    assert "Inventory sources: %s (no platform config in it)." % (base / "acme") in out, out[-3000:]
    assert "The plugin is enabled, but no source holds a platform config." in out
    assert "The plugin reads files named %s." % ", ".join(NAMES) in out


@pytest.mark.parametrize("name, extra", LIFECYCLE)
def test_broken_config(tmp_path, name, extra):
    """The documented ansible.cfg (unparsed_is_failed off): Ansible warns and goes on; the guard stops, listing
    the problems."""
    base = site(tmp_path, documented_cfg(), {"acme/platform.yml": "cluster: {name: a}\nnodes: []\n"})
    rc, out = playbook(base, name, "-i", "acme", *extra)
    assert rc != 0, out[-3000:]
    assert "The plugin stopped on: 1 problem in the platform config %s:" % (base / "acme" / "platform.yml") in out, \
        out[-3000:]
    assert "nodes: lists no node" in out
    assert "unparsed_is_failed is off in the ansible.cfg in use (%s)" % (base / "ansible.cfg") in out


def test_missing_config_with_the_documented_ansible_cfg(tmp_path):
    base = site(tmp_path, documented_cfg(), {"acme/README": "the config went missing\n"})
    rc, out = playbook(base, "site.yml", "-i", "acme")
    assert rc != 0, out[-3000:]
    assert "Completely failed to parse" not in out
    assert "The plugin reads files named %s." % ", ".join(NAMES) in out, out[-3000:]


def test_broken_config_with_unparsed_is_failed(tmp_path):
    """The repository's ansible.cfg sets unparsed_is_failed: Ansible itself stops before the first play, with the
    plugin's problems."""
    base = site(tmp_path, ENABLE + "unparsed_is_failed = True\nany_unparsed_is_failed = True\n",
                {"acme/platform.yml": "cluster: {name: a}\nnodes: []\n"})
    rc, out = playbook(base, "site.yml", "-i", "acme")
    assert rc != 0, out[-3000:]
    assert "nodes: lists no node" in out
    assert "PLAY [" not in out  # stopped before the first play


@pytest.mark.parametrize("name, extra", LIFECYCLE)
def test_two_configs(tmp_path, name, extra):
    base = site(tmp_path, ENABLE, {"acme/config.yaml": "dlws_apulis_atlas.yaml", "bravo/platform.yml":
                                   "cluster: {name: bravo}\nnodes:\n  - {hostname: b-01, ip: 10.9.0.1, "
                                   "roles: [control_plane, worker]}\n"})
    rc, out = playbook(base, name, "-i", "acme", "-i", "bravo", *extra)
    assert rc != 0, out[-3000:]
    assert "The inventory was built from 2 platform configs: %s and %s." % (
        base / "acme" / "config.yaml", base / "bravo" / "platform.yml") in out, out[-3000:]


def test_a_good_inventory_goes_through(tmp_path):
    """The guard passes; the first play after it then finds no node answering (each one's SSH port is 1 on this
    machine), so nothing is contacted. Under --limit (which leaves the implicit localhost out) it still runs."""
    base = site(tmp_path, ENABLE, {"acme/config.yaml": "dlws_apulis_atlas.yaml"})
    nowhere = ["-e", "ansible_host=127.0.0.1", "-e", "ansible_port=1", "-e", "ansible_user=nobody"]
    rc, out = playbook(base, "site.yml", "-i", "acme", *nowhere)
    assert re.search(GUARD_OK % r"localhost\]", out), out[-3000:]
    assert "PLAY [Preflight]" in out and "UNREACHABLE" in out
    # the run got past the guard: preflight reports every node unreachable and stops (plugins/plugin_utils/test_report_header.py)
    assert rc == 2 and "Preflight NOT READY: 4 node(s), 4 failed check(s)" in out, out[-3000:]
    rc, out = playbook(base, "reset.yml", "-i", "acme", "-l", "atlas01", *nowhere)
    assert re.search(GUARD_OK % r"atlas01\]", out), out[-3000:]
    assert "reset.yml tears Kubernetes down on atlas01" in out and rc == 2  # its own first check: no confirmation
    # the guard alone, by its name: an inventory check
    rc, out = playbook(base, "guard.yml", "-i", "acme", "-v")
    assert rc == 0 and '"msg": "4 host(s) from %s"' % (base / "acme" / "config.yaml") in out, out[-3000:]


def test_tags_keep_the_guard(tmp_path):
    base = site(tmp_path, "[defaults]\n", {"acme/config.yaml": "dlws_apulis_atlas.yaml"})
    rc, out = playbook(base, "site.yml", "-i", "acme", "--tags", "npu")
    assert rc != 0 and "The plugin is not enabled" in out, out[-3000:]
