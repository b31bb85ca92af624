"""node_probe run as Ansible runs it, on this machine: the probe has every key the judge reads, the node skips
its own entry of the peer list, the network probe is skipped when not asked for, the vendor tools are read
only on their nodes, and the judge accepts what it returns."""
import stat

import pytest
from module_run import run_module_file

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preflight

# What the role assembled from a task per check before node_probe (registry_port is the control machine's).
KEYS = {"distribution", "distribution_version", "os_family", "architecture", "hostname", "memory_mb", "swap_mb",
        "disk_free_gb", "secure_boot", "time_sync", "listening_ports", "nvidia", "huawei", "peers", "urls",
        "kubernetes_packages", "nvidia_runtime", "ascend_runtime"}


def test_a_cpu_node_with_its_peers(tmp_path, listener):
    peers = [{"host": "cp-01", "name": "", "address": "127.0.0.1", "port": listener,
              "ports": [{"port": listener, "purpose": "kubelet"}]},
             {"host": "me", "name": "", "address": "192.0.2.1", "port": 22}]
    result = run_module_file("node_probe", {"peers": peers, "this_host": "me", "urls": [], "deadline": 10}, tmp_path)
    assert result["changed"] is False and not result.get("failed"), result
    probe = result["probe"]
    assert set(probe) == KEYS
    assert [p["target"] for p in probe["peers"]] == ["127.0.0.1"]  # its own entry skipped
    assert probe["peers"][0]["ok"] is True and probe["peers"][0]["ports"][0]["state"] == "listening"
    assert probe["urls"] == []
    assert probe["nvidia"] == {} and probe["huawei"] == {} and probe["secure_boot"] == "unknown"
    assert probe["memory_mb"] > 0 and isinstance(probe["disk_free_gb"], float)
    assert probe["distribution"] and probe["os_family"] and probe["architecture"] and probe["hostname"]
    assert probe["time_sync"]["source"] in ("timedatectl", "chrony", "timedatectl-status")
    node = {"hostname": "me", "node_arch": "amd64", "node_roles": ["worker"]}
    checks = dict((r["check"], r) for r in preflight.evaluate_node(node, dict(probe, registry_port=None), {}, {}))
    assert [c for c, _title in preflight.CHECKS] == list(checks)
    assert checks["network"]["detail"] == "1 node(s) resolve and answer"


def test_nothing_asked_of_the_network_is_not_checked(tmp_path):
    probe = run_module_file("node_probe", {}, tmp_path)["probe"]
    assert probe["peers"] is None and probe["urls"] is None


def test_a_gpu_node_reads_its_driver_and_runtime(tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    smi = tools / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed because it couldn'\\''t communicate with the NVIDIA driver. "
                   "Make sure that the latest NVIDIA driver is installed and running.'\nexit 9\n")
    runtime = tools / "nvidia-container-runtime"
    runtime.write_text("#!/bin/sh\n")
    for path in (smi, runtime):
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", "%s:/usr/sbin:/usr/bin:/sbin:/bin" % tools)
    probe = run_module_file("node_probe", {"accelerator": "nvidia", "nvidia_runtime": str(runtime)}, tmp_path)["probe"]
    assert probe["nvidia"]["driver_version"] is None
    assert any("cannot talk to the NVIDIA driver" in p for p in probe["nvidia"]["problems"]), probe["nvidia"]
    assert probe["nvidia_runtime"] is True and probe["ascend_runtime"] is False and probe["huawei"] == {}
    assert probe["secure_boot"] in ("enabled", "disabled", "unknown")


def test_an_npu_node_reads_its_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    probe = run_module_file("node_probe", {"accelerator": "huawei", "ascend_runtime": str(tmp_path / "none")},
                            tmp_path)["probe"]
    assert probe["nvidia"] == {} and probe["ascend_runtime"] is False
    assert "npu-smi is not installed" in probe["huawei"]["problems"]


def test_limits_must_be_positive(tmp_path):
    result = run_module_file("node_probe", {"deadline": 0}, tmp_path)
    assert result["failed"] is True and "must be positive seconds" in result["msg"]
