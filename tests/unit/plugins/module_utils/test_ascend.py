"""Ascend parsers over real npu-smi / driver file outputs (fixtures say where each came from)."""

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.driver_version import (
    DriverVersionError,
    driver_at_least,
)

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
    # tool and driver versions differ; "Chip Device" header; no HBM column
    "npu_smi_22.0.0_drv_22.0.2_310P3.txt": ("22.0.0", "22.0.2", [
        (0, 0, "310P3", "OK", "0000:AF:00.0", (934, 23054), (None, None), 17.0)]),
    # tool 23.0.rc3 with driver 23.0.rc2.3; "30710/ 32768" spacing; misaligned name cells
    "npu_smi_23.0.rc3_drv_23.0.rc2.3_8x_processes.txt": ("23.0.rc3", "23.0.rc2.3", [
        (0, 0, "xxx", "OK", "0000:C1:00.0", (4565, 15137), (30710, 32768), 73.4),
        (1, 0, "xxx", "OK", "0000:81:00.0", (4483, 15137), (30710, 32768), 69.6),
        (2, 0, "xxx", "OK", "0000:41:00.0", (4437, 15137), (30710, 32768), 70.0),
        (3, 0, "xxx", "OK", "0000:01:00.0", (3845, 15039), (30709, 32768), 69.6),
        (4, 0, "xxx", "OK", "0000:C2:00.0", (4296, 15137), (30709, 32768), 71.3),
        (5, 0, "xxx", "OK", "0000:82:00.0", (3758, 15137), (30709, 32768), 67.0),
        (6, 0, "xxx", "OK", "0000:42:00.0", (4581, 15137), (30710, 32768), 71.7),
        (7, 0, "xxx", "OK", "0000:02:00.0", (4690, 15039), (30710, 32768), 69.1)]),
    "npu_smi_24.1.0_910B_8x_hugepages.txt": ("24.1.0", "24.1.0", [
        (0, 0, "910B", "OK", "0000:C1:00.0", (2382, 15038), (0, 32768), 65.7),
        (1, 0, "910B", "OK", "0000:81:00.0", (2378, 15038), (0, 32768), 62.3),
        (2, 0, "910B", "OK", "0000:41:00.0", (2382, 15038), (0, 32768), 64.9),
        (3, 0, "910B", "OK", "0000:01:00.0", (2384, 15038), (0, 32768), 62.9),
        (4, 0, "910B", "OK", "0000:C2:00.0", (2385, 15038), (0, 32768), 67.1),
        (5, 0, "910B", "OK", "0000:82:00.0", (2355, 15038), (0, 32768), 63.5),
        (6, 0, "910B", "OK", "0000:42:00.0", (2384, 15038), (0, 32768), 64.2),
        (7, 0, "910B", "OK", "0000:02:00.0", (2355, 15038), (0, 32768), 63.0)]),
}


@pytest.mark.parametrize("name", sorted(NPU_SMI))
def test_npu_smi_info(name, fixture_text):
    tool, driver, expected = NPU_SMI[name]
    parsed = ascend.parse_npu_smi_info(fixture_text("ascend", name))
    assert parsed["tool_version"] == tool and parsed["driver_version"] == driver
    got = [(n["npu_id"], n["chip_id"], n["name"], n["health"], n["bus_id"], (n["memory_used_mb"], n["memory_total_mb"]),
            (n["hbm_used_mb"], n["hbm_total_mb"]), n["power_w"]) for n in parsed["npus"]]
    assert got == expected


def test_process_tables(fixture_text):
    assert ascend.parse_npu_smi_info(fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt"))["processes"] == [
        {"npu_id": 0, "chip_id": 0, "pid": 124528, "name": "python3.8", "memory_mb": 17400}]
    procs = ascend.parse_npu_smi_info(fixture_text("ascend", "npu_smi_25.2.0_910_phyid.txt"))["processes"]
    assert procs == [{"npu_id": 1, "chip_id": 1, "pid": 990711, "name": "python", "memory_mb": 7746}]
    procs = ascend.parse_npu_smi_info(
        fixture_text("ascend", "npu_smi_23.0.rc3_drv_23.0.rc2.3_8x_processes.txt"))["processes"]
    assert [(p["npu_id"], p["pid"], p["memory_mb"]) for p in procs] == [
        (0, 139667, 30780), (1, 139577, 30782), (2, 139446, 30780), (3, 139372, 30780), (4, 139258, 30780),
        (5, 139163, 30780), (6, 139126, 30780), (7, 139090, 30780)]
    # "No running processes found in NPU n" rows are not processes
    assert ascend.parse_npu_smi_info(fixture_text("ascend", "npu_smi_24.1.0_910B_8x_hugepages.txt"))["processes"] == []


