"""The collection as users get it: built with ansible-galaxy, installed, used from an empty directory.

Slow (about 20 s: a build, an install and a few Ansible runs), marked `slow`; it runs in the default
suite. Galaxy is not reachable here: the tarball is installed with --offline --no-deps and the
collections it depends on come from the `ansible` package in the virtualenv (sys.path scan), as
docs/install.md describes for a control machine with the `ansible` package.
"""

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")

pytestmark = pytest.mark.slow


def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def clean_env(**extra):
    """No ANSIBLE_* setting of the developer's shell or of the Makefile (which exports the
    repository's ANSIBLE_CONFIG), no PYTHONPATH that could hold the repository's .collections."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def run(argv, cwd, env):
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, "%s failed (rc %d):\n%s\n%s" % (argv, result.returncode, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball from the working tree, install it into an empty collections path."""
    base = tmp_path_factory.mktemp("installed")
    meta = galaxy()
    dist = base / "dist"
    dist.mkdir()
    # An empty directory as cwd and an ansible.cfg that sets nothing: the repository's ansible.cfg
    # (collections_path = ./.collections) must play no part.
    empty_cfg = base / "empty.cfg"
    empty_cfg.write_text("[defaults]\n")
    env = clean_env(ANSIBLE_CONFIG=str(empty_cfg))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), ROOT],
        cwd=str(base), env=env)
    tarball = dist / ("%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"]))
    assert tarball.is_file(), sorted(os.listdir(dist))
    collections = base / "collections"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
         "-p", str(collections), str(tarball)], cwd=str(base), env=env)
    return {"base": base, "tarball": tarball, "collections": collections, "meta": meta}


def members(tarball):
    with tarfile.open(tarball) as archive:
        return {m.name.rstrip("/"): m for m in archive.getmembers()}


def test_tarball_holds_the_license_and_what_users_need(installed):
    names = members(installed["tarball"])
    with tarfile.open(installed["tarball"]) as archive:
        license_text = archive.extractfile("LICENSE").read().decode()
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as handle:
        assert license_text == handle.read()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text  # the full text, not a pointer to it
    for needed in ("MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.rst", "requirements.yml",
                   "execution-environment.yml", "meta/runtime.yml", "meta/execution-environment.yml",
                   "meta/ee-requirements.txt", "meta/ee-bindep.txt", "docs/install.md", "docs/examples/ansible.cfg",
                   "playbooks/site.yml", "plugins/inventory/platform_config.py", "inventories/customer/config.yaml",
                   "tests/sanity/ignore-2.19.txt", "changelogs/changelog.yaml"):
        assert needed in names, needed
    # Every plugin file ships, those of subpackages (plugin_utils/config/) too: a build_ignore pattern
    # that caught one would break the inventory plugin only once installed.
    plugin_files = set(subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "plugins"], cwd=ROOT,
                                      check=True, capture_output=True, text=True).stdout.splitlines())
    assert "plugins/plugin_utils/config/pipeline.py" in plugin_files
    assert not plugin_files - set(names), sorted(plugin_files - set(names))
    manifest = json.loads(tarfile.open(installed["tarball"]).extractfile("MANIFEST.json").read())
    assert manifest["collection_info"]["dependencies"] == installed["meta"]["dependencies"]
    assert manifest["collection_info"]["license"] == ["Apache-2.0"]


def test_tarball_leaves_out_development_files(installed):
    names = members(installed["tarball"])
    patterns = installed["meta"]["build_ignore"]
    for name in names:
        for pattern in patterns:
            assert not fnmatch.fnmatch(name, pattern) and not name.startswith(pattern.rstrip("/") + "/"), \
                "%s is in the tarball although build_ignore has %s" % (name, pattern)
    # Named here as well, so that a pattern dropped from galaxy.yml is noticed.
    for left_out in (".venv", ".ansible", "ansible.cfg", ".collections", "molecule", "bench", "lab", "images", "scripts", "tests/unit",
                     "inventories/lab", "Makefile", "requirements-dev.txt", "constraints.txt", "site.yml"):
        assert not any(n == left_out or n.startswith(left_out + "/") for n in names), left_out
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # Nothing git ignores (caches, local tool state, build output) may reach users: every file in the
    # tarball is one git knows, tracked or new.
    known = set(subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.splitlines())
    files = {name for name, member in names.items() if member.isfile()} - {"MANIFEST.json", "FILES.json"}
    assert not files - known, sorted(files - known)[:20]


