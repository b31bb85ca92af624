"""Paths the collection creates, chowns, mounts over or deletes (issue 14 item 4), one site one config and the
topology rules (items 5 and 6): the pure rules, the config errors per key, the Jinja test and filter, and the
data_dir module that writes the reset marker."""

import copy
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.filter.paths import FilterModule
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse
from ansible_collections.aiplatform.cluster.plugins.module_utils.safe_paths import (
    MARKER,
    SYSTEM_DIRS,
    path_error,
    path_problem,
)
from ansible_collections.aiplatform.cluster.plugins.modules import data_dir
from ansible_collections.aiplatform.cluster.plugins.test.safe_path import TestModule as JinjaTests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")

# --- the rules -----------------------------------------------------------------------------------

PATHS = [
    # (path, min_depth, problem text or None when safe)
    ("/srv/nfs/share", 2, None),
    ("/var/lib/registry", 2, None),
    ("/var/lib/aiplatform/offline", 2, None),
    ("/data/share", 2, None),
    ("/home/ops/aiplatform", 2, None),
    ("/usr/local/Ascend/Ascend-Docker-Runtime", 2, None),
    ("/mnt/share", 1, None),
    ("/mntdlws", 1, None),                                  # DLWS's mount point: one component, not a system dir
    ("/mntdlws", 2, "is only 1 component deep (at least 2)"),
    ("/data", 2, "is only 1 component deep"),
    ("/", 1, "is a system directory"),
    ("/etc", 2, "is a system directory"),
    ("/usr", 2, "is a system directory"),
    ("/usr/local", 2, "is a system directory"),
    ("/var", 2, "is a system directory"),
    ("/var/lib", 2, "is a system directory"),
    ("/var/log", 2, "is a system directory"),
    ("/boot", 1, "is a system directory"),
    ("/home", 1, "is a system directory"),
    ("/root", 1, "is a system directory"),
    ("/proc", 1, "is a system directory"),
    ("/sys", 1, "is a system directory"),
    ("/dev", 1, "is a system directory"),
    ("/run", 1, "is a system directory"),
    ("/bin", 1, "is a system directory"),
    ("/sbin", 1, "is a system directory"),
    ("/lib", 1, "is a system directory"),
    ("/lib64", 1, "is a system directory"),
    ("/opt", 1, "is a system directory"),
    ("/srv", 1, "is a system directory"),
    ("/tmp", 1, "is a system directory"),
    ("/mnt", 1, "is a system directory"),
    ("/media", 1, "is a system directory"),
    ("/snap", 1, "is a system directory"),
    ("/etc/aiplatform-data", 2, "is inside /etc, which belongs to the system"),
    ("/proc/1/root", 2, "is inside /proc"),
    ("/sys/fs/cgroup", 2, "is inside /sys"),
    ("/dev/shm/x", 2, "is inside /dev"),
    ("/run/registry", 2, "is inside /run"),
    ("/boot/efi", 2, "is inside /boot"),
    ("/var/lib/kubelet/pods", 2, "is inside /var/lib/kubelet"),
    ("/var/lib/etcd/member", 2, "is inside /var/lib/etcd"),
    ("/srv/../etc", 2, "has a '..' component"),
    ("/srv/nfs/..", 2, "has a '..' component"),
    ("/srv//nfs", 2, "is not in normal form"),
    ("/srv/./nfs", 2, "is not in normal form"),
    ("/srv/nfs/", 2, "is not in normal form"),
    ("srv/nfs", 2, "is not an absolute path"),
    ("~/data", 2, "is not an absolute path"),
    ("", 2, "is empty"),
    (" /srv/nfs", 2, "white space"),
    ("/srv/nfs\n", 2, "white space"),
    (None, 2, "is not a path"),
]


@pytest.mark.parametrize("path, depth, text", PATHS, ids=[repr(p[0]) + "/%d" % p[1] for p in PATHS])
def test_path_rules(path, depth, text):
    found = path_problem(path, depth)
    if text is None:
        assert found is None
        assert JinjaTests().tests()["safe_path"](path, depth) is True
        assert FilterModule().filters()["path_problem"](path, depth) == ""
    else:
        assert found is not None and text in found[0], found
        assert found[1]  # always a fix
        assert JinjaTests().tests()["safe_path"](path, depth) is False
        message = FilterModule().filters()["path_problem"](path, depth)
        assert text in message and "Fix: " in message


def test_every_parent_of_a_system_directory_is_refused():
    for system in SYSTEM_DIRS:
        parent = os.path.dirname(system)
        while parent != "/":
            assert path_problem(parent, 1) is not None, parent
            parent = os.path.dirname(parent)


def test_the_fix_names_a_safe_directory():
    for path in ("/var/lib", "/srv", "/etc", "/usr/bin", "/"):
        fix = path_problem(path)[1]
        suggestion = fix.rsplit(" ", 1)[-1]
        assert path_problem(suggestion) is None, (path, fix)