@pytest.mark.parametrize("name", sorted(NPU_SMI))
def test_npu_smi_truncated_anywhere_is_an_error_or_a_prefix(name, fixture_text):
    """Cut a real table after every line: the parser raises AscendParseError or returns a prefix of the NPUs."""
    full = ascend.parse_npu_smi_info(fixture_text("ascend", name))["npus"]
    lines = fixture_text("ascend", name).splitlines()
    for cut in range(len(lines)):
        try:
            npus = ascend.parse_npu_smi_info("\n".join(lines[:cut]))["npus"]
        except ascend.AscendParseError as exc:
            assert str(exc)
        else:
            assert npus == full[:len(npus)]


@pytest.mark.parametrize("text, message", [
    ("", "no 'npu-smi <version>' line"),
    ("dcmi module initialize failed. ret is -8005\n", "no 'npu-smi <version>' line"),
    ("+----+\n| npu-smi 23.0.0  Version: 23.0.0 |\n+----+\n| NPU Name | Health |\n", "truncated"),
])
def test_npu_smi_garbage(text, message):
    with pytest.raises(ascend.AscendParseError, match=message):
        ascend.parse_npu_smi_info(text)


def test_npu_smi_truncated_mid_device(fixture_text):
    lines = fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt").splitlines()
    cut = "\n".join(lines[:7])  # ends after the first row of NPU 0
    with pytest.raises(ascend.AscendParseError, match="incomplete"):
        ascend.parse_npu_smi_info(cut)


def test_npu_smi_list(fixture_text):
    parsed = ascend.parse_npu_smi_list(fixture_text("ascend", "npu_smi_list_8.txt"))
    assert parsed["total"] == 8
    assert parsed["npus"][7] == {"npu_id": 7, "chip_count": 1}
    truncated = "\n".join(fixture_text("ascend", "npu_smi_list_8.txt").splitlines()[:6])
    with pytest.raises(ascend.AscendParseError, match="Total Count 8 but lists 2"):
        ascend.parse_npu_smi_list(truncated)
    with pytest.raises(ascend.AscendParseError, match="no 'Total Count'"):
        ascend.parse_npu_smi_list("Error: permission denied\n")


@pytest.mark.parametrize("name, version, package, inner, fw, drv", [
    ("version_info_2020.txt", "1.72.T2.100.B020", None, None, None, None),
    ("version_info_23.0.7.txt", "23.0.7", "23.0.7", "V100R001C15SPC012B220", "[7.0.0,7.1.99]", None),
    ("version_info_24.1.rc3.txt", "24.1.rc3", "24.1.rc3", "V100R001C19SPC001B124", "[7.0.0,7.5.99]", None),
    ("firmware_version_info_7.1.txt", "7.1.0.11.220", "23.0.7", None, None, "[23.0.rc3,23.0.rc3.],[23.0.0,23.0.0.]"),
])
def test_version_info(name, version, package, inner, fw, drv, fixture_text):
    parsed = ascend.parse_version_info(fixture_text("ascend", name))
    assert (parsed["version"], parsed["package_version"], parsed["inner_version"]) == (version, package, inner)
    assert (parsed["compatible_version_fw"], parsed["compatible_version_drv"]) == (fw, drv)
    assert parsed["values"]["Version"] == version


@pytest.mark.parametrize("name", ["version_info_2020.txt", "version_info_23.0.7.txt", "version_info_24.1.rc3.txt"])
def test_driver_versions_of_the_fixtures_are_comparable(name, fixture_text):
    parsed = ascend.parse_version_info(fixture_text("ascend", name))
    assert driver_at_least(parsed["version"], "1.72.T2.100.B020", "huawei")
    if parsed["inner_version"]:
        with pytest.raises(DriverVersionError, match="inner version"):
            driver_at_least(parsed["inner_version"], "23.0.0", "huawei")


def test_version_info_errors():
    with pytest.raises(ascend.AscendParseError, match="no Version= line \\(keys: none\\)"):
        ascend.parse_version_info("garbage\n")
    with pytest.raises(ascend.AscendParseError, match="it is empty"):
        ascend.parse_version_info("")
    with pytest.raises(ascend.AscendParseError, match="keys: Innerversion"):
        ascend.parse_version_info("Innerversion=V100R001C15SPC012B220\n")