def graph_groups(text):
    """`ansible-inventory --graph` as {group: sorted hosts directly in it}."""
    groups, stack = {}, []
    for line in text.splitlines():
        depth = line.count("|")
        name = line.split("--", 1)[-1].strip() if "--" in line else line.strip()
        del stack[depth:]
        if name.startswith("@"):
            groups[name[1:].rstrip(":")] = []
            stack.append(name[1:].rstrip(":"))
        else:
            groups[stack[-1]].append(name)
    return {group: sorted(hosts) for group, hosts in groups.items()}


def test_installed_inventory_plugin_reads_a_dlws_config(installed):
    """From an empty site directory with only the documented ansible.cfg copied into it."""
    site = installed["base"] / "sites"
    (site / "acme").mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "dlws_apulis_atlas.yaml"), site / "acme" / "config.yaml")
    installed_root = installed["collections"] / "ansible_collections" / "aiplatform" / "cluster"
    # The ansible.cfg users copy is the one the installed collection ships.
    shutil.copy(installed_root / "docs" / "examples" / "ansible.cfg", site / "ansible.cfg")
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed["collections"]))

    # aiplatform.cluster resolves to the installed copy, not to this repository.
    doc = json.loads(run([os.path.join(BIN, "ansible-doc"), "-t", "inventory", "--json",
                          "aiplatform.cluster.platform_config"], cwd=str(site), env=env).stdout)
    assert doc["aiplatform.cluster.platform_config"]["doc"]["filename"].startswith(str(installed_root) + os.sep)
    listing = run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "aiplatform.cluster"],
                  cwd=str(site), env=env).stdout
    assert str(installed["collections"]) in listing and ROOT not in listing

    result = run([os.path.join(BIN, "ansible-inventory"), "-i", "acme", "--graph"], cwd=str(site), env=env)
    groups = graph_groups(result.stdout)
    assert groups["kube_control_plane"] == ["atlas02"]
    assert groups["etcd"] == ["atlas02"]
    assert groups["kube_node"] == ["atlas-gpu01", "atlas-gpu02", "atlas01"]
    assert groups["nvidia_gpu"] == ["atlas-gpu01", "atlas-gpu02"]
    assert groups["ascend_npu"] == ["atlas01", "atlas02"]
    assert groups["nfs_server"] == ["atlas02"]
    assert groups["arch_arm64"] == ["atlas01", "atlas02"]
    assert groups["arch_amd64"] == ["atlas-gpu01", "atlas-gpu02"]
    # Exactly the groups the plugin makes in a checkout; nothing from config.yaml's own keys.
    checkout = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(site / "acme"), "--graph"],
                              cwd=ROOT, env=clean_env(ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")),
                              capture_output=True, text=True, timeout=300)
    assert checkout.returncode == 0, checkout.stderr
    assert groups == graph_groups(checkout.stdout)

    # A playbook by its FQCN, from the installed collection (syntax only: no node answers here).
    run([os.path.join(BIN, "ansible-playbook"), "-i", "acme", "aiplatform.cluster.site", "--syntax-check"],
        cwd=str(site), env=env)



def test_installed_platform_filter_renders_the_roles_templates(installed):
    """The platform_manifests filter renders the templates of role platform that sit beside it in the
    installed collection (plugins/ and roles/ keep their places), through Ansible's own loader."""
    empty = installed["base"] / "platform-filter"
    empty.mkdir()
    (empty / "empty.cfg").write_text("[defaults]\n")
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed["collections"]), ANSIBLE_CONFIG=str(empty / "empty.cfg"))
    expression = ("msg={{ ({'metrics_server': true, 'monitoring': true} | aiplatform.cluster.platform_manifests)"
                  ".metrics_server | map(attribute='kind') | join(',') }}")
    out = run([os.path.join(BIN, "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a", expression],
              cwd=str(empty), env=env).stdout
    assert "ServiceAccount,ClusterRole,ClusterRole,RoleBinding,ClusterRoleBinding,ClusterRoleBinding,Service," \
           "Deployment,APIService" in out, out

def site_run(installed, name, cfg, configs, *args):
    """ansible-playbook aiplatform.cluster.<name> -i acme from an empty site directory of its own, with the
    installed collection and cfg as the only ansible.cfg (None: the one docs/install.md has users copy)."""
    site = installed["base"] / ("site-" + name)
    (site / "acme").mkdir(parents=True)
    installed_root = installed["collections"] / "ansible_collections" / "aiplatform" / "cluster"
    if cfg is None:
        shutil.copy(installed_root / "docs" / "examples" / "ansible.cfg", site / "ansible.cfg")
    else:
        (site / "ansible.cfg").write_text(cfg)
    for file_name, content in configs.items():
        (site / "acme" / file_name).write_text(content)
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed["collections"]), ANSIBLE_CONFIG=str(site / "ansible.cfg"),
                    ANSIBLE_NOCOLOR="true")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "acme", "aiplatform.cluster.site"] + list(args),
                            cwd=str(site), env=env, capture_output=True, text=True, timeout=300)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, out[-3000:]
    assert "skipping: no hosts matched" not in out
    return site, out, installed_root


