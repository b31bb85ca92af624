"""Real state of the harness containers after converge (role aiplatform.cluster.common)."""
import json

import pytest

# What node.json must say, from the host_vars in molecule.yml; harness-ubuntu2404 has
# no host_vars, so it proves the role's defaults.
EXPECTED = {
    "harness-debian12": {
        "ip": "172.17.0.2", "arch": "amd64", "roles": ["control_plane", "etcd"],
        "accelerator": {"vendor": "none", "model": "", "count": 0}, "labels": {"cpu": "true"},
    },
    "harness-ubuntu2204": {
        "ip": "", "arch": "amd64", "roles": ["worker"],
        "accelerator": {"vendor": "nvidia", "model": "H100", "count": 8},
        "labels": {"gpu": "true", "nvidia.com/gpu.present": "true"},
    },
    "harness-ubuntu2404": {
        "ip": "", "arch": "amd64", "roles": [],
        "accelerator": {"vendor": "none", "model": "", "count": 0}, "labels": {},
    },
}


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), host.run("systemctl --failed --no-legend").stdout


def test_artifacts_directory(host):
    directory = host.file("/etc/aiplatform")
    assert directory.is_directory
    assert (directory.user, directory.group, directory.mode) == ("root", "root", 0o755)


def test_node_description(host):
    node = host.file("/etc/aiplatform/node.json")
    assert (node.user, node.group, node.mode) == ("root", "root", 0o644)
    name = host.backend.get_hostname()
    if name not in EXPECTED:
        pytest.fail("unexpected platform %s" % name)
    data = json.loads(node.content_string)
    expected = dict(EXPECTED[name], hostname=name, fqdn=name, taints=[], cluster="harness")
    assert data == expected
    # Rendered with sorted keys and a final newline: reruns compare byte for byte.
    assert node.content_string == json.dumps(expected, indent=4, sort_keys=True) + "\n"
