"""Ascend parsers over real npu-smi / driver file outputs (fixtures say where each came from)."""

import os

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ascend")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return "".join(line for line in handle if not line.startswith("# source:"))


# file -> (tool, driver, [(npu, chip, name, health, bus, memory used/total, hbm used/total, power)])
NPU_SMI = {
    "npu_smi_23.0.2.1_910B2C_hbm.txt": ("23.0.2.1", "23.0.2.1", [
        (0, 0, "910B2C", "OK", "0000:5A:00.0", (0, 0), (20701, 65536), 88.6),
        (1, 0, "910B2C", "OK", "0000:19:00.0", (0, 0), (20687, 65536), 99.6)]),
    "npu_smi_23.0.0_310B4_nohbm.txt": ("23.0.0", "23.0.0", [
        (0, 0, "310B4", "Alarm", None, (3628, 15609), (None, None), 0.0)]),
    "npu_smi_25.2.0_910_phyid.txt": ("25.2.0", "25.2.0", [
        (0, 0, "Ascend910", "OK", "0000:9C:00.0", (0, 0), (3133, 65536), 162.8),
        (0, 1, "Ascend910", "OK", "0000:9E:00.0", (0, 0), (2876, 65536), None),
        (1, 0, "Ascend910", "OK", "0000:37:00.0", (0, 0), (3116, 65536), 167.1),
        (1, 1, "Ascend910", "OK", "0000:39:00.0", (0, 0), (10568, 65536), None)]),
    "npu_smi_21.0.4_910A_hugepages.txt": ("21.0.4", "21.0.4", [
        (0, 0, "910A", "OK", "0000:C1:00.0", (839, 15170), (1, 32768), 70.9),
        (1, 0, "910A", "OK", "0000:81:00.0", (1274, 15171), (1, 32768), 67.2)]),
    "npu_smi_21.0.2_910A_nohugepages.txt": ("21.0.2", "21.0.2", [
        (1, 0, "910A", "OK", "0000:3B:00.0", (1809, 15079), (0, 32768), 64.3),
        (4, 0, "910A", "OK", "0000:86:00.0", (1809, 15079), (0, 32768), 65.6)]),
    "npu_smi_21.0.3.1_310_device.txt": ("21.0.3.1", "21.0.3.1", [
        (0, 0, "310", "OK", None, (5324, 8192), (None, None), 12.8)]),
    "npu_smi_23.0.rc3_310B4.txt": ("23.0.rc3", "23.0.rc3", [
        (0, 0, "310B4", "OK", None, (1797, 3513), (None, None), 7.2)]),
}


@pytest.mark.parametrize("name", sorted(NPU_SMI))
def test_npu_smi_info(name):
    tool, driver, expected = NPU_SMI[name]
    parsed = ascend.parse_npu_smi_info(fixture(name))
    assert parsed["tool_version"] == tool and parsed["driver_version"] == driver
    got = [(n["npu_id"], n["chip_id"], n["name"], n["health"], n["bus_id"], (n["memory_used_mb"], n["memory_total_mb"]),
            (n["hbm_used_mb"], n["hbm_total_mb"]), n["power_w"]) for n in parsed["npus"]]
    assert got == expected


def test_process_tables():
    assert ascend.parse_npu_smi_info(fixture("npu_smi_23.0.2.1_910B2C_hbm.txt"))["processes"] == [
        {"npu_id": 0, "chip_id": 0, "pid": 124528, "name": "python3.8", "memory_mb": 17400}]
    procs = ascend.parse_npu_smi_info(fixture("npu_smi_25.2.0_910_phyid.txt"))["processes"]
    assert procs == [{"npu_id": 1, "chip_id": 1, "pid": 990711, "name": "python", "memory_mb": 7746}]


@pytest.mark.parametrize("text, message", [
    ("", "no 'npu-smi <version>' line"),
    ("dcmi module initialize failed. ret is -8005\n", "no 'npu-smi <version>' line"),
    ("+----+\n| npu-smi 23.0.0  Version: 23.0.0 |\n+----+\n| NPU Name | Health |\n", "truncated"),
])
def test_npu_smi_garbage(text, message):
    with pytest.raises(ascend.AscendParseError, match=message):
        ascend.parse_npu_smi_info(text)


def test_npu_smi_truncated_mid_device():
    lines = fixture("npu_smi_23.0.2.1_910B2C_hbm.txt").splitlines()
    cut = "\n".join(lines[:7])  # ends after the first row of NPU 0
    with pytest.raises(ascend.AscendParseError, match="incomplete"):
        ascend.parse_npu_smi_info(cut)


def test_npu_smi_list():
    parsed = ascend.parse_npu_smi_list(fixture("npu_smi_list_8.txt"))
    assert parsed["total"] == 8
    assert parsed["npus"][7] == {"npu_id": 7, "chip_count": 1}
    truncated = "\n".join(fixture("npu_smi_list_8.txt").splitlines()[:6])
    with pytest.raises(ascend.AscendParseError, match="Total Count 8 but lists 2"):
        ascend.parse_npu_smi_list(truncated)
    with pytest.raises(ascend.AscendParseError, match="no 'Total Count'"):
        ascend.parse_npu_smi_list("Error: permission denied\n")


@pytest.mark.parametrize("name, version, package, inner", [
    ("version_info_2020.txt", "1.72.T2.100.B020", None, None),
    ("version_info_23.0.7.txt", "23.0.7", "23.0.7", "V100R001C15SPC012B220"),
    ("firmware_version_info_7.1.txt", "7.1.0.11.220", None, None),
])
def test_version_info(name, version, package, inner):
    parsed = ascend.parse_version_info(fixture(name))
    assert (parsed["version"], parsed["package_version"], parsed["inner_version"]) == (version, package, inner)


def test_version_info_errors():
    with pytest.raises(ascend.AscendParseError, match="no Version= line"):
        ascend.parse_version_info("garbage\n")
    assert ascend.parse_install_info(fixture("ascend_install_info.txt"))["install_path"] == "/usr/local/Ascend"
    with pytest.raises(ascend.AscendParseError, match="Driver_Install_Path_Param"):
        ascend.parse_install_info("UserName=HwHiAiUser\n")


@pytest.mark.parametrize("device, model", [
    ("0xd100", "Ascend310"), ("0xd801", "Ascend910"), ("0xd802", "Ascend910B"), ("0xd500", "Ascend310P"),
    ("0xD802", "Ascend910B"), ("0x1234", None)])
def test_pci_models(device, model):
    assert ascend.model_from_pci_device(device) == model


def test_pci_counting():
    entries = [("0x19e5", "0xd802", "0x120000")] * 8 + [("0x19e5", "0x1822", "0x020000"), ("0x8086", "0xd802", "")]
    assert ascend.pci_npus(entries) == {"Ascend910B": 8}


def test_summary_problems():
    smi = ascend.parse_npu_smi_info(fixture("npu_smi_23.0.0_310B4_nohbm.txt"))
    result = ascend.summarize(smi=smi, pci_models={"Ascend310P": 2})
    assert result["driver_version"] == "23.0.0" and result["chip_count"] == 1
    assert "2 Ascend chip(s) on the PCI bus but npu-smi sees 1" in result["problems"]
    assert "NPU 0 chip 0 health is Alarm" in result["problems"]
    nothing = ascend.summarize(smi_error="npu-smi is not installed", pci_models={"Ascend910B": 8})
    assert nothing["problems"] == ["npu-smi is not installed", "8 Ascend NPU(s) on the PCI bus but no Ascend driver found"]
    assert nothing["present"] is True
