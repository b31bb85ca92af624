# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read a node's NVIDIA GPUs and Ascend NPUs (on the node): the I/O of the modules ``nvidia_gpu_info``,
``ascend_npu_info`` and ``node_probe``, one copy for all three.

The vendor tools run under a time limit (``timed_command``); what they print is parsed by the pure functions
of ``nvidia.py`` and ``ascend.py``; files come from ``pci.py``. Nothing here fails: every problem is a
sentence in the result's ``problems``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend, nvidia, timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.pci import read_pci_devices, read_text

# Where the vendor tools are looked for besides PATH (AnsibleModule.get_bin_path's opt_dirs).
NVIDIA_SMI_DIRS = ["/usr/bin"]
NPU_SMI_DIRS = ["/usr/local/bin", "/usr/local/sbin"]
ASCEND_INSTALL_INFO = "/etc/ascend_install.info"


def _tool_problem(name, binary):
    """Why ``binary`` (None: not found in PATH) cannot run, or None."""
    if not binary:
        return "%s is not installed" % name
    if not os.access(binary, os.X_OK):
        return "%s not found at %s" % (name, binary)
    return None


def _parsed(path, parser, error):
    """``parser`` applied to the file at ``path``; None when it is missing, unreadable or unparsable."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return parser(text)
    except error:
        return None


def read_nvidia(binary, sysfs_root="/", timeout=timed_command.DEFAULT_TIMEOUT):
    """The ``nvidia`` dict of ``nvidia_gpu_info`` (its RETURN): ``nvidia-smi -q -x`` (``binary``, None when
    not installed), then ``/sys/module/nvidia/version`` and ``/proc/driver/nvidia/version``, and the PCI bus."""
    smi = None
    smi_error = _tool_problem("nvidia-smi", binary)
    if smi_error is None:
        rc, out, err, timed_out = timed_command.run([binary, "-q", "-x"], timeout=timeout)
        if timed_out:
            smi_error = timed_command.did_not_answer("nvidia-smi", timeout, nvidia.TIMEOUT_HINT)
        elif rc == 0:
            try:
                smi = nvidia.parse_nvidia_smi_xml(out)
            except nvidia.NvidiaParseError as exc:
                smi_error = str(exc)
        else:
            smi_error = nvidia.classify_nvidia_smi_failure(out, err, rc)
    sys_version = _parsed(os.path.join(sysfs_root, "sys", "module", "nvidia", "version"),
                          nvidia.parse_sys_module_version, nvidia.NvidiaParseError)
    proc = _parsed(os.path.join(sysfs_root, "proc", "driver", "nvidia", "version"), nvidia.parse_proc_version,
                   nvidia.NvidiaParseError)
    pci_count = nvidia.count_pci_devices(read_pci_devices(sysfs_root))
    return nvidia.summarize(smi, smi_error, sys_version, proc, pci_count)


def _install(install_info_path, problems):
    """``(install, driver, firmware)`` from the Ascend install info and the version files it points to."""
    install = driver = firmware = None
    text = read_text(install_info_path)
    if text is None:
        problems.append("%s not found: the Ascend driver package is not installed" % install_info_path)
        return install, driver, firmware
    try:
        install = ascend.parse_install_info(text)
    except ascend.AscendParseError as exc:
        problems.append(str(exc))
        return install, driver, firmware
    for kind in ("driver", "firmware"):
        path = os.path.join(install["install_path"], kind, "version.info")
        content = read_text(path)
        if content is None:
            problems.append("%s not found" % path)
            continue
        try:
            parsed = ascend.parse_version_info(content)
        except ascend.AscendParseError as exc:
            problems.append("%s: %s" % (path, exc))
            continue
        if kind == "driver":
            driver = parsed
        else:
            firmware = parsed
    return install, driver, firmware


def read_ascend(binary, sysfs_root="/", timeout=timed_command.DEFAULT_TIMEOUT,
                install_info_path=ASCEND_INSTALL_INFO):
    """The ``ascend`` dict of ``ascend_npu_info`` (its RETURN): the install info and version files,
    ``npu-smi info`` and ``npu-smi info -l`` (``binary``, None when not installed), and the PCI bus."""
    problems = []
    install, driver, firmware = _install(install_info_path, problems)
    smi = smi_list = None
    smi_error = _tool_problem("npu-smi", binary)
    if smi_error is None:
        rc, out, err, timed_out = timed_command.run([binary, "info"], timeout=timeout)
        if timed_out:
            smi_error = timed_command.did_not_answer("npu-smi info", timeout, ascend.TIMEOUT_HINT)
        elif rc == 0:
            try:
                smi = ascend.parse_npu_smi_info(out)
            except ascend.AscendParseError as exc:
                smi_error = "npu-smi info: %s" % exc
        else:
            smi_error = ascend.classify_npu_smi_failure(out, err, rc)
        if smi is not None:
            rc, out, err, timed_out = timed_command.run([binary, "info", "-l"], timeout=timeout)
            if timed_out:
                problems.append(timed_command.did_not_answer("npu-smi info -l", timeout, ascend.TIMEOUT_HINT))
            elif rc == 0:
                try:
                    smi_list = ascend.parse_npu_smi_list(out)
                except ascend.AscendParseError as exc:
                    problems.append("npu-smi info -l: %s" % exc)
    return ascend.summarize(install, driver, firmware, smi, smi_list, smi_error,
                            ascend.pci_npus(read_pci_devices(sysfs_root)), problems)
