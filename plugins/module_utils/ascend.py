# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Parse what Huawei Ascend's driver files and ``npu-smi`` say. Pure functions.

``npu-smi info`` prints a box table whose columns changed across generations
(Hugepages, HBM, Device, Phy-ID...), so columns are found from the two header
rows, never from fixed positions: each NPU/chip takes two data rows, matching
header row one (NPU, Name, Health, Power, Temp...) and header row two (Chip,
Bus-Id, AICore, Memory, HBM...). ``N / M`` pairs are read whatever their
spacing (``20701/ 65536``). A process table may follow the device table.
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

HUAWEI_VENDOR = "0x19e5"
# PCI device ids of Ascend chips.
PCI_MODELS = {"0xd100": "Ascend310", "0xd801": "Ascend910", "0xd802": "Ascend910B", "0xd500": "Ascend310P"}


# Installer file names carry the architecture: Ascend-docker-runtime_6.0.0_linux-aarch64.run.
_INSTALLER_ARCH = re.compile(r"(?:^|[-_.])(aarch64|arm64|x86_64|amd64)(?:[-_.]|$)", re.IGNORECASE)
_ARCH = {"aarch64": "arm64", "arm64": "arm64", "x86_64": "amd64", "amd64": "amd64"}


def installer_arch(path):
    """``amd64``/``arm64`` from a vendor installer's file name (``..._linux-aarch64.run``); None when it names none."""
    name = str(path or "").replace("\\", "/").rsplit("/", 1)[-1]
    match = _INSTALLER_ARCH.search(name)
    return _ARCH[match.group(1).lower()] if match else None


class AscendParseError(ValueError):
    """Output that cannot be understood."""


