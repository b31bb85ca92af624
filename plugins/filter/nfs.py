# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the nfs role: thin wrappers over plugin_utils/nfs.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import nfs


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
