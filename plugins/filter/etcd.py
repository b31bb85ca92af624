# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of remove_node.yml: thin wrappers over plugin_utils/etcd.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.aiplatform.cluster.plugins.plugin_utils import etcd


class FilterModule(object):
    def filters(self):
        return {
            "etcd_member_removal": etcd.member_removal,
            "etcd_quorum": etcd.quorum,
        }
