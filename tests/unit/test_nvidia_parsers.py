"""NVIDIA parsers over real outputs (each fixture says where it came from)."""

import os

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import nvidia

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "nvidia")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return "".join(line for line in handle if not line.startswith("# source:"))


def test_h100_xml_from_a_real_machine():
    parsed = nvidia.parse_nvidia_smi_xml(fixture("h100_nvidia-smi-q-x.xml"))
    assert parsed == {
        "driver_version": "580.159.04",
        "cuda_version": "13.0",
        "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-c5320cbb-e4c4-3330-66c4-e9fd3fd0ed83",
                  "pci_bus_id": "00000000:00:06.0", "memory_total_mib": 81559}],
    }


def test_old_driver_without_cuda_version():
    parsed = nvidia.parse_nvidia_smi_xml(fixture("m10_390.94_v9.xml"))
    assert parsed["driver_version"] == "390.94" and parsed["cuda_version"] is None
    assert parsed["gpus"][0]["name"] == "Tesla M10" and parsed["gpus"][0]["memory_total_mib"] == 8191


def test_csv_agrees_with_xml():
    csv = nvidia.parse_nvidia_smi_csv(fixture("h100_query.csv"))
    xml = nvidia.parse_nvidia_smi_xml(fixture("h100_nvidia-smi-q-x.xml"))
    assert csv["driver_version"] == xml["driver_version"]
    assert csv["gpus"] == xml["gpus"]


@pytest.mark.parametrize("name, version, open_module", [
    ("h100_proc_version.txt", "580.159.04", True),
    ("proc_384.98_proprietary.txt", "384.98", False),
    ("proc_545.23.08_proprietary.txt", "545.23.08", False),
])
def test_proc_version(name, version, open_module):
    assert nvidia.parse_proc_version(fixture(name)) == {"driver_version": version, "open_kernel_module": open_module}


def test_sys_module_version_and_pci_count():
    lines = fixture("h100_sys.txt").splitlines()
    assert nvidia.parse_sys_module_version(lines[1]) == "580.159.04"
    entries = [tuple(line.split()[1:]) for line in lines[3:]]
    assert nvidia.count_pci_devices(entries) == 1  # the H100; virtio devices are not GPUs
    nvswitch = [("0x10de", "0x22a3", "0x068000")] * 4 + [("0x10de", "0x2330", "0x030200")] * 8
    assert nvidia.count_pci_devices(nvswitch) == 8


@pytest.mark.parametrize("text, message", [
    ("", "printed nothing"),
    ("<nvidia_smi_log><driver_version>580", "not valid XML"),
    ("<other/>", "expected <nvidia_smi_log>"),
    ("<nvidia_smi_log><attached_gpus>1</attached_gpus></nvidia_smi_log>", "no <driver_version>"),
    ('<!DOCTYPE x [<!ENTITY a "b">]><nvidia_smi_log/>', "entities"),
])
def test_malformed_xml(text, message):
    with pytest.raises(nvidia.NvidiaParseError, match=message):
        nvidia.parse_nvidia_smi_xml(text)


def test_truncated_real_xml():
    text = fixture("h100_nvidia-smi-q-x.xml")
    with pytest.raises(nvidia.NvidiaParseError, match="truncated"):
        nvidia.parse_nvidia_smi_xml(text[: len(text) // 2])


def test_gpus_missing_from_the_listing():
    text = fixture("h100_nvidia-smi-q-x.xml").replace("<attached_gpus>1</attached_gpus>",
                                                      "<attached_gpus>8</attached_gpus>")
    with pytest.raises(nvidia.NvidiaParseError, match="reports 8 attached GPUs but lists 1"):
        nvidia.parse_nvidia_smi_xml(text)


@pytest.mark.parametrize("stdout, stderr, rc, message", [
    (fixture("smi_mismatch.txt"), "", 18, "kernel module and the user-space library differ (driver upgraded without a "
                                          "reboot?) (NVML library 580.126)"),
    ("No devices were found\n", "", 6, "found no GPU"),
    ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA "
     "driver is installed and running.\n", "", 9, "cannot talk to the NVIDIA driver"),
    ("", "/bin/sh: 1: nvidia-smi: not found\n", 127, "not installed"),
    ("", "Segmentation fault\n", 139, "nvidia-smi failed (rc=139): Segmentation fault"),
])
def test_failures_become_clear_messages(stdout, stderr, rc, message):
    assert message in nvidia.classify_nvidia_smi_failure(stdout, stderr, rc)


def test_csv_errors():
    with pytest.raises(nvidia.NvidiaParseError, match="has 3 fields"):
        nvidia.parse_nvidia_smi_csv("580.159.04, NVIDIA H100 80GB HBM3, 81559 MiB\n")
    with pytest.raises(nvidia.NvidiaParseError, match="lists no GPU"):
        nvidia.parse_nvidia_smi_csv("\n")


def test_summary_problems():
    xml = nvidia.parse_nvidia_smi_xml(fixture("h100_nvidia-smi-q-x.xml"))
    assert nvidia.summarize(xml, pci_count=1)["problems"] == []
    assert nvidia.summarize(xml, pci_count=2)["problems"] == ["2 NVIDIA GPU(s) on the PCI bus but nvidia-smi sees 1"]
    broken = nvidia.summarize(None, "nvidia-smi is not installed", pci_count=8)
    assert broken["problems"] == ["nvidia-smi is not installed",
                                  "8 NVIDIA GPU(s) on the PCI bus but no NVIDIA driver loaded"]
    assert broken["present"] is True and broken["driver_version"] is None
    fallback = nvidia.summarize(None, "no devices", sys_version="580.159.04", pci_count=1)
    assert fallback["source"] == "/sys/module/nvidia/version" and fallback["driver_version"] == "580.159.04"
    none = nvidia.summarize(None, "nvidia-smi is not installed")
    assert none["present"] is False
