# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read a node's NVIDIA GPUs and Ascend NPUs (on the node): the I/O of the modules ``nvidia_gpu_info``,
``ascend_npu_info`` and ``node_probe``, one copy for all three.

The vendor tools are found and run under a time limit by ``vendor_tool`` (each vendor's tables are in
``nvidia.py`` and ``ascend.py``); what they print is parsed by the pure functions
of ``nvidia.py`` and ``ascend.py``; files come from ``pci.py``. Nothing here fails: every problem is a
sentence in the result's ``problems``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend, nvidia, timed_command, vendor_tool
from ansible_collections.aiplatform.cluster.plugins.module_utils.pci import read_pci_devices, read_text

ASCEND_INSTALL_INFO = "/etc/ascend_install.info"


def _parsed(path, parser, error):
    """``parser`` applied to the file at ``path``; None when it is missing, unreadable or unparsable."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return parser(text)
    except error:
        return None


def read_nvidia(get_bin_path, path=None, sysfs_root="/", timeout=timed_command.DEFAULT_TIMEOUT):
    """The ``nvidia`` dict of ``nvidia_gpu_info`` (its RETURN): ``nvidia-smi -q -x`` (at ``path``, else found with
    ``get_bin_path``, AnsibleModule's), then ``/sys/module/nvidia/version`` and ``/proc/driver/nvidia/version``,
    and the PCI bus."""
    smi = None
    binary, smi_error = vendor_tool.find(nvidia.NVIDIA_SMI, path, get_bin_path)
    if binary:
        smi, smi_error, _kind = vendor_tool.run(binary, nvidia.NVIDIA_SMI, nvidia.NVIDIA_SMI_XML, timeout)
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


def read_ascend(get_bin_path, path=None, sysfs_root="/", timeout=timed_command.DEFAULT_TIMEOUT,
                install_info_path=ASCEND_INSTALL_INFO):
    """The ``ascend`` dict of ``ascend_npu_info`` (its RETURN): the install info and version files,
    ``npu-smi info`` and ``npu-smi info -l`` (at ``path``, else found with ``get_bin_path``), and the PCI bus.
    A failed ``npu-smi info -l`` is not a problem (older drivers lack it); one that hangs or prints what the
    parser cannot read is."""
    problems = []
    install, driver, firmware = _install(install_info_path, problems)
    smi = smi_list = None
    binary, smi_error = vendor_tool.find(ascend.NPU_SMI, path, get_bin_path)
    if binary:
        smi, smi_error, _kind = vendor_tool.run(binary, ascend.NPU_SMI, ascend.NPU_SMI_INFO, timeout)
    if smi is not None:
        listed = vendor_tool.run(binary, ascend.NPU_SMI, ascend.NPU_SMI_LIST, timeout)
        if listed.kind in (vendor_tool.TIMED_OUT, vendor_tool.UNREADABLE):
            problems.append(listed.problem)
        else:
            smi_list = listed.value
    return ascend.summarize(install, driver, firmware, smi, smi_list, smi_error,
                            ascend.pci_npus(read_pci_devices(sysfs_root)), problems)