def test_default_safe_path_depth_is_two_in_the_jinja_test():
    assert JinjaTests().tests()["safe_path"]("/data") is False
    assert JinjaTests().tests()["safe_path"]("/data", min_depth=1) is True


# --- the config pipeline: one error per bad value, naming the key, all at once ---------------------

BASE = {
    "cluster": {"name": "site"},
    "network": {"node_networks": ["10.1.0.0/24"]},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"]},
        {"hostname": "store-01", "ip": "10.1.0.41", "roles": ["registry"]},
    ],
    "storage": {"nfs": {"shares": [{"name": "data", "server": "store-01", "export_path": "/srv/data",
                                    "mount_point": "/mnt/data"}]}},
    "registry": {"local": {"enabled": True}},
}

KEYS = [
    ("storage.nfs.shares[0].export_path", ("storage", "nfs", "shares", 0, "export_path")),
    ("storage.nfs.shares[0].mount_point", ("storage", "nfs", "shares", 0, "mount_point")),
    ("registry.local.data_dir", ("registry", "local", "data_dir")),
    ("offline.bundle", ("offline", "bundle")),
    ("accelerators.ascend_docker_runtime_dir", ("accelerators", "ascend_docker_runtime_dir")),
]


def run(config):
    return parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")


def put(config, path, value):
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value


def test_base_is_valid():
    assert [str(p) for p in run(BASE).errors] == []


@pytest.mark.parametrize("key, path", KEYS, ids=[k[0] for k in KEYS])
@pytest.mark.parametrize("value, text", [
    ("/", "is a system directory"),
    ("/etc", "is a system directory"),
    ("/srv/../etc", "has a '..' component"),
    ("/srv//x", "is not in normal form"),
    ("/etc/registry", "is inside /etc"),
])
def test_each_path_key_refuses_a_dangerous_value(key, path, value, text):
    config = copy.deepcopy(BASE)
    put(config, path, value)
    result = run(config)
    matching = [p for p in result.errors if p.key == key]
    assert len(matching) == 1, [str(p) for p in result.problems]
    assert text in matching[0].message and matching[0].fix
    assert result.model is None


@pytest.mark.parametrize("key, path, value, ok", [
    ("storage.nfs.shares[0].mount_point", ("storage", "nfs", "shares", 0, "mount_point"), "/mntdlws", True),
    ("storage.nfs.shares[0].export_path", ("storage", "nfs", "shares", 0, "export_path"), "/data", False),
    ("registry.local.data_dir", ("registry", "local", "data_dir"), "/registry", False),
])
def test_depth_of_mount_points_and_data_paths(key, path, value, ok):
    config = copy.deepcopy(BASE)
    put(config, path, value)
    errors = [p for p in run(config).errors if p.key == key]
    assert (errors == []) is ok, [str(p) for p in errors]
    if not ok:
        assert "at least 2" in errors[0].message


def test_every_bad_path_is_reported_at_once():
    config = copy.deepcopy(BASE)
    for (key, path), value in zip(KEYS, ["/", "/etc", "/var/lib", "/srv/../x", "/usr"]):
        put(config, path, value)
    result = run(config)
    assert sorted(p.key for p in result.errors) == sorted(k for k, _path in KEYS), [str(p) for p in result.errors]
    for problem in result.errors:
        assert "Fix: " in str(problem) and "platform.yml" in str(problem)


def test_dlws_paths_are_checked_under_their_dlws_names():
    source = ("cluster_name: cl\nmachines:\n  cl-cp-01:\n    role: infrastructure\n    private-ip: 10.0.0.1\n"
              "mountpoints:\n  share:\n    type: nfs\n    server: cl-cp-01\n"
              "    filesharename: /\n    curphysicalmountpoint: /etc\n")
    result = parse(source, "config.yaml")
    keys = dict((p.key, p.message) for p in result.errors)
    assert "is a system directory" in keys.get("mountpoints.share.filesharename", ""), keys
    assert "is a system directory" in keys.get("mountpoints.share.curphysicalmountpoint", ""), keys


# --- one site, one config: OpenPAI machines need hostip ---------------------------------------------

@pytest.mark.parametrize("replacement", ["", "hostip: ''"])
def test_openpai_machine_without_hostip(replacement):
    with open(os.path.join(FIXTURES, "openpai_layout.yaml")) as handle:
        source = handle.read()
    assert "hostip: 10.0.0.2\n" in source
    result = parse(source.replace("hostip: 10.0.0.2", replacement, 1), "layout.yaml", default_name="pai")
    matching = [p for p in result.errors if "has no hostip" in p.message]
    assert len(matching) == 1, [str(p) for p in result.problems]
    assert "pai-worker1" in matching[0].message and matching[0].key == "machine-list.1"
    assert "hostip:" in matching[0].fix
    assert result.model is None


# --- topology ---------------------------------------------------------------------------------------

def _control_planes(count, **cluster):
    config = copy.deepcopy(BASE)
    config["nodes"] = [{"hostname": "cp-%02d" % i, "ip": "10.1.0.%d" % (10 + i), "roles": ["control_plane"]}
                       for i in range(1, count + 1)] + config["nodes"][1:]
    config["cluster"].update(cluster)
    return config


