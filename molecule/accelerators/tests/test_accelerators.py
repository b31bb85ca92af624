"""containerd really loads the GPU/NPU runtime registrations; the NIC plan is applied once."""
import json
import time
import tomllib

import pytest


def loaded_runtimes(host):
    """The CRI runtime section of what containerd itself loaded (`containerd config dump`):
    config version 2 (containerd 1.x, Debian 12) or 3 (2.x, Ubuntu's -updates)."""
    result = host.run("containerd config dump")
    assert result.rc == 0, result.stderr
    plugins = tomllib.loads(result.stdout)["plugins"]
    section = plugins.get("io.containerd.cri.v1.runtime") or plugins["io.containerd.grpc.v1.cri"]
    return section["containerd"]


def test_gpu_node_defaults_to_nvidia(host):
    if host.backend.get_hostname() != "acc-gpu-01":
        return
    runtimes = loaded_runtimes(host)
    assert runtimes["default_runtime_name"] == "nvidia"
    assert runtimes["runtimes"]["nvidia"]["options"]["BinaryName"] == "/usr/bin/nvidia-container-runtime"
    assert host.run("ctr version").rc == 0


def test_npu_node_defaults_to_ascend(host):
    if not host.backend.get_hostname().startswith("acc-npu"):
        return
    runtimes = loaded_runtimes(host)
    assert runtimes["default_runtime_name"] == "ascend"
    assert runtimes["runtimes"]["ascend"]["options"]["BinaryName"] == (
        "/usr/local/Ascend/Ascend-Docker-Runtime/ascend-docker-runtime")


def test_nic_plan_applied_once(host):
    name = host.backend.get_hostname()
    if not name.startswith("acc-npu"):
        return
    last = name[-1]
    calls = host.file("/var/lib/fake-hccn/calls").content_string.splitlines()
    # converge set every value once; the idempotence run asked for nothing
    assert sorted(calls) == sorted([
        "0 ip 192.168.10.1%s 255.255.255.0" % (int(last) + 2), "0 netdetect 192.168.10.1", "0 gateway 192.168.10.1",
        "1 ip 192.168.20.1%s 255.255.255.0" % (int(last) + 2), "1 netdetect 192.168.20.1", "1 gateway 192.168.20.1"])
    conf = host.file("/etc/hccn.conf").content_string
    assert "address_0=192.168.10.1%s" % (int(last) + 2) in conf and "gateway_1=192.168.20.1" in conf


def test_rank_table(host):
    if not host.backend.get_hostname().startswith("acc-npu"):
        return
    table = json.loads(host.file("/etc/aiplatform/hccl.json").content_string)
    assert table["version"] == "1.0" and table["server_count"] == "2"
    assert [s["server_id"] for s in table["server_list"]] == ["10.0.0.13", "10.0.0.14"]
    assert table["server_list"][1]["device"][1] == {"device_id": "1", "device_ip": "192.168.20.14", "rank_id": "3"}


def _hanging_tool(host, path):
    """A stand-in vendor tool that never answers (as nvidia-smi does when a GPU fell off the bus)."""
    assert host.run("printf '#!/bin/sh\\nsleep 300\\n' > %s && chmod 0755 %s" % (path, path)).rc == 0


@pytest.mark.parametrize("node, module, option, result, problem", [
    ("acc-gpu-01", "nvidia_gpu_info", "nvidia_smi", "nvidia",
     "nvidia-smi did not answer within 3 s: a GPU may have fallen off the bus"),
    ("acc-npu-01", "ascend_npu_info", "npu_smi", "ascend", "npu-smi info did not answer within 3 s"),
])
def test_hung_vendor_tool_is_a_problem_within_the_timeout(host, node, module, option, result, problem):
    if host.backend.get_hostname() != node:
        return
    tool = "/usr/local/bin/hung-" + option.replace("_", "-")
    _hanging_tool(host, tool)
    started = time.monotonic()
    answer = host.ansible("aiplatform.cluster." + module, "%s=%s timeout=3" % (option, tool), check=False)
    assert time.monotonic() - started < 60
    assert any(p.startswith(problem) for p in answer[result]["problems"]), answer[result]["problems"]
    # nothing of the stand-in is left running on the node ([x]: the pattern must not match pgrep's own shell)
    assert host.run("pgrep -f %s[%s]" % (tool[:-1], tool[-1])).rc != 0
