"""NVIDIA parsers over real outputs (each fixture's first line says where it came from)."""

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import nvidia

# file -> (driver, cuda, attached, [(name, uuid, pci_bus_id, memory_total_mib)])
XML = {
    "h100_nvidia-smi-q-x.xml": ("580.159.04", "13.0", 1, [
        ("NVIDIA H100 80GB HBM3", "GPU-c5320cbb-e4c4-3330-66c4-e9fd3fd0ed83", "00000000:00:06.0", 81559)]),
    "m10_390.94_v9.xml": ("390.94", None, 1, [
        ("Tesla M10", "GPU-74f1301f-aa41-e5c6-f5c7-e15484997833", "00000000:1A:00.0", 8191)]),
    # MIG enabled: the <mig_devices> inside the GPU have their own fb_memory_usage; the GPU's is 81920 MiB.
    # telegraf trimmed the file to the first GPU while attached_gpus still says 4.
    "a100_mig_535.54.03_v12.xml": ("535.54.03", "12.2", 4, [
        ("NVIDIA A100-SXM4-80GB", "GPU-513536b6-7d19-9063-b049-1e69664bb298", "00000000:01:00.0", 81920)]),
    "t4_515.105.01_v11.xml": ("515.105.01", "11.7", 1, [
        ("Tesla T4", "GPU-d37e67a5-91dd-3774-a5cb-99096249601a", "00000000:00:1E.0", 15360)]),
    "gtx1660ti_418.43_nodoctype.xml": ("418.43", "10.1", 1, [
        ("Graphics Device", "GPU-304a277d-3545-63b8-3a36-dfde3c992989", "00000000:43:00.0", 5912)]),
    "rtx3080_595.58.03_v13.xml": ("595.58.03", "13.2", 1, [
        ("NVIDIA GeForce RTX 3080", "GPU-19d6d965-2acc-f646-00f8-4c76979aabb4", "00000000:0C:00.0", 10240)]),
}


@pytest.mark.parametrize("name", sorted(XML))
def test_xml(name, fixture_text):
    driver, cuda, attached, gpus = XML[name]
    parsed = nvidia.parse_nvidia_smi_xml(fixture_text("nvidia", name))
    assert (parsed["driver_version"], parsed["cuda_version"], parsed["attached_gpus"]) == (driver, cuda, attached)
    assert [(g["name"], g["uuid"], g["pci_bus_id"], g["memory_total_mib"]) for g in parsed["gpus"]] == gpus
    assert [g["index"] for g in parsed["gpus"]] == list(range(len(gpus)))


def test_csv_agrees_with_xml(fixture_text):
    csv = nvidia.parse_nvidia_smi_csv(fixture_text("nvidia", "h100_query.csv"))
    xml = nvidia.parse_nvidia_smi_xml(fixture_text("nvidia", "h100_nvidia-smi-q-x.xml"))
    assert csv["driver_version"] == xml["driver_version"] == "580.159.04"
    assert csv["gpus"] == xml["gpus"]


@pytest.mark.parametrize("name, version, open_module", [
    ("h100_proc_version.txt", "580.159.04", True),
    ("proc_580.173.02_proprietary.txt", "580.173.02", False),
    ("proc_565.57.01_open.txt", "565.57.01", True),
    ("proc_525.60.11_open.txt", "525.60.11", True),
    ("proc_35.3.1_open_aarch64.txt", "35.3.1", True),
])
def test_proc_version(name, version, open_module, fixture_text):
    assert nvidia.parse_proc_version(fixture_text("nvidia", name)) == {"driver_version": version,
                                                                       "open_kernel_module": open_module}


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("NVRM version: something else entirely\n", "unknown layout"),
    ("GCC version:  gcc version 12.2.0 (GCC)\n", "unknown layout"),
])
def test_proc_version_errors(text, message):
    with pytest.raises(nvidia.NvidiaParseError, match=message):
        nvidia.parse_proc_version(text)


def test_sys_module_version_and_pci_count(fixture_text):
    lines = fixture_text("nvidia", "h100_sys.txt").splitlines()
    assert nvidia.parse_sys_module_version(lines[1]) == "580.159.04"
    assert nvidia.parse_sys_module_version(" 580.159.04\n") == "580.159.04"
    with pytest.raises(nvidia.NvidiaParseError, match="not a version"):
        nvidia.parse_sys_module_version("\n")
    entries = [tuple(line.split()[1:]) for line in lines[3:]]
    assert nvidia.count_pci_devices(entries) == 1  # the H100; virtio devices are not GPUs


@pytest.mark.parametrize("entries, count", [
    # HGX: 8 GPUs (3D controller) and 4 NVSwitches (bridge 0x0680) -> 8
    ([("0x10de", "0x22a3", "0x068000")] * 4 + [("0x10de", "0x2330", "0x030200")] * 8, 8),
    # a VGA-class card with its HDMI audio function (0x0403) -> 1
    ([("0x10de", "0x2206", "0x030000"), ("0x10de", "0x1aef", "0x040300")], 1),
    # other vendors' display controllers do not count; case and whitespace of sysfs values do not matter
    ([("0x1a03", "0x2000", "0x030000"), ("0x10DE ", "0x20B0", "0x030200\n")], 1),
    ([], 0),
])
def test_pci_gpu_count(entries, count):
    assert nvidia.count_pci_devices(entries) == count