@pytest.mark.parametrize("count, error", [(1, False), (2, True), (3, False), (4, True), (5, False)])
def test_even_etcd_from_control_planes_is_an_error(count, error):
    result = run(_control_planes(count))
    matching = [p for p in result.problems if "even etcd cluster" in p.message]
    assert bool(matching) is error
    if error:
        assert matching[0].level == "error"
        assert "cluster.etcd_members to %d" % (count - 1) in matching[0].fix


def test_etcd_members_makes_an_even_count_of_control_planes_valid():
    result = run(_control_planes(4, etcd_members=3))
    assert [str(p) for p in result.errors] == []
    assert len(result.model.groups["etcd"]) == 3


def test_even_explicit_etcd_role_is_an_error():
    config = _control_planes(1)
    config["nodes"][0]["roles"] = ["control_plane", "etcd"]
    config["nodes"][1]["roles"] = ["registry", "etcd"]
    result = run(config)
    matching = [p for p in result.errors if "have the etcd role" in p.message]
    assert matching and "cp-01, store-01" in matching[0].message
    assert "odd number" in matching[0].fix


@pytest.mark.parametrize("vip, node_networks, text", [
    ("10.1.0.11", ["10.1.0.0/24"], "is the address of node cp-01"),
    ("10.1.0.12", [], "is the address of node cp-02"),
    ("10.9.0.100", ["10.1.0.0/24"], "is outside network.node_networks (10.1.0.0/24)"),
    ("10.1.0.200", ["10.1.0.0/24"], None),
    ("10.9.0.100", [], None),  # without node networks there is nothing to compare with
])
def test_vip_checks(vip, node_networks, text):
    config = _control_planes(3, ha_mode="kube-vip", vip=vip)
    config["network"]["node_networks"] = node_networks
    result = run(config)
    errors = [p for p in result.errors if p.key == "cluster.vip"]
    if text is None:
        assert errors == [], [str(p) for p in errors]
    else:
        assert len(errors) == 1 and text in errors[0].message, [str(p) for p in result.errors]
        assert "choose a free address" in errors[0].fix


# --- the data_dir module on this machine --------------------------------------------------------------

def module(tmp_path, check=False, **args):
    args_file = tmp_path / "args.json"
    args.setdefault("creator", "unit test")
    args["_ansible_check_mode"] = check
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    result = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "modules", "data_dir.py"), str(args_file)],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def test_data_dir_marks_what_it_creates_and_only_that(tmp_path):
    target = tmp_path / "data" / "registry"
    checked = module(tmp_path, check=True, path=str(target), mode="0750")
    assert checked["changed"] is True and checked["created"] is True and not target.exists()
    first = module(tmp_path, path=str(target), mode="0750")
    assert first["changed"] is True and first["created"] is True
    marker = target / MARKER
    assert first["marker"] == str(marker) and "aiplatform.cluster (unit test)" in marker.read_text()
    assert oct(target.stat().st_mode & 0o777) == "0o750" and oct(marker.stat().st_mode & 0o777) == "0o644"
    text = marker.read_text()
    again = module(tmp_path, path=str(target), mode="0750")
    assert again["changed"] is False and again["created"] is False and again["marker"] == ""
    assert marker.read_text() == text
    mode = module(tmp_path, path=str(target), mode="0700")
    assert mode["changed"] is True and oct(target.stat().st_mode & 0o777) == "0o700"


def test_data_dir_leaves_an_existing_directory_unmarked(tmp_path):
    target = tmp_path / "existing"
    target.mkdir()
    result = module(tmp_path, path=str(target), mode="0755")
    assert result["created"] is False and not (target / MARKER).exists()


@pytest.mark.parametrize("path, text", [("/etc", "is a system directory"), ("/srv/../etc", "'..'")])
def test_data_dir_refuses_an_unsafe_path(tmp_path, path, text):
    result = module(tmp_path, path=path)
    assert result.get("failed") and text in result["msg"] and "Nothing was changed" in result["msg"]


def test_data_dir_refuses_a_link_to_a_system_directory(tmp_path):
    link = tmp_path / "sneaky"
    os.symlink("/etc", str(link))
    result = module(tmp_path, path=str(link))
    assert result.get("failed") and "leads (through a link) to '/etc' is a system directory" in result["msg"]
    inside = module(tmp_path, path=str(link / "registry"))
    assert inside.get("failed") and "is inside /etc" in inside["msg"]
    assert not os.path.exists("/etc/registry") or os.path.isdir("/etc/registry")


def test_marker_text_says_what_and_when():
    import calendar
    import time

    text = data_dir.marker_text("nfs stage", "n1", time.gmtime(calendar.timegm((2026, 1, 2, 3, 4, 5, 0, 0, 0))))
    assert "aiplatform.cluster (nfs stage) on n1 at 2026-01-02T03:04:05Z" in text
