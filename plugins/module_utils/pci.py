# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read files of the node: PCI devices from sysfs, and small text files (the I/O helpers of the info modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def read_pci_devices(sysfs_root="/"):
    """``[(vendor, device, class)]`` of every PCI device, as sysfs prints them (``0x10de``...)."""
    base = os.path.join(sysfs_root, "sys", "bus", "pci", "devices")
    entries = []
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return entries
    for name in names:
        values = []
        for attribute in ("vendor", "device", "class"):
            try:
                with open(os.path.join(base, name, attribute)) as handle:
                    values.append(handle.read().strip())
            except (IOError, OSError):
                values.append("")
        entries.append(tuple(values))
    return entries


def read_text(path):
    """The content of ``path``, or None when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None
