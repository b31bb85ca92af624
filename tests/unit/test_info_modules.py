"""The accelerator info modules run as Ansible runs them, against a fake sysfs and fake vendor tools."""

import json
import os
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "plugins", "modules")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures")


def run_module(name, args, tmp_path):
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    result = subprocess.run([sys.executable, os.path.join(MODULES, name + ".py"), str(args_file)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


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


def read(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return "".join(line for line in handle if not line.startswith("# source:"))


def test_nvidia_gpus_on_the_bus_without_driver(tmp_path):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")] * 8 + [("0x8086", "0x0d57", "0x060000")])
    result = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": str(tmp_path / "none")},
                        tmp_path)
    nv = result["nvidia"]
    assert result["changed"] is False
    assert nv["driver_version"] is None and nv["pci_gpu_count"] == 8 and nv["present"] is True
    assert "8 NVIDIA GPU(s) on the PCI bus but no NVIDIA driver loaded" in nv["problems"]


def test_nvidia_healthy(tmp_path):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")])
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": read("nvidia", "h100_nvidia-smi-q-x.xml")})
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["driver_version"] == "580.159.04" and nv["cuda_version"] == "13.0" and nv["gpu_count"] == 1
    assert nv["problems"] == [] and nv["source"] == "nvidia-smi"


def test_nvidia_library_mismatch_falls_back_to_the_kernel_module(tmp_path):
    fake_pci(tmp_path, [("0x10de", "0x2330", "0x030200")])
    (tmp_path / "sys" / "module" / "nvidia").mkdir(parents=True)
    (tmp_path / "sys" / "module" / "nvidia" / "version").write_text("580.119.02\n")
    smi = fake_tool(tmp_path, "nvidia-smi", {"-q -x": read("nvidia", "smi_mismatch.txt")}, rc=18)
    nv = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)["nvidia"]
    assert nv["driver_version"] == "580.119.02" and nv["source"] == "/sys/module/nvidia/version"
    assert any("NVML library 580.126" in p for p in nv["problems"])


def test_ascend_without_driver(tmp_path):
    fake_pci(tmp_path, [("0x19e5", "0xd802", "0x120000")] * 8)
    result = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": str(tmp_path / "none"),
                                            "install_info_path": str(tmp_path / "ascend_install.info")}, tmp_path)
    npu = result["ascend"]
    assert npu["pci_models"] == {"Ascend910B": 8} and npu["driver_version"] is None
    assert "8 Ascend NPU(s) on the PCI bus but no Ascend driver found" in npu["problems"]


def test_ascend_installed(tmp_path):
    fake_pci(tmp_path, [("0x19e5", "0xd801", "0x120000")] * 4)
    install = tmp_path / "Ascend"
    (install / "driver").mkdir(parents=True)
    (install / "firmware").mkdir()
    (install / "driver" / "version.info").write_text(read("ascend", "version_info_23.0.7.txt"))
    (install / "firmware" / "version.info").write_text(read("ascend", "firmware_version_info_7.1.txt"))
    info = tmp_path / "ascend_install.info"
    info.write_text("Driver_Install_Path_Param=%s\n" % install)
    smi = fake_tool(tmp_path, "npu-smi", {"info": read("ascend", "npu_smi_25.2.0_910_phyid.txt"),
                                          "info -l": "Total Count : 2\nNPU ID : 0\nChip Count : 2\nNPU ID : 1\n"
                                                     "Chip Count : 2\n"})
    npu = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi, "install_info_path": str(info)},
                     tmp_path)["ascend"]
    assert npu["driver_version"] == "23.0.7" and npu["firmware_version"] == "7.1.0.11.220"
    assert npu["npu_count"] == 2 and npu["chip_count"] == 4 and npu["pci_npu_count"] == 4
    assert npu["problems"] == []
