# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the NPU NIC plan: thin wrappers over module_utils/hccn.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: hccl_rank_table
short_description: The HCCL rank table (hccl.json) of NPU nodes from their NIC plans
version_added: 0.1.0
description:
  - Builds the multi-node rank table, version 1.0, from the C(node_npu_nics) plan of each host, ranks in host order;
    each C(device_ip) is that device's planned address. Fails when a device id sits on different subnets on
    different servers (HCCL could not connect them).
  - The same file provides C(hccn_conf) (the C(/etc/hccn.conf) text of one node's plan), C(hccn_conf_parse),
    C(hccn_ip_get) (parses C(hccn_tool -ip -g)) and C(hccn_commands) (the hccn_tool calls that bring a node to its
    plan, only where values differ), used by the C(ascend_runtime) role.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The NPU nodes, in rank order.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Write the rank table of the NPU nodes
  ansible.builtin.copy:
    content: "{{ hostvars | aiplatform.cluster.hccl_rank_table(groups['ascend_npu']) | to_nice_json }}"
    dest: /etc/aiplatform/hccl.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The rank table.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.module_utils import hccn


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
