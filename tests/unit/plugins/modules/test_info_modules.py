"""The accelerator info modules run as Ansible runs them, against a fake sysfs and fake vendor tools."""

import os
import stat
from module_run import run_module_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODULES = os.path.join(ROOT, "plugins", "modules")


def run_module(name, args, tmp_path):
    return run_module_file(name, args, tmp_path)


def fake_tool(tmp_path, name, outputs, rc=0):
    """An executable printing ``outputs[first argument...]``."""
    script = tmp_path / name
    cases = "\n".join('  "%s") cat <<\'EOF\'\n%sEOF\n  ;;' % (key, text) for key, text in outputs.items())
    script.write_text("#!/bin/sh\ncase \"$*\" in\n%s\nesac\nexit %d\n" % (cases, rc))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def fake_pci(root, devices):
    for number, (vendor, device, klass) in enumerate(devices):
        path = root / "sys" / "bus" / "pci" / "devices" / ("0000:%02x:00.0" % number)
        path.mkdir(parents=True)
        (path / "vendor").write_text(vendor + "\n")
        (path / "device").write_text(device + "\n")
        (path / "class").write_text(klass + "\n")


def fake_ascend_install(tmp_path, fixture_text, driver_fixture):
    """An Ascend install path with ``driver_fixture`` as driver/version.info and the 7.1 firmware's."""
    install = tmp_path / "Ascend"
    for kind, name in (("driver", driver_fixture), ("firmware", "firmware_version_info_7.1.txt")):
        (install / kind).mkdir(parents=True)
        (install / kind / "version.info").write_text(fixture_text("ascend", name))
    return install


def test_nvidia_gpus_on_the_bus_without_driver(tmp_path):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")] * 8 + [("0x8086", "0x0d57", "0x060000")])
    result = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": str(tmp_path / "none")},
                        tmp_path)
    nv = result["nvidia"]
    assert result["changed"] is False
    assert nv["driver_version"] is None and nv["pci_gpu_count"] == 8 and nv["present"] is True
    assert nv["problems"] == ["nvidia-smi not found at %s" % (tmp_path / "none"),
                              "8 NVIDIA GPUs on the PCI bus but no NVIDIA driver loaded"]
    assert nv["gpu_count"] is None and nv["gpus"] == []


def test_nvidia_healthy(tmp_path, fixture_text):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")])
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": fixture_text("nvidia", "h100_nvidia-smi-q-x.xml")})
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["driver_version"] == "580.159.04" and nv["cuda_version"] == "13.0" and nv["gpu_count"] == 1
    assert nv["problems"] == [] and nv["source"] == "nvidia-smi"


def test_nvidia_library_mismatch_falls_back_to_the_kernel_module(tmp_path, fixture_text):
    """The truenas-nvidia-drivers#19 host: NVML 580.178 in user space, module 580.173.02 still loaded."""
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")])
    (tmp_path / "proc" / "driver" / "nvidia").mkdir(parents=True)
    (tmp_path / "proc" / "driver" / "nvidia" / "version").write_text(
        fixture_text("nvidia", "proc_580.173.02_proprietary.txt"))
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": fixture_text("nvidia", "smi_mismatch_580.178.txt")}, rc=18)
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["driver_version"] == "580.173.02" and nv["source"] == "/proc/driver/nvidia/version"
    assert any("NVML library 580.178" in p for p in nv["problems"])
    assert nv["present"] is True


def test_nvidia_sys_module_is_preferred_to_proc(tmp_path, fixture_text):
    (tmp_path / "sys" / "module" / "nvidia").mkdir(parents=True)
    (tmp_path / "sys" / "module" / "nvidia" / "version").write_text("580.159.04\n")
    (tmp_path / "proc" / "driver" / "nvidia").mkdir(parents=True)
    (tmp_path / "proc" / "driver" / "nvidia" / "version").write_text(fixture_text("nvidia", "h100_proc_version.txt"))
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": fixture_text("nvidia", "smi_no_devices.txt")}, rc=6)
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["source"] == "/sys/module/nvidia/version" and nv["driver_version"] == "580.159.04"
    assert nv["problems"] == [p for p in nv["problems"] if "found no GPU" in p] and len(nv["problems"]) == 1


def test_nvidia_one_of_eight_gpus_missing(tmp_path, fixture_text):
    """8 GPUs and 4 NVSwitches on the bus; nvidia-smi lists 1 (the real H100 output)."""
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")] * 8 + [("0x10de", "0x22a3", "0x068000")] * 4)
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": fixture_text("nvidia", "h100_nvidia-smi-q-x.xml")})
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["pci_gpu_count"] == 8 and nv["gpu_count"] == 1
    assert nv["problems"] == ["8 NVIDIA GPUs on the PCI bus but nvidia-smi sees 1"]


def test_nvidia_garbage_output_is_a_problem_not_a_traceback(tmp_path, fixture_text):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")])
    text = fixture_text("nvidia", "h100_nvidia-smi-q-x.xml")
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": text[: len(text) // 3] + "\n"})
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["driver_version"] is None
    assert any("not valid XML" in p for p in nv["problems"])
    assert "1 NVIDIA GPU on the PCI bus but no NVIDIA driver loaded" in nv["problems"]