def test_install_info(fixture_text):
    parsed = ascend.parse_install_info(fixture_text("ascend", "ascend_install_info.txt"))
    assert parsed["install_path"] == "/usr/local/Ascend"
    assert parsed["Firmware_Install_Path_Param"] == "/usr/local/Ascend"
    assert parsed["Driver_Install_Type"] == "full" and parsed["UserName"] == "HwHiAiUser"
    with pytest.raises(ascend.AscendParseError, match="Driver_Install_Path_Param"):
        ascend.parse_install_info("UserName=HwHiAiUser\n")
    with pytest.raises(ascend.AscendParseError, match="Driver_Install_Path_Param"):
        ascend.parse_install_info("")


@pytest.mark.parametrize("device, model", [
    ("0xd100", "Ascend310"), ("0xd801", "Ascend910"), ("0xd802", "Ascend910B"), ("0xd500", "Ascend310P"),
    ("0xD802", "Ascend910B"), ("d802", "Ascend910B"), (" 0xd500\n", "Ascend310P"), ("0x1234", None), ("", None)])
def test_pci_models(device, model):
    assert ascend.model_from_pci_device(device) == model


def test_pci_counting():
    entries = [("0x19e5", "0xd802", "0x120000")] * 8 + [("0x19e5", "0x1822", "0x020000"), ("0x8086", "0xd802", "")]
    assert ascend.pci_npus(entries) == {"Ascend910B": 8}
    assert ascend.count_pci_npus(entries) == 8
    mixed = [("0x19e5", "0xd100", "0x120000")] * 4 + [("0x19e5", "0xd500", "0x120000")] * 2
    assert ascend.pci_npus(mixed) == {"Ascend310": 4, "Ascend310P": 2}
    assert ascend.count_pci_npus([]) == 0


@pytest.mark.parametrize("stdout, stderr, rc, message", [
    ("dcmi module initialize failed. ret is -8005\n", "", 1, "npu-smi cannot initialise DCMI"),
    ("", "bash: npu-smi: command not found\n", 127, "npu-smi is not installed"),
    ("", "", 127, "npu-smi is not installed"),
    ("", "Error: Permission denied\n", 1, "permission denied"),
    ("", "", 3, "npu-smi info failed (rc=3): no output"),
])
def test_npu_smi_failures(stdout, stderr, rc, message):
    assert message in ascend.classify_npu_smi_failure(stdout, stderr, rc)


def test_summary_problems(fixture_text):
    smi = ascend.parse_npu_smi_info(fixture_text("ascend", "npu_smi_23.0.0_310B4_nohbm.txt"))
    result = ascend.summarize(smi=smi, pci_models={"Ascend310P": 2})
    assert result["driver_version"] == "23.0.0" and result["chip_count"] == 1
    assert "2 Ascend chips on the PCI bus but npu-smi sees 1" in result["problems"]
    assert "NPU 0 chip 0 health is Alarm" in result["problems"]
    nothing = ascend.summarize(smi_error="npu-smi is not installed", pci_models={"Ascend910B": 8})
    assert nothing["problems"] == ["npu-smi is not installed",
                                   "8 Ascend chips on the PCI bus but no Ascend driver found"]
    assert nothing["present"] is True
    assert ascend.summarize(pci_models={"Ascend310P": 1})["problems"] == [
        "1 Ascend chip on the PCI bus but no Ascend driver found"]
    cpu = ascend.summarize(smi_error="npu-smi is not installed")
    assert cpu["present"] is False and cpu["pci_npu_count"] == 0


def test_summary_driver_on_disk_differs_from_the_loaded_one(fixture_text):
    smi = ascend.parse_npu_smi_info(fixture_text("ascend", "npu_smi_23.0.rc3_drv_23.0.rc2.3_8x_processes.txt"))
    driver = ascend.parse_version_info(fixture_text("ascend", "version_info_23.0.7.txt"))
    result = ascend.summarize(driver=driver, smi=smi, pci_models={"Ascend910": 8})
    assert result["driver_version"] == "23.0.7" and result["npu_smi_version"] == "23.0.rc3"
    assert result["problems"] == ["driver/version.info says 23.0.7 but the loaded driver reports 23.0.rc2.3 "
                                  "(installed without a reboot?)"]
    same = ascend.summarize(driver=ascend.parse_version_info("Version=23.0.RC2.3\n"), smi=smi,
                            pci_models={"Ascend910": 8})
    assert same["problems"] == [] and same["npu_count"] == 8 and same["chip_count"] == 8
