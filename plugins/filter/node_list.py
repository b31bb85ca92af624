# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of scale.yml and remove_node.yml (playbooks/node_list.yml): thin wrappers over
plugin_utils/node_list.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.aiplatform.cluster.plugins.plugin_utils import node_list
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors


class FilterModule(object):
    def filters(self):
        return {
            "node_list_plan": filter_errors("node_list_plan", node_list.plan),
            "node_list_removal_problems": node_list.removal_problems,
            "node_networks_without": node_list.networks_without,
            "node_networks_or_hosts": node_list.networks_or_hosts,
            "node_host_networks": node_list.host_networks,
            "nfs_shares_without": node_list.shares_without,
        }
