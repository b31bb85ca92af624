"""Real state of the harness containers after converge."""
import json


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), host.run("systemctl --failed --no-legend").stdout


def test_artifacts_directory(host):
    directory = host.file("/etc/aiplatform")
    assert directory.is_directory
    assert directory.user == "root" and directory.mode == 0o750


def test_node_description(host):
    node = host.file("/etc/aiplatform/node.json")
    assert node.mode == 0o644
    data = json.loads(node.content_string)
    name = host.backend.get_hostname()
    assert data["hostname"] == name
    assert data["cluster"] == "harness"
    if name == "harness-ubuntu2204":
        assert data["accelerator"] == {"vendor": "nvidia", "model": "H100", "count": 8}
        assert data["labels"]["nvidia.com/gpu.present"] == "true"
    if name == "harness-debian12":
        assert data["roles"] == ["control_plane", "etcd"]
