"""The readiness report the preflight wrote on the control machine."""
import json
import os

import pytest

REPORT = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports", "pftest-preflight")


@pytest.fixture(scope="module")
def report():
    with open(REPORT + ".json") as handle:
        return json.load(handle)


def row(report, host):
    return next(r for r in report["nodes"] if r["host"] == host)


def test_report_files_exist():
    for ext in ("json", "md", "html"):
        assert os.path.getsize(REPORT + "." + ext) > 200


def test_missing_drivers_fail(report):
    for host in ("pf-gpu-01", "pf-npu-01"):
        checks = row(report, host)["checks"]
        assert checks["driver"]["status"] == "fail", checks["driver"]
        assert checks["accelerators"]["status"] == "fail", checks["accelerators"]
    assert "nvidia-smi is not installed" in row(report, "pf-gpu-01")["checks"]["driver"]["detail"]
    assert "/etc/ascend_install.info not found" in row(report, "pf-npu-01")["checks"]["driver"]["detail"]
    assert report["ready"] is False and sorted(report["failing_nodes"]) == ["pf-gpu-01", "pf-npu-01"]


def test_healthy_cpu_node_passes(report):
    checks = row(report, "pf-cpu-01")["checks"]
    failed = {k: v for k, v in checks.items() if v["status"] == "fail"}
    assert failed == {}
    for check in ("os", "arch", "hostname", "swap", "memory", "disk", "ports", "network", "sources"):
        assert checks[check]["status"] == "pass", (check, checks[check])
    # containers cannot discipline their clock: time sync may only warn
    assert checks["time_sync"]["status"] in ("pass", "warn")


def test_nodes_reach_each_other(report):
    assert row(report, "pf-gpu-01")["checks"]["network"]["status"] in ("pass", "warn")


def test_html_is_a_table(report):
    with open(REPORT + ".html") as handle:
        html = handle.read()
    assert "<table>" in html and html.count("<tr>") == 1 + len(report["nodes"])


def test_a_port_a_firewall_drops_is_reported_filtered(report):
    check = row(report, "pf-gpu-01")["checks"]["reachable"]
    assert check["status"] == "fail", check
    assert "pf-gpu-01 -> pf-cpu-01 port 10250/tcp (kubelet): filtered, no answer within 3 s" in check["detail"]
    assert check["detail"].count(" -> ") == 1, check  # nothing else is blocked
    assert check["fix"].startswith("open 10250/tcp on pf-cpu-01 from pf-gpu-01")


def test_a_port_a_firewall_rejects_is_reported_rejected(report):
    check = row(report, "pf-npu-01")["checks"]["reachable"]
    assert check["status"] == "fail", check
    assert "pf-npu-01 -> pf-cpu-01 port 2379/tcp (etcd client): rejected, EHOSTUNREACH" in check["detail"]
    assert check["detail"].count(" -> ") == 1, check


def test_open_paths_pass(report):
    # pf-cpu-01 reaches the workers' kubelet, NodePort and node-exporter ports: refused (nothing listens) = open
    check = row(report, "pf-cpu-01")["checks"]["reachable"]
    assert check == {"check": "reachable", "status": "pass", "fix": "",
                     "detail": "6 cluster port(s) of 2 node(s) reachable"}


def test_a_download_without_its_pin_fails_the_node_that_needs_it(report):
    check = row(report, "pf-gpu-01")["checks"]["sources"]
    assert check["status"] == "fail", check
    assert check["detail"] == ("the NVIDIA container toolkit must be installed and accelerators.nvidia_repo_key_sha256 "
                               "is not set: the nvidia_runtime stage would stop"), check
    assert row(report, "pf-cpu-01")["checks"]["sources"]["detail"] == (
        "kubeadm, kubelet, kubectl, cri-tools 1.31.4 from the repository (key pinned)")


def test_an_installer_for_another_arch_fails_the_npu_node(report):
    arch = row(report, "pf-npu-01")["checks"]["arch"]
    assert arch["status"] == "fail", arch
    assert arch["detail"] == ("node pf-npu-01 is amd64, but the Ascend Docker Runtime installer "
                              "Ascend-docker-runtime_6.0.0_linux-aarch64.run is built for arm64"), arch
    sources = row(report, "pf-npu-01")["checks"]["sources"]
    assert sources["status"] == "pass" and "Ascend-docker-runtime_6.0.0_linux-aarch64.run" in sources["detail"]
