# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Parse what NVIDIA's tools and the kernel say about the driver and the GPUs. Pure functions.

Sources, best first: ``nvidia-smi -q -x`` (XML; ``cuda_version`` is missing on old
drivers such as 390.x with DTD v9), ``nvidia-smi --query-gpu=... --format=csv``,
``/sys/module/nvidia/version`` (just the version) and ``/proc/driver/nvidia/version``
(proprietary and open kernel module layouts). PCI devices of vendor 0x10de are
counted independently so that "GPUs present but no driver" is visible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

NVIDIA_VENDOR = "0x10de"
# PCI classes of GPUs: VGA controller 0x0300, 3D controller 0x0302 (class is 0xCCSSPP).
GPU_CLASSES = ("0x0300", "0x0302")


class NvidiaParseError(ValueError):
    """Output that cannot be understood."""


def _text(element, path):
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return None if value in ("", "N/A") else value


def _mib(text):
    if not text:
        return None
    match = re.match(r"^\s*(\d+)\s*MiB\s*$", text)
    return int(match.group(1)) if match else None


def parse_nvidia_smi_xml(text):
    """``nvidia-smi -q -x`` -> ``{driver_version, cuda_version, gpus: [...]}``."""
    if not text or not text.strip():
        raise NvidiaParseError("nvidia-smi -q -x printed nothing")
    if "<!ENTITY" in text:
        raise NvidiaParseError("nvidia-smi -q -x output declares XML entities; refusing to parse it")
    # The DOCTYPE names an external DTD that is never fetched; ElementTree ignores it.
    try:
        root = ET.fromstring(text.strip().encode("utf-8"))
    except ET.ParseError as exc:
        raise NvidiaParseError("nvidia-smi -q -x output is not valid XML (%s); it may be truncated" % exc)
    if root.tag != "nvidia_smi_log":
        raise NvidiaParseError("nvidia-smi -q -x output has root <%s>, expected <nvidia_smi_log>" % root.tag)
    driver = _text(root, "driver_version")
    if not driver:
        raise NvidiaParseError("nvidia-smi -q -x output has no <driver_version>")
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        gpus.append({
            "index": index,
            "name": _text(gpu, "product_name"),
            "uuid": _text(gpu, "uuid"),
            "pci_bus_id": _text(gpu, "pci/pci_bus_id") or gpu.get("id"),
            "memory_total_mib": _mib(_text(gpu, "fb_memory_usage/total")),
        })
    attached = _text(root, "attached_gpus")
    if attached and attached.isdigit() and int(attached) != len(gpus):
        raise NvidiaParseError("nvidia-smi -q -x reports %s attached GPUs but lists %d; the output is truncated"
                               % (attached, len(gpus)))
    return {"driver_version": driver, "cuda_version": _text(root, "cuda_version"), "gpus": gpus}


def parse_nvidia_smi_csv(text):
    """``nvidia-smi --query-gpu=driver_version,name,memory.total,uuid,pci.bus_id --format=csv,noheader``."""
    gpus = []
    driver = None
    for number, line in enumerate(str(text or "").splitlines()):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(", ")]
        if len(fields) != 5:
            raise NvidiaParseError("nvidia-smi CSV line %d has %d fields, expected 5: %r" % (number + 1, len(fields),
                                                                                             line))
        driver = driver or fields[0]
        gpus.append({"index": len(gpus), "name": fields[1], "uuid": fields[3], "pci_bus_id": fields[4],
                     "memory_total_mib": _mib(fields[2])})
    if not gpus:
        raise NvidiaParseError("nvidia-smi CSV output lists no GPU")
    return {"driver_version": driver, "cuda_version": None, "gpus": gpus}


_PROC = re.compile(r"NVRM version:\s+NVIDIA UNIX (?:Open Kernel Module for )?\S+(?: Kernel Module)?\s+"
                   r"(?P<version>\d+(?:\.\d+)+)\s")


