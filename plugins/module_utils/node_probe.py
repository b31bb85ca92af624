# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""What the preflight reads on a node, in one module call (module ``node_probe``): on the node.

Pure parsers first (tested with a table in tests/unit/plugins/module_utils/test_node_probe.py), then the
readers that run a command under a time limit (``timed_command``) or read a file and hand the text to a
parser. The judge (plugins/plugin_utils/preflight.py, on the control machine) reads the probe these build;
its keys are the ones the role assembled from a task per check before (docs/preflight.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import platform
import re

from ansible_collections.aiplatform.cluster.plugins.module_utils import timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.pci import read_text

KUBERNETES_PACKAGES = ("kubeadm", "kubelet", "kubectl", "cri-tools")
EFIVARS = "/sys/firmware/efi/efivars"
_LEAP_NORMAL = re.compile(r"Leap status *: *Normal")
_STATUS_SYNC = re.compile(r".*(System clock|NTP) synchronized: *(yes|no).*")


# --- pure parsers ---------------------------------------------------------------------------------

def parse_df_free_gb(text):
    """Free GiB from ``df -Pk <path>`` (POSIX format: the 4th field of the last line, in KiB)."""
    lines = [line for line in str(text or "").splitlines() if line.strip()]
    if len(lines) < 2:
        return 0.0
    fields = lines[-1].split()
    if len(fields) < 4 or not fields[3].isdigit():
        return 0.0
    return round(int(fields[3]) / 1048576.0, 1)


def parse_listening_ports(text):
    """TCP ports in LISTEN state from ``ss -Htln`` output (IPv4 and IPv6)."""
    ports = set()
    for line in str(text or "").splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        local = fields[3]
        port = local.rsplit(":", 1)[-1]
        if port.isdigit():
            ports.add(int(port))
    return sorted(ports)


def parse_meminfo(text):
    """``(memtotal_mb, swaptotal_mb)`` from /proc/meminfo, as Ansible's hardware facts compute them (kB // 1024);
    0 for a value that is missing or not a number."""
    values = {}
    for line in str(text or "").splitlines():
        key, _sep, rest = line.partition(":")
        fields = rest.split()
        if key in ("MemTotal", "SwapTotal") and fields and fields[0].isdigit():
            values[key] = int(fields[0]) // 1024
    return values.get("MemTotal", 0), values.get("SwapTotal", 0)


def secure_boot_state(mokutil=None, efi_value=None):
    """``enabled``, ``disabled`` or ``unknown``: from the first line ``mokutil --sb-state`` printed (None: no
    mokutil), else from the last byte of the EFI variable SecureBoot-* (None: no EFI variable)."""
    if mokutil is not None:
        line = (str(mokutil).splitlines() or [""])[0]
        if "enabled" in line:
            return "enabled"
        return "disabled" if "disabled" in line else "unknown"
    return {1: "enabled", 0: "disabled"}.get(efi_value, "unknown")


def time_sync_state(show=None, tracking=None, status=None):
    """``{"synchronized": True/False/None, "source": ...}``, best source first: the output of
    ``timedatectl show -p NTPSynchronized --value`` (None: it failed), ``chronyc -n tracking`` (None: no chrony
    or it failed), ``timedatectl status`` (None or text: the last resort)."""
    if show is not None:
        first, source = (str(show).splitlines() or [""])[0].strip(), "timedatectl"
    elif tracking is not None:
        first, source = ("yes" if _LEAP_NORMAL.search(str(tracking)) else "no"), "chrony"
    else:
        found = [m.group(2) for m in (_STATUS_SYNC.match(line) for line in str(status or "").splitlines()) if m]
        first, source = (found[0] if found else ""), "timedatectl-status"
    return {"synchronized": {"yes": True, "no": False}.get(first), "source": source}


# --- readers (I/O, each under a time limit) -----------------------------------------------------

def _output(argv, timeout):
    """stdout of ``argv`` when it ran and exited 0, else None (missing, failed or did not answer in time)."""
    rc, out, _err, timed_out = timed_command.run(argv, timeout=timeout)
    return out if rc == 0 and not timed_out else None


def read_secure_boot(mokutil, timeout, efivars=EFIVARS):
    """SecureBoot state: ``mokutil --sb-state`` (``mokutil``: its path, None when not installed), else the EFI
    variable."""
    if mokutil:
        _rc, out, err, _timed_out = timed_command.run([mokutil, "--sb-state"], timeout=timeout)
        return secure_boot_state(out if out.strip() else err)
    names = sorted(glob.glob(os.path.join(efivars, "SecureBoot-*")))
    value = None
    if names:
        try:
            with open(names[0], "rb") as handle:
                data = bytearray(handle.read())
        except (IOError, OSError):
            data = bytearray()
        value = data[-1] if data else None
    return secure_boot_state(None, value)


def read_time_sync(timedatectl, chronyc, timeout):
    """Time synchronisation (``time_sync_state``); ``timedatectl``/``chronyc``: paths, None when not installed."""
    show = _output([timedatectl, "show", "-p", "NTPSynchronized", "--value"], timeout) if timedatectl else None
    if show is not None:
        return time_sync_state(show)
    tracking = _output([chronyc, "-n", "tracking"], timeout) if chronyc else None
    if tracking is not None:
        return time_sync_state(None, tracking)
    status = _output([timedatectl, "status"], timeout) if timedatectl else None
    return time_sync_state(None, None, status)


def read_disk_free_gb(path, timeout):
    """Free GiB on ``path`` (``df -Pk``), None when df did not answer in time (a hung mount: the judge says so)."""
    _rc, out, _err, timed_out = timed_command.run(["df", "-Pk", path], timeout=timeout)
    return None if timed_out else parse_df_free_gb(out)


def read_listening_ports(timeout):
    """TCP ports something listens on (``ss -Htln``)."""
    return parse_listening_ports(timed_command.run(["ss", "-Htln"], timeout=timeout).stdout)


def read_packages(names, timeout):
    """``dpkg-query -W`` lines (``<package> <version> <status>``) of the installed ``names``; the judge parses them."""
    if not names:
        return ""
    return timed_command.run(["dpkg-query", "-W", "-f=${Package} ${Version} ${db:Status-Abbrev}\n"] + list(names),
                             timeout=timeout).stdout


def read_memory():
    """``(memtotal_mb, swaptotal_mb)``."""
    return parse_meminfo(read_text("/proc/meminfo"))


def read_system():
    """Architecture and short host name, as Ansible's platform facts have them on Linux (``platform.machine()``;
    ``platform.node()`` up to the first dot), without its other platform facts (``getfqdn`` asks DNS)."""
    return {"architecture": platform.machine(), "hostname": platform.node().split(".")[0]}


def runtimes(nvidia_runtime=None, ascend_runtime=None):
    """``(nvidia, ascend)``: the NVIDIA runtime binary is executable, the Ascend runtime is there (a path of
    None is not looked for: False)."""
    return (bool(nvidia_runtime) and os.access(nvidia_runtime, os.X_OK),
            bool(ascend_runtime) and os.path.lexists(ascend_runtime))