def test_cpu_node_reports_nothing_present(tmp_path):
    fake_pci(tmp_path, [("0x8086", "0x0d57", "0x060000"), ("0x1af4", "0x1000", "0x020000")])
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": str(tmp_path / "none")},
                    tmp_path)
    assert nv["changed"] is False and nv["nvidia"]["present"] is False and nv["nvidia"]["pci_gpu_count"] == 0
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": str(tmp_path / "none"),
                                         "install_info_path": str(tmp_path / "ascend_install.info")}, tmp_path)
    assert npu["changed"] is False and npu["ascend"]["present"] is False and npu["ascend"]["pci_npu_count"] == 0


def test_check_mode_is_supported(tmp_path):
    fake_pci(tmp_path, [])
    result = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": str(tmp_path / "none"),
                                            "_ansible_check_mode": True}, tmp_path)
    assert result["changed"] is False and "skipped" not in result


def test_ascend_without_driver(tmp_path):
    fake_pci(tmp_path, [("0x19e5", "0xd802", "0x120000")] * 8)
    result = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": str(tmp_path / "none"),
                                            "install_info_path": str(tmp_path / "ascend_install.info")}, tmp_path)
    npu = result["ascend"]
    assert npu["pci_models"] == {"Ascend910B": 8} and npu["driver_version"] is None
    assert "8 Ascend chips on the PCI bus but no Ascend driver found" in npu["problems"]
    assert npu["present"] is True and npu["npus"] == [] and npu["chip_count"] is None


def test_ascend_installed(tmp_path, fixture_text):
    fake_pci(tmp_path, [("0x19e5", "0xd801", "0x120000")] * 4)
    install = fake_ascend_install(tmp_path, fixture_text, "version_info_23.0.7.txt")
    info = tmp_path / "ascend_install.info"
    info.write_text("Driver_Install_Path_Param=%s\n" % install)
    smi = fake_tool(tmp_path, "npu-smi", {"info": fixture_text("ascend", "npu_smi_25.2.0_910_phyid.txt"),
                                          "info -l": "Total Count : 2\nNPU ID : 0\nChip Count : 2\nNPU ID : 1\n"
                                                     "Chip Count : 2\n"})
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi, "install_info_path": str(info)},
                     tmp_path)["ascend"]
    assert npu["driver_version"] == "23.0.7" and npu["firmware_version"] == "7.1.0.11.220"
    assert npu["npu_count"] == 2 and npu["chip_count"] == 4 and npu["pci_npu_count"] == 4
    # the two fixtures come from different hosts: the module notices the versions disagree
    assert npu["problems"] == ["driver/version.info says 23.0.7 but the loaded driver reports 25.2.0 "
                               "(installed without a reboot?)"]


def test_ascend_8x_910_host_from_real_files(tmp_path, fixture_text):
    """install.info, version.info files and npu-smi output of real hosts (see the fixtures' sources)."""
    fake_pci(tmp_path, [("0x19e5", "0xd801", "0x120000")] * 8 + [("0x19e5", "0x1822", "0x020000")])
    install = fake_ascend_install(tmp_path, fixture_text, "version_info_24.1.rc3.txt")
    info = tmp_path / "ascend_install.info"
    info.write_text(fixture_text("ascend", "ascend_install_info.txt").replace("/usr/local/Ascend", str(install)))
    smi_out = fixture_text("ascend", "npu_smi_24.1.0_910B_8x_hugepages.txt")
    smi = fake_tool(tmp_path, "npu-smi", {"info": smi_out, "info -l": fixture_text("ascend", "npu_smi_list_8.txt")})
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi, "install_info_path": str(info)},
                     tmp_path)["ascend"]
    assert npu["install_path"] == str(install)
    assert npu["driver_version"] == "24.1.rc3" and npu["npu_smi_version"] == "24.1.0"
    assert npu["npu_count"] == 8 and npu["chip_count"] == 8 and npu["pci_models"] == {"Ascend910": 8}
    # version.info and the loaded driver disagree in these two public captures: reported, not fatal
    assert npu["problems"] == ["driver/version.info says 24.1.rc3 but the loaded driver reports 24.1.0 "
                               "(installed without a reboot?)"]


def test_ascend_npu_smi_fails(tmp_path):
    fake_pci(tmp_path, [("0x19e5", "0xd500", "0x120000")] * 2)
    smi = fake_tool(tmp_path, "npu-smi", {"info": "dcmi module initialize failed. ret is -8005\n"}, rc=1)
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi,
                                         "install_info_path": str(tmp_path / "missing.info")}, tmp_path)["ascend"]
    assert npu["pci_models"] == {"Ascend310P": 2} and npu["npus"] == []
    assert any(p.startswith("npu-smi cannot initialise DCMI") for p in npu["problems"])
    assert "2 Ascend chips on the PCI bus but no Ascend driver found" in npu["problems"]


def test_ascend_garbage_npu_smi_is_a_problem_not_a_traceback(tmp_path, fixture_text):
    smi_out = fixture_text("ascend", "npu_smi_24.1.0_910B_8x_hugepages.txt")
    smi = fake_tool(tmp_path, "npu-smi", {"info": "\n".join(smi_out.splitlines()[:7]) + "\n"})
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi,
                                         "install_info_path": str(tmp_path / "missing.info")}, tmp_path)["ascend"]
    assert any(p.startswith("npu-smi info: npu-smi info device rows are incomplete") for p in npu["problems"])