def test_installed_site_stops_when_the_plugin_is_not_enabled(installed):
    with open(os.path.join(FIXTURES, "dlws_apulis_atlas.yaml"), encoding="utf-8") as handle:
        dlws = handle.read()
    site, out, installed_root = site_run(installed, "not-enabled", "[defaults]\n", {"config.yaml": dlws})
    assert str(installed_root / "playbooks" / "guard.yml") in out  # the installed guard stopped it
    assert "The plugin is not enabled: [inventory] enable_plugins of the ansible.cfg in use" in out, out[-3000:]
    assert "Inventory sources: %s (platform config: %s)" % (site / "acme", site / "acme" / "config.yaml") in out
    assert "The plugin reads files named platform.yml, platform.yaml, config.yml, config.yaml" in out
    assert "enable_plugins = aiplatform.cluster.platform_config, host_list, script" in out


def test_installed_site_stops_when_the_config_is_missing(installed):
    site, out, _ = site_run(installed, "missing", None, {"notes.txt": "no config here\n"})
    assert "Completely failed to parse" not in out
    assert "Inventory sources: %s (no platform config in it)." % (site / "acme") in out, out[-3000:]
    assert "The plugin reads files named platform.yml, platform.yaml, config.yml, config.yaml" in out


def test_installed_site_stops_when_the_config_is_broken(installed):
    site, out, _ = site_run(installed, "broken", None, {"platform.yml": "cluster: {name: a}\nnodes: []\n"})
    assert "The plugin stopped on: 1 problem in the platform config %s" % (site / "acme" / "platform.yml") in out, \
        out[-3000:]
    assert "nodes: lists no node" in out


def test_installed_preflight_reports_when_no_node_answers(installed):
    """Installed and run as docs/install.md says (its ansible.cfg, the stage summary on): the report lands beside the
    config, stamped with the version of the installed collection (its MANIFEST.json), every node unreachable."""
    with open(os.path.join(FIXTURES, "dlws_apulis_atlas.yaml"), encoding="utf-8") as handle:
        dlws = handle.read()
    site = installed["base"] / "site-preflight"
    (site / "acme").mkdir(parents=True)
    installed_root = installed["collections"] / "ansible_collections" / "aiplatform" / "cluster"
    assert not (installed_root / "galaxy.yml").exists() and (installed_root / "MANIFEST.json").is_file()
    shutil.copy(installed_root / "docs" / "examples" / "ansible.cfg", site / "ansible.cfg")
    (site / "acme" / "config.yaml").write_text(dlws)
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed["collections"]), ANSIBLE_CONFIG=str(site / "ansible.cfg"),
                    ANSIBLE_NOCOLOR="true")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "acme", "aiplatform.cluster.preflight",
                             "-e", "ansible_host=127.0.0.1", "-e", "ansible_port=1", "-e", "ansible_user=nobody"],
                            cwd=str(site), env=env, capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    report_file = site / "acme" / ".aiplatform" / "reports" / "atlas-preflight.json"
    with open(report_file, encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["collection_version"] == installed["meta"]["version"]
    assert report["config_file"] == str(site / "acme" / "config.yaml")
    assert report["failing_nodes"] == ["atlas-gpu01", "atlas-gpu02", "atlas01", "atlas02"]
    assert "STAGE SUMMARY" in out and "Reports: %s" % (site / "acme" / ".aiplatform" / "reports" /
                                                       "atlas-preflight.html") in out
    assert "stage_summary is not enabled" not in out
