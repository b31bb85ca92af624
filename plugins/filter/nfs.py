# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the nfs role: thin wrappers over module_utils/nfs.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nfs_export_lines
short_description: /etc/exports lines of the shares a node exports
version_added: 0.1.0
description:
  - One line per share whose C(server) is the node, one client spec per network of the share's C(clients) (never
    C(*)). The same file provides C(nfs_mount_options) (adds C(_netdev) once) and C(nfs_pv_objects) (a bound
    PersistentVolume and PersistentVolumeClaim per share).
options:
  _input:
    description: The config's C(storage.nfs.shares).
    type: list
    elements: dict
    required: true
  server:
    description: Inventory name of the exporting node.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Exports of this node
  ansible.builtin.debug:
    msg: "{{ platform_storage.nfs.shares | aiplatform.cluster.nfs_export_lines(inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: Lines of the exports file.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.aiplatform.cluster.plugins.module_utils import nfs


def _export_lines(shares, server):
    try:
        return nfs.export_lines(shares, server)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {
            "nfs_export_lines": _export_lines,
            "nfs_mount_options": nfs.mount_options,
            "nfs_pv_objects": nfs.pv_objects,
        }