def parse_proc_version(text):
    """``/proc/driver/nvidia/version`` -> ``{driver_version, open_kernel_module}``."""
    first = str(text or "").strip().splitlines()
    if not first:
        raise NvidiaParseError("/proc/driver/nvidia/version is empty")
    match = _PROC.search(first[0] + " ")
    if not match:
        raise NvidiaParseError("/proc/driver/nvidia/version has an unknown layout: %r" % first[0][:120])
    return {"driver_version": match.group("version"), "open_kernel_module": "Open Kernel Module" in first[0]}


def parse_sys_module_version(text):
    """``/sys/module/nvidia/version`` holds just the version."""
    value = str(text or "").strip()
    if not re.match(r"^\d+(\.\d+)+$", value):
        raise NvidiaParseError("/sys/module/nvidia/version holds %r, not a version" % value[:60])
    return value


_FAILURES = (
    (re.compile(r"Driver/library version mismatch", re.I),
     "the NVIDIA kernel module and the user-space library differ (driver upgraded without a reboot?){lib}: "
     "reboot the node or reload the nvidia modules"),
    (re.compile(r"No devices were found", re.I),
     "nvidia-smi found no GPU: the driver is loaded but sees no device (check the PCI bus, BIOS, passthrough)"),
    (re.compile(r"couldn't communicate with the NVIDIA driver", re.I),
     "nvidia-smi cannot talk to the NVIDIA driver: the kernel module is not loaded (is the driver installed for "
     "the running kernel? DKMS build failed? SecureBoot blocking it?)"),
    (re.compile(r"(command not found|No such file or directory|not found)", re.I),
     "nvidia-smi is not installed"),
)


def classify_nvidia_smi_failure(stdout, stderr, rc):
    """A clear message for a failed nvidia-smi run."""
    text = "%s\n%s" % (stdout or "", stderr or "")
    lib = re.search(r"NVML library version:\s*([\d.]+)", text)
    for pattern, message in _FAILURES:
        if pattern.search(text):
            return message.format(lib=(" (NVML library %s)" % lib.group(1)) if lib else "")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return "nvidia-smi failed (rc=%s): %s" % (rc, first[:200] or "no output")


def count_pci_devices(entries, vendor=NVIDIA_VENDOR, classes=GPU_CLASSES):
    """How many of ``entries`` ((vendor, device, class) as read from sysfs) are GPUs of ``vendor``.

    NVSwitch and other NVIDIA bridges (class 0x0680) are not GPUs.
    """
    count = 0
    for dev_vendor, _device, dev_class in entries:
        if str(dev_vendor).strip().lower() != vendor:
            continue
        klass = str(dev_class).strip().lower()
        if any(klass.startswith(prefix) for prefix in classes):
            count += 1
    return count


def summarize(smi=None, smi_error=None, sys_version=None, proc=None, pci_count=0):
    """Combine the sources into the module's result: what is known, and the problems, in words."""
    problems = []
    result = {"driver_version": None, "cuda_version": None, "source": None, "gpus": [], "gpu_count": None,
              "pci_gpu_count": pci_count, "problems": problems}
    if smi:
        result.update(driver_version=smi["driver_version"], cuda_version=smi.get("cuda_version"),
                      source="nvidia-smi", gpus=smi["gpus"], gpu_count=len(smi["gpus"]))
    elif sys_version:
        result.update(driver_version=sys_version, source="/sys/module/nvidia/version")
    elif proc:
        result.update(driver_version=proc["driver_version"], source="/proc/driver/nvidia/version")
    if smi_error:
        problems.append(smi_error)
    if result["driver_version"] is None and pci_count:
        problems.append("%d NVIDIA GPU(s) on the PCI bus but no NVIDIA driver loaded" % pci_count)
    if result["gpu_count"] is not None and pci_count and result["gpu_count"] < pci_count:
        problems.append("%d NVIDIA GPU(s) on the PCI bus but nvidia-smi sees %d" % (pci_count, result["gpu_count"]))
    result["present"] = bool(result["gpu_count"] or pci_count or result["driver_version"])
    return result