def parse_key_values(text):
    """Shell-style ``KEY=VALUE`` lines (quotes removed); comments and blank lines skipped."""
    values = {}
    for line in str(text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def parse_install_info(text):
    """``/etc/ascend_install.info`` -> ``{install_path, ...all keys}``."""
    values = parse_key_values(text)
    path = values.get("Driver_Install_Path_Param") or values.get("Install_Path_Param")
    if not path:
        raise AscendParseError("/etc/ascend_install.info has no Driver_Install_Path_Param")
    out = dict(values)
    out["install_path"] = path
    return out


def parse_version_info(text):
    """``<path>/driver/version.info`` or ``<path>/firmware/version.info`` -> a dict.

    Keys: ``version`` (``Version=``, else ``package_version=``), ``package_version``, ``inner_version``
    (``Innerversion=``, Huawei's internal build id, not a driver version), ``compatible_version_fw`` (in the
    driver's file: firmware versions it works with), ``compatible_version_drv`` (in the firmware's file),
    ``compatible`` (whichever of the two is present) and ``values`` (every key as written).
    2020-era files hold one line (``Version=1.72.T2.100.B020``); newer ones a dozen keys.
    """
    values = parse_key_values(text)
    version = values.get("Version") or values.get("version") or values.get("package_version")
    if not version:
        raise AscendParseError("version.info has no Version= line (%s)" % (
            "it is empty" if not str(text or "").strip() else "keys: %s" % (", ".join(sorted(values)) or "none")))
    fw = values.get("compatible_version_fw")
    drv = values.get("compatible_version_drv")
    return {
        "version": version,
        "package_version": values.get("package_version"),
        "inner_version": values.get("Innerversion") or values.get("innerversion"),
        "compatible_version_fw": fw,
        "compatible_version_drv": drv,
        "compatible": fw or drv or values.get("compatible_version"),
        "values": values,
    }


_VERSION_LINE = re.compile(r"npu-smi\s+(?P<tool>\S+)(?:\s+Version:\s*(?P<driver>\S+))?")
_PAIR = re.compile(r"\s*/\s*")


def _cells(line):
    parts = line.strip().strip("|").split("|")
    return [p.strip() for p in parts]


def _tokens(cell):
    return _PAIR.sub("/", cell).split()


# Cells npu-smi fills when a value does not apply (310 chips have no HBM, no bus id in some containers).
_ABSENT = (None, "", "-", "NA", "N/A")


def _number(value):
    if value in _ABSENT:
        return None
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return None


def _checked(value, what, notes):
    """``_number(value)``; a value that is there but is no number is noted in ``notes`` (then None)."""
    number = _number(value)
    if number is None and value not in _ABSENT:
        notes.append("%s is %r, not a number" % (what, value))
    return number


def _int_id(value):
    return int(value) if value is not None and str(value).isdigit() else None


def _pair(value, what=None, notes=None):
    if value in _ABSENT:
        return None, None
    notes = [] if notes is None else notes
    if "/" not in value:
        notes.append("%s is %r, not used/total" % (what, value))
        return None, None
    used, _sep, total = value.partition("/")
    return _checked(used, what + " used", notes), _checked(total, what + " total", notes)


# header title -> field name (titles compared without units and case)
_FIELDS = {
    "npu": "npu_id", "name": "name", "health": "health", "power": "power_w", "temp": "temp_c",
    "hugepages-usage": "hugepages", "chip": "chip_id", "device": "device_id", "phy-id": "phy_id",
    "bus-id": "bus_id", "aicore": "aicore_pct", "memory-usage": "memory", "hbm-usage": "hbm", "hbm": "hbm",
}


def _field(title):
    key = re.sub(r"\(.*\)$", "", title).strip().lower()
    return _FIELDS.get(key, key)


def parse_npu_smi_info(text):  # noqa: C901 - one pass over a table
    """``npu-smi info`` -> ``{tool_version, driver_version, npus: [...], processes: [...]}``.

    One entry per NPU chip: ``npu_id``, ``chip_id``, ``name``, ``health``, ``power_w``, ``temp_c``,
    ``bus_id``, ``aicore_pct``, ``memory_used_mb``, ``memory_total_mb``, ``hbm_used_mb``,
    ``hbm_total_mb`` (None where the generation has no such column). ``unreadable`` lists, in words, the
    cells that are there but cannot be read (garbage such as ``ERR!`` in a number column, a process row
    whose NPU, chip or process id is not a number); the rest of the table is still read.
    """
    lines = [line.rstrip() for line in str(text or "").splitlines()]
    version = None
    for line in lines:
        match = _VERSION_LINE.search(line)
        if match and line.lstrip().startswith("|"):
            version = match
            break
    if version is None:
        raise AscendParseError("not npu-smi info output: no 'npu-smi <version>' line")
    start = lines.index(version.string)
    headers = []
    index = start + 1
    # header rows: the '|' rows between the version line and the first '+===' rule
    while index < len(lines) and not lines[index].lstrip().startswith("+="):
        if lines[index].lstrip().startswith("|"):
            headers.append([[_field(t) for t in cell.split()] for cell in _cells(lines[index])])
        index += 1
    if index >= len(lines) or not headers:
        raise AscendParseError("npu-smi info output ends before its device table (truncated?)")
    npus = []
    processes = []
    notes = []
    block = []
    in_processes = False
    for line in lines[index + 1:]:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("+"):
            if block and not in_processes:
                npus.append(_device(block, headers, notes))
            block = []
            continue
        if not stripped.startswith("|"):
            continue
        if "Process id" in stripped or "Process name" in stripped:
            in_processes = True
            continue
        if in_processes:
            _process(stripped, processes, notes)
            continue
        block.append(stripped)
    if block and not in_processes:
        npus.append(_device(block, headers, notes))
    return {"tool_version": version.group("tool"), "driver_version": version.group("driver"), "npus": npus,
            "processes": processes, "unreadable": notes}


def _process(row, processes, notes):
    """One row of the process table into ``processes``; a row that cannot be read into ``notes``."""
    cells = _cells(row)
    ids = cells[0].split() if cells else []
    if len(cells) < 4 or not ids or "no running process" in row.lower():
        return  # "No running processes found in NPU 0" and other prose rows
    npu, chip, pid = _int_id(ids[0]), _int_id(ids[1]) if len(ids) > 1 else None, _int_id(cells[1])
    if npu is None or pid is None or (len(ids) > 1 and chip is None):
        notes.append("process row %r: NPU, chip or process id is not a number" % row[:80])
        return
    memory = _checked(cells[3], "process %s memory" % pid, notes)
    processes.append({"npu_id": npu, "chip_id": chip, "pid": pid, "name": cells[2], "memory_mb": memory})


def _device(rows, headers, notes):
    if len(rows) < len(headers):
        raise AscendParseError("npu-smi info device rows are incomplete (%d of %d rows): %r"
                               % (len(rows), len(headers), rows[0][:80]))
    values = {}
    for row, header in zip(rows, headers):
        cells = _cells(row)
        for names, cell in zip(header, cells):
            for name, token in zip(names, _tokens(cell)):
                values.setdefault(name, token)
    npu = _number(values.get("npu_id"))
    chip = _number(values.get("chip_id"))
    if not isinstance(npu, int):
        raise AscendParseError("npu-smi info row has no NPU id: %r" % rows[0][:80])
    where = "NPU %s chip %s" % (npu, chip if isinstance(chip, int) else 0)
    memory = _pair(values.get("memory"), where + " memory", notes)
    hbm = _pair(values.get("hbm"), where + " HBM", notes)
    return {
        "npu_id": npu,
        "chip_id": chip if isinstance(chip, int) else 0,
        "name": values.get("name"),
        "health": values.get("health"),
        "power_w": _checked(values.get("power_w"), where + " power", notes),
        "temp_c": _checked(values.get("temp_c"), where + " temperature", notes),
        "bus_id": None if values.get("bus_id") in _ABSENT else values.get("bus_id"),
        "aicore_pct": _checked(values.get("aicore_pct"), where + " AICore", notes),
        "memory_used_mb": memory[0],
        "memory_total_mb": memory[1],
        "hbm_used_mb": hbm[0],
        "hbm_total_mb": hbm[1],
    }


def parse_npu_smi_list(text):
    """``npu-smi info -l`` -> ``{total, npus: [{npu_id, chip_count}]}``."""
    total = None
    npus = []
    for line in str(text or "").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "total count" and value.isdigit():
            total = int(value)
        elif key == "npu id" and value.isdigit():
            npus.append({"npu_id": int(value), "chip_count": None})
        elif key == "chip count" and value.isdigit() and npus:
            npus[-1]["chip_count"] = int(value)
    if total is None:
        raise AscendParseError("npu-smi info -l output has no 'Total Count' line")
    if len(npus) != total:
        raise AscendParseError("npu-smi info -l says Total Count %d but lists %d NPU(s) (truncated?)"
                               % (total, len(npus)))
    return {"total": total, "npus": npus}


def model_from_pci_device(device_id):
    """``0xd802`` (or ``d802``) -> ``Ascend910B``; None when unknown."""
    value = str(device_id).strip().lower()
    if value and not value.startswith("0x"):
        value = "0x" + value
    return PCI_MODELS.get(value)


def pci_npus(entries):
    """Ascend chips among PCI ``(vendor, device, class)`` entries: ``{model: count}``.

    Only known NPU device ids count; Huawei NICs and other 0x19e5 functions do not.
    """
    models = {}
    for vendor, device, _klass in entries:
        if str(vendor).strip().lower() != HUAWEI_VENDOR:
            continue
        model = model_from_pci_device(device)
        if model:
            models[model] = models.get(model, 0) + 1
    return models


def count_pci_npus(entries):
    """How many Ascend chips the PCI ``(vendor, device, class)`` entries hold."""
    return sum(pci_npus(entries).values())


# npu-smi's known failures (tool_failures.classify_failure reads the table).
NPU_SMI_FAILURES = ToolFailures(
    tool="npu-smi",
    command="npu-smi info",
    rules=(
        FailureRule(
            "driver_not_loaded", re.compile(r"dcmi module initialize failed", re.I),
            "npu-smi cannot initialise DCMI: the Ascend driver is not loaded or this user may not use it ({fix})",
            "run as root or a member of HwHiAiUser; check 'lsmod | grep drv_davinci' and dmesg"),
        not_installed_rule("npu-smi"),
        FailureRule(
            "permission_denied", re.compile(r"permission denied", re.I),
            "npu-smi: permission denied ({fix})",
            "run as root or a member of HwHiAiUser"),
    ),
    context=(),
)


# What a hung npu-smi usually means, for the "did not answer" problem.
TIMEOUT_HINT = ("the Ascend driver may be stuck or an NPU may have failed; see `dmesg` and the device logs under "
                "/var/log/npu")

# How ascend_npu_info finds and runs npu-smi (vendor_tool reads them).
NPU_SMI = VendorTool(failures=NPU_SMI_FAILURES, opt_dirs=("/usr/local/bin", "/usr/local/sbin"), hint=TIMEOUT_HINT)
NPU_SMI_INFO = Command(args=("info",), label="npu-smi info", parse=parse_npu_smi_info, errors=AscendParseError,
                       unreadable="{label}: {error}")
NPU_SMI_LIST = Command(args=("info", "-l"), label="npu-smi info -l", parse=parse_npu_smi_list, errors=AscendParseError,
                       unreadable="{label}: {error}")


def classify_npu_smi_failure(stdout, stderr, rc):
    """A clear message for a failed ``npu-smi info`` run."""
    return classify_failure(NPU_SMI_FAILURES, stdout, stderr, rc).message


def _chips(count):
    return "%d Ascend chip%s" % (count, "" if count == 1 else "s")


def summarize(install=None, driver=None, firmware=None, smi=None, smi_list=None, smi_error=None, pci_models=None,
              problems=None):
    """Combine the sources into the module's result, with the problems in words."""
    problems = list(problems or [])
    pci_models = pci_models or {}
    pci_count = sum(pci_models.values())
    result = {
        "install_path": (install or {}).get("install_path"),
        "driver_version": (driver or {}).get("version") or (smi or {}).get("driver_version"),
        "driver_package_version": (driver or {}).get("package_version"),
        "firmware_version": (firmware or {}).get("version"),
        "npu_smi_version": (smi or {}).get("tool_version"),
        "npus": (smi or {}).get("npus", []),
        "npu_count": (smi_list or {}).get("total") if smi_list else (
            len(set(n["npu_id"] for n in smi["npus"])) if smi else None),
        "chip_count": len(smi["npus"]) if smi else None,
        "unhealthy": [n for n in (smi or {}).get("npus", []) if n.get("health") not in ("OK", None)],
        "pci_npu_count": pci_count,
        "pci_models": pci_models,
        "problems": problems,
    }
    if smi_error:
        problems.append(smi_error)
    for note in (smi or {}).get("unreadable", []):
        problems.append("npu-smi info: %s (garbled output: check the driver and npu-smi by hand)" % note)
    if result["driver_version"] is None and pci_count:
        problems.append("%s on the PCI bus but no Ascend driver found" % _chips(pci_count))
    if result["npu_count"] is not None and pci_count and result["chip_count"] is not None and \
            result["chip_count"] < pci_count:
        problems.append("%s on the PCI bus but npu-smi sees %d" % (_chips(pci_count), result["chip_count"]))
    loaded = (smi or {}).get("driver_version")
    on_disk = (driver or {}).get("version")
    if loaded and on_disk and loaded.strip().lower() != on_disk.strip().lower():
        problems.append("driver/version.info says %s but the loaded driver reports %s (installed without a "
                        "reboot?)" % (on_disk, loaded))
    for npu in result["unhealthy"]:
        problems.append("NPU %s chip %s health is %s" % (npu["npu_id"], npu["chip_id"], npu["health"]))
    result["present"] = bool(pci_count or result["driver_version"] or result["npus"])
    return result
