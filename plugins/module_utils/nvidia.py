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

from ansible_collections.aiplatform.cluster.plugins.module_utils.tool_failures import (
    FailureRule,
    ToolFailures,
    classify_failure,
    not_installed_rule,
)
from ansible_collections.aiplatform.cluster.plugins.module_utils.vendor_tool import Command, VendorTool

try:  # defusedxml refuses entity and DTD tricks outright; the standard parser is the fallback
    from defusedxml import ElementTree as ET
    from defusedxml import DefusedXmlException as _Refused
except ImportError:  # pragma: no cover - depends on the node
    import xml.etree.ElementTree as ET

    class _Refused(Exception):
        """Never raised: the standard parser is guarded by the <!ENTITY check below."""

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
    """``nvidia-smi -q -x`` -> ``{driver_version, cuda_version, attached_gpus, gpus: [...]}``.

    ``cuda_version`` is None on old drivers (DTD v9, 390.x). ``attached_gpus`` is the count nvidia-smi
    announces; it can exceed ``len(gpus)`` (output for a selection of GPUs, or a GPU that stopped answering),
    which :func:`summarize` reports. Never loads external entities or DTDs.
    """
    if text is None or not str(text).strip():
        raise NvidiaParseError("nvidia-smi -q -x printed nothing")
    text = str(text)
    if "<!ENTITY" in text:
        raise NvidiaParseError("nvidia-smi -q -x output declares XML entities; refusing to parse it")
    # The DOCTYPE names an external DTD (nvsmi_device_v*.dtd) that is never fetched.
    try:
        root = ET.fromstring(text.strip().encode("utf-8"))
    except _Refused as exc:
        raise NvidiaParseError("nvidia-smi -q -x output uses forbidden XML constructs (%s)" % exc)
    except ET.ParseError as exc:
        raise NvidiaParseError("nvidia-smi -q -x output is not valid XML (%s); it may be truncated" % exc)
    except (LookupError, ValueError) as exc:  # e.g. a garbled encoding= in the XML declaration
        raise NvidiaParseError("nvidia-smi -q -x output cannot be read (%s)" % exc)
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
            # the GPU's own framebuffer, not the <mig_devices> entries inside it
            "memory_total_mib": _mib(_text(gpu, "fb_memory_usage/total")),
        })
    attached = _text(root, "attached_gpus")
    return {
        "driver_version": driver,
        "cuda_version": _text(root, "cuda_version"),
        "attached_gpus": int(attached) if attached and attached.isdigit() else len(gpus),
        "gpus": gpus,
    }


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


# nvidia-smi's known failures (tool_failures.classify_failure reads the table).
NVIDIA_SMI_FAILURES = ToolFailures(
    tool="nvidia-smi",
    command="nvidia-smi",
    rules=(
        FailureRule(
            "driver_mismatch", re.compile(r"Driver/library version mismatch", re.I),
            "nvidia-smi: the NVIDIA kernel module and the user-space library differ{lib} (driver upgraded without a "
            "reboot?): {fix}",
            "reboot the node or reload the nvidia modules"),
        FailureRule(
            "no_devices", re.compile(r"No devices were found", re.I),
            "nvidia-smi found no GPU: the driver is loaded but initialised no device ({fix})",
            "check dmesg for NVRM errors, the PCI bus, BIOS settings, passthrough"),
        FailureRule(
            "driver_not_loaded", re.compile(r"couldn't communicate with the NVIDIA driver", re.I),
            "nvidia-smi cannot talk to the NVIDIA driver: the kernel module is not loaded ({fix})",
            "is the driver built for the running kernel? DKMS build failed? SecureBoot blocking it? nouveau loaded?"),
        FailureRule(
            "device_lost", re.compile(r"Unable to (?:determine|detect) the device handle for GPU ?"
                                      r"(?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])", re.I),
            "nvidia-smi cannot reach GPU {bus}: it has probably fallen off the bus ({fix})",
            "check dmesg for Xid 79; reseat or replace the GPU, then reboot"),
        FailureRule(
            "library_missing", re.compile(r"couldn't find libnvidia-ml\.so|NVML Shared Library Not Found", re.I),
            "nvidia-smi cannot find libnvidia-ml.so: {fix}",
            "the driver's user-space libraries are not installed"),
        not_installed_rule("nvidia-smi"),
    ),
    context=(("lib", re.compile(r"NVML library version:\s*([\d.]+)"), " (NVML library {0})"),),
)


# What a hung nvidia-smi usually means, for the "did not answer" problem.
TIMEOUT_HINT = "a GPU may have fallen off the bus or the driver is stuck; see `dmesg` (Xid errors)"

# How nvidia_gpu_info finds and runs nvidia-smi (vendor_tool reads both).
NVIDIA_SMI = VendorTool(failures=NVIDIA_SMI_FAILURES, opt_dirs=("/usr/bin",), hint=TIMEOUT_HINT)
NVIDIA_SMI_XML = Command(args=("-q", "-x"), label="nvidia-smi", parse=parse_nvidia_smi_xml, errors=NvidiaParseError,
                         unreadable="{error}")


def classify_nvidia_smi_failure(stdout, stderr, rc):
    """A clear message for a failed nvidia-smi run (rc != 0), whatever it printed."""
    return classify_failure(NVIDIA_SMI_FAILURES, stdout, stderr, rc).message


def count_pci_devices(entries, vendor=NVIDIA_VENDOR, class_prefixes=GPU_CLASSES):
    """How many of ``entries`` ((vendor, device, class) as read from sysfs) are GPUs of ``vendor``.

    Only display controllers count (VGA 0x0300, 3D 0x0302); NVSwitch and other NVIDIA bridges (0x0680),
    audio functions (0x0403) and USB controllers on the same card do not.
    """
    vendor = str(vendor).strip().lower()
    count = 0
    for dev_vendor, _device, dev_class in entries:
        if str(dev_vendor).strip().lower() != vendor:
            continue
        klass = str(dev_class).strip().lower()
        if any(klass.startswith(prefix) for prefix in class_prefixes):
            count += 1
    return count


def _gpus(count):
    return "%d NVIDIA GPU%s" % (count, "" if count == 1 else "s")


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
    if smi and smi.get("attached_gpus", len(smi["gpus"])) > len(smi["gpus"]):
        problems.append("nvidia-smi reports %s attached but describes only %d" % (
            _gpus(smi["attached_gpus"]), len(smi["gpus"])))
    if result["driver_version"] is None and pci_count:
        problems.append("%s on the PCI bus but no NVIDIA driver loaded" % _gpus(pci_count))
    if result["gpu_count"] is not None and pci_count and result["gpu_count"] < pci_count:
        problems.append("%s on the PCI bus but nvidia-smi sees %d" % (_gpus(pci_count), result["gpu_count"]))
    result["present"] = bool(result["gpu_count"] or pci_count or result["driver_version"])
    return result
