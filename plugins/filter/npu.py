# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the NPU NIC plan: thin wrappers over plugin_utils/hccn.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import hccn


def hccl_rank_table(hostvars, hosts):
    servers = []
    for host in hosts:
        hv = hostvars[host]
        nics = list(hv.get("node_npu_nics") or [])
        if nics:  # NPU nodes without a plan (inference cards) take no part in HCCL
            servers.append((hv.get("node_ip") or host, nics))
    try:
        return hccn.rank_table(servers)
    except hccn.HccnError as exc:
        raise AnsibleFilterError("hccl_rank_table: %s. Fix: correct the npu_nics plan in the config" % exc)


def _commands(nics, current, configured=None):
    """``current`` keys may arrive as strings from Jinja; the plan's devices are integers."""
    current = dict((int(k), v) for k, v in (current or {}).items())
    return hccn.plan_commands(nics, current, configured)


class FilterModule(object):
    def filters(self):
        return {
            "hccl_rank_table": hccl_rank_table,
            "hccn_conf": hccn.render_hccn_conf,
            "hccn_conf_parse": hccn.parse_hccn_conf,
            "hccn_ip_get": hccn.parse_ip_get,
            "hccn_commands": _commands,
        }