def test_pci_count_with_other_classes():
    entries = [("0x10de", "0x22a3", "0x068000")] * 4
    assert nvidia.count_pci_devices(entries, class_prefixes=("0x0680",)) == 4


@pytest.mark.parametrize("text, message", [
    ("", "printed nothing"),
    (None, "printed nothing"),
    ("<nvidia_smi_log><driver_version>580", "not valid XML"),
    ("Failed to initialize NVML: Driver/library version mismatch\n", "not valid XML"),
    ("<other/>", "expected <nvidia_smi_log>"),
    ("<nvidia_smi_log><attached_gpus>1</attached_gpus></nvidia_smi_log>", "no <driver_version>"),
    ('<!DOCTYPE x [<!ENTITY a "b">]><nvidia_smi_log/>', "entities"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><nvidia_smi_log>&x;'
     '</nvidia_smi_log>', "entities"),
])
def test_malformed_xml(text, message):
    with pytest.raises(nvidia.NvidiaParseError, match=message):
        nvidia.parse_nvidia_smi_xml(text)


@pytest.mark.parametrize("name", sorted(XML))
def test_truncated_real_xml(name, fixture_text):
    text = fixture_text("nvidia", name)
    with pytest.raises(nvidia.NvidiaParseError, match="truncated"):
        nvidia.parse_nvidia_smi_xml(text[: len(text) // 2])


@pytest.mark.parametrize("name, rc, message", [
    ("smi_mismatch_570.124.txt", 18, "the NVIDIA kernel module and the user-space library differ (NVML library "
                                     "570.124) (driver upgraded without a reboot?)"),
    ("smi_mismatch_580.178.txt", 18, "(NVML library 580.178)"),
    ("smi_no_devices.txt", 6, "nvidia-smi found no GPU"),
    ("smi_no_driver.txt", 9, "nvidia-smi cannot talk to the NVIDIA driver: the kernel module is not loaded"),
    ("smi_device_handle.txt", 15, "nvidia-smi cannot reach GPU 0000:0B:00.0: it has probably fallen off the bus"),
])
def test_real_failures_become_clear_messages(name, rc, message, fixture_text):
    assert message in nvidia.classify_nvidia_smi_failure(fixture_text("nvidia", name), "", rc)


@pytest.mark.parametrize("stdout, stderr, rc, message", [
    ("", "/bin/sh: 1: nvidia-smi: not found\n", 127, "nvidia-smi is not installed"),
    ("", "bash: nvidia-smi: command not found\n", 127, "nvidia-smi is not installed"),
    ("", "", 127, "nvidia-smi is not installed"),
    ("NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display "
     "Driver is properly installed and present in your system.\n", "", 12, "cannot find libnvidia-ml.so"),
    ("", "Segmentation fault\n", 139, "nvidia-smi failed (rc=139): Segmentation fault"),
    ("", "", 1, "nvidia-smi failed (rc=1): no output"),
])
def test_failures_become_clear_messages(stdout, stderr, rc, message):
    assert message in nvidia.classify_nvidia_smi_failure(stdout, stderr, rc)


def test_csv_errors():
    with pytest.raises(nvidia.NvidiaParseError, match="has 3 fields"):
        nvidia.parse_nvidia_smi_csv("580.159.04, NVIDIA H100 80GB HBM3, 81559 MiB\n")
    with pytest.raises(nvidia.NvidiaParseError, match="lists no GPU"):
        nvidia.parse_nvidia_smi_csv("\n")


def test_summary_problems(fixture_text):
    xml = nvidia.parse_nvidia_smi_xml(fixture_text("nvidia", "h100_nvidia-smi-q-x.xml"))
    assert nvidia.summarize(xml, pci_count=1)["problems"] == []
    assert nvidia.summarize(xml, pci_count=2)["problems"] == ["2 NVIDIA GPUs on the PCI bus but nvidia-smi sees 1"]
    broken = nvidia.summarize(None, "nvidia-smi is not installed", pci_count=8)
    assert broken["problems"] == ["nvidia-smi is not installed",
                                  "8 NVIDIA GPUs on the PCI bus but no NVIDIA driver loaded"]
    assert broken["present"] is True and broken["driver_version"] is None and broken["gpu_count"] is None
    one = nvidia.summarize(None, None, pci_count=1)
    assert one["problems"] == ["1 NVIDIA GPU on the PCI bus but no NVIDIA driver loaded"]
    fallback = nvidia.summarize(None, "no devices", sys_version="580.159.04", pci_count=1)
    assert fallback["source"] == "/sys/module/nvidia/version" and fallback["driver_version"] == "580.159.04"
    proc = nvidia.summarize(None, "x", proc=nvidia.parse_proc_version(
        fixture_text("nvidia", "proc_580.173.02_proprietary.txt")))
    assert proc["source"] == "/proc/driver/nvidia/version" and proc["driver_version"] == "580.173.02"
    none = nvidia.summarize(None, "nvidia-smi is not installed")
    assert none["present"] is False


def test_summary_of_a_partial_listing(fixture_text):
    mig = nvidia.parse_nvidia_smi_xml(fixture_text("nvidia", "a100_mig_535.54.03_v12.xml"))
    result = nvidia.summarize(mig, pci_count=4)
    assert result["gpu_count"] == 1
    assert result["problems"] == ["nvidia-smi reports 4 NVIDIA GPUs attached but describes only 1",
                                  "4 NVIDIA GPUs on the PCI bus but nvidia-smi sees 1"]
