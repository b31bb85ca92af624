# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of remove_node.yml: thin wrappers over plugin_utils/etcd.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: etcd_member_removal
short_description: Whether removing a node's etcd member keeps etcd's quorum, and which member it is
version_added: 0.1.0
description:
  - Reads what the etcdctl of a running member prints (C(member list -w json) and
    C(endpoint health --cluster -w json)) and says whether the member of I(node) may be removed. Refused, with the
    node and the fix in words, when etcd has no quorum now, when the members left would have fewer healthy voting
    members than their quorum (C(n // 2 + 1) of C(n)), or when it is the last member. Learners do not vote.
  - The same file provides C(etcd_quorum) (healthy members a cluster of C(n) voting members needs).
options:
  _input:
    description: Output of C(etcdctl member list -w json) (text or parsed).
    type: raw
    required: true
  health:
    description: Output of C(etcdctl endpoint health --cluster -w json) (text or parsed).
    type: raw
    required: true
  node:
    description: The node whose member is removed (kubeadm names members after nodes).
    type: str
    required: true
  node_ip:
    description: The node's cluster address (a member with a peer URL on it is the node's).
    type: str
"""

EXAMPLES = r"""
- name: Refuse to break etcd's quorum
  ansible.builtin.fail:
    msg: "{{ verdict.problems | join(' ') }}"
  when: verdict.problems | length > 0
  vars:
    verdict: "{{ members.stdout | aiplatform.cluster.etcd_member_removal(health.stdout, 'cp-02', '10.0.0.12') }}"
"""

RETURN = r"""
_value:
  description:
    - C(member_ids) (hex, for C(etcdctl member remove)), C(members) (their names), C(voters), C(healthy),
      C(unhealthy), C(quorum), C(remaining), C(remaining_healthy), C(remaining_quorum), C(problems) (empty - go
      ahead) and C(warnings).
  type: dict
"""

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import etcd


class FilterModule(object):
    def filters(self):
        return {
            "etcd_member_removal": etcd.member_removal,
            "etcd_quorum": etcd.quorum,
        }
