"""One failure classifier, two vendors' tables: nvidia-smi's and npu-smi's failures through the same function."""

import re

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend, nvidia, tool_failures
from ansible_collections.aiplatform.cluster.plugins.module_utils.tool_failures import classify_failure

TABLES = {"nvidia-smi": nvidia.NVIDIA_SMI_FAILURES, "npu-smi": ascend.NPU_SMI_FAILURES}

# (table, stdout, stderr, rc, kind, exact message): one case per rule of each table and per fallback.
CASES = [
    ("nvidia-smi", "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 570.124\n", "",
     18, "driver_mismatch",
     "nvidia-smi: the NVIDIA kernel module and the user-space library differ (NVML library 570.124) (driver "
     "upgraded without a reboot?): reboot the node or reload the nvidia modules"),
    ("nvidia-smi", "Failed to initialize NVML: Driver/library version mismatch\n", "", 18, "driver_mismatch",
     "nvidia-smi: the NVIDIA kernel module and the user-space library differ (driver upgraded without a reboot?): "
     "reboot the node or reload the nvidia modules"),
    ("nvidia-smi", "No devices were found\n", "", 6, "no_devices",
     "nvidia-smi found no GPU: the driver is loaded but initialised no device (check dmesg for NVRM errors, the "
     "PCI bus, BIOS settings, passthrough)"),
    ("nvidia-smi", "", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", 9,
     "driver_not_loaded",
     "nvidia-smi cannot talk to the NVIDIA driver: the kernel module is not loaded (is the driver built for the "
     "running kernel? DKMS build failed? SecureBoot blocking it? nouveau loaded?)"),
    ("nvidia-smi", "Unable to determine the device handle for GPU0000:0B:00.0: Unknown Error\n", "", 15,
     "device_lost",
     "nvidia-smi cannot reach GPU 0000:0B:00.0: it has probably fallen off the bus (check dmesg for Xid 79; "
     "reseat or replace the GPU, then reboot)"),
    ("nvidia-smi", "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system.\n", "", 12, "library_missing",
     "nvidia-smi cannot find libnvidia-ml.so: the driver's user-space libraries are not installed"),
    ("nvidia-smi", "", "bash: nvidia-smi: command not found\n", 127, "not_installed", "nvidia-smi is not installed"),
    ("nvidia-smi", "", "", 127, "not_installed", "nvidia-smi is not installed"),
    ("nvidia-smi", "", "Segmentation fault\n", 139, "failed", "nvidia-smi failed (rc=139): Segmentation fault"),
    ("npu-smi", "dcmi module initialize failed. ret is -8005\n", "", 1, "driver_not_loaded",
     "npu-smi cannot initialise DCMI: the Ascend driver is not loaded or this user may not use it (run as root or "
     "a member of HwHiAiUser; check 'lsmod | grep drv_davinci' and dmesg)"),
    ("npu-smi", "", "/bin/sh: 1: npu-smi: not found\n", 127, "not_installed", "npu-smi is not installed"),
    ("npu-smi", "", "", 127, "not_installed", "npu-smi is not installed"),
    ("npu-smi", "", "Error: Permission denied\n", 1, "permission_denied",
     "npu-smi: permission denied (run as root or a member of HwHiAiUser)"),
    ("npu-smi", "\n  garbled\nmore\n", "", 3, "failed", "npu-smi info failed (rc=3): garbled"),
    ("npu-smi", "", "", 3, "failed", "npu-smi info failed (rc=3): no output"),
]


@pytest.mark.parametrize("tool, stdout, stderr, rc, kind, message", CASES)
def test_both_vendors_tables_through_one_classifier(tool, stdout, stderr, rc, kind, message):
    assert classify_failure(TABLES[tool], stdout, stderr, rc) == tool_failures.Failure(kind, message)


def test_every_rule_of_every_table_has_a_case():
    for tool, table in TABLES.items():
        covered = set(case[4] for case in CASES if case[0] == tool)
        kinds = [rule.kind for rule in table.rules]
        assert len(kinds) == len(set(kinds)), "%s: a kind named twice" % tool
        assert set(kinds) | {tool_failures.NOT_INSTALLED, tool_failures.FAILED} == covered, tool


@pytest.mark.parametrize("tool", sorted(TABLES))
def test_a_rule_with_a_fix_says_it(tool):
    """A rule's fix is in its message; a rule without one does not leave an empty slot."""
    for rule in TABLES[tool].rules:
        assert ("{fix}" in rule.message) == bool(rule.fix), rule.kind
        assert rule.pattern.flags & re.IGNORECASE, rule.kind


def test_first_matching_rule_wins_and_the_vendor_wrappers_give_its_message():
    both = "Driver/library version mismatch\nNo devices were found\n"
    assert classify_failure(nvidia.NVIDIA_SMI_FAILURES, both, "", 1).kind == "driver_mismatch"
    assert nvidia.classify_nvidia_smi_failure(both, "", 1) == classify_failure(
        nvidia.NVIDIA_SMI_FAILURES, both, "", 1).message
    # The rules are the table's own: npu-smi's table does not know nvidia-smi's failures.
    assert classify_failure(ascend.NPU_SMI_FAILURES, both, "", 1).kind == "failed"
    assert ascend.classify_npu_smi_failure("", "Permission denied", 1) == classify_failure(
        ascend.NPU_SMI_FAILURES, "", "Permission denied", 1).message


def test_a_table_of_another_tool_works_the_same():
    """Nothing in the classifier is NVIDIA's or Huawei's: a third table reads the same way."""
    table = tool_failures.ToolFailures(
        tool="hl-smi", command="hl-smi -Q",
        rules=(tool_failures.FailureRule("busy", re.compile(r"device (?P<dev>\d+) busy", re.I),
                                         "hl-smi: device {dev} is busy{where} ({fix})", "wait for the job to end"),),
        context=(("where", re.compile(r"on node (\S+)"), " on {0}"),))
    assert classify_failure(table, "Device 3 busy on node n1\n", "", 1) == (
        "busy", "hl-smi: device 3 is busy on n1 (wait for the job to end)")
    assert classify_failure(table, "Device 3 busy\n", "", 1).message == (
        "hl-smi: device 3 is busy (wait for the job to end)")
    assert classify_failure(table, "", "", 127) == ("not_installed", "hl-smi is not installed")
    assert classify_failure(table, "x" * 300, "", 2).message == "hl-smi -Q failed (rc=2): " + "x" * 200
