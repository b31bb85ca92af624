# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the kubeadm role: thin wrappers over module_utils/kubeadm.py and kubeadm_schema.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kubeadm_documents
short_description: The documents of the config file kubeadm init or kubeadm join reads on a node
version_added: 0.1.0
description:
  - For the node that initialises the cluster an InitConfiguration, ClusterConfiguration, KubeletConfiguration and
    KubeProxyConfiguration; for every other node a JoinConfiguration (with C(controlPlane) on control-plane nodes).
    The kubeadm API is v1beta3 for Kubernetes 1.22 to 1.30 and v1beta4 from 1.31.
  - The same file provides C(kubeadm_api_version), C(kubeadm_validate) (problems of rendered documents, an empty list
    when clean), C(kubeadm_init_node), C(kubeadm_join_plan), C(kubeadm_usable_token) (over
    C(kubeadm token list -o json)), C(kubeadm_upgrade_path), C(kubeadm_batches), C(kubeadm_nodes) (over
    C(kubectl get nodes -o json)), C(kubeadm_label_changes), C(kubeadm_taint_changes), C(kubeadm_host_view) (the
    host vars the documents read) and C(kubeadm_yaml) (documents as one multi-document YAML text).
options:
  _input:
    description: The node's inventory name.
    type: str
    required: true
  hosts:
    description: Host vars of the cluster's nodes by name (C(hostvars) will do).
    type: dict
    required: true
  cluster:
    description: platform_cluster.
    type: dict
    required: true
  network:
    description: platform_network.
    type: dict
    default: {}
  mirrors:
    description: platform_mirrors (C(image_repository)).
    type: dict
    default: {}
  init_host:
    description: The node that runs kubeadm init; empty when the cluster exists.
    type: str
  join:
    description: C(token), C(ca_cert_hashes), C(certificate_key) and optionally C(token_ttl).
    type: dict
    default: {}
  overrides:
    description: Kind to a partial document deep-merged into the rendered one.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Write the kubeadm config
  ansible.builtin.copy:
    content: |
      {% for doc in __kubeadm_docs %}
      ---
      {{ doc | to_nice_yaml(indent=2) }}
      {% endfor %}
    dest: /etc/kubernetes/kubeadm-config.yaml
    mode: "0600"
  vars:
    __kubeadm_docs: >-
      {{ inventory_hostname | aiplatform.cluster.kubeadm_documents(hostvars, platform_cluster, platform_network,
         platform_mirrors, __kubeadm_init_host, __kubeadm_join) }}
"""

RETURN = r"""
_value:
  description: The documents, in the order kubeadm expects them.
  type: list
  elements: dict
"""


import yaml

from ansible.parsing.yaml.dumper import AnsibleDumper

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.module_utils import kubeadm, kubeadm_schema

# What the kubeadm documents need of a node's host vars (the rest of hostvars stays out of them).
_HOST_KEYS = ("node_ip", "node_fqdn", "node_roles", "node_taints", "node_labels")


def host_view(hostvars_of_one):
    """The keys of one node's host vars that kubeadm_documents reads, as a plain dict."""
    return dict((k, hostvars_of_one[k]) for k in _HOST_KEYS if k in hostvars_of_one)


def documents_yaml(docs):
    """Documents as one multi-document YAML text, keys in the order they were built (stable, so a
    rerun writes the same bytes)."""
    return "".join("---\n" + yaml.dump(doc, Dumper=AnsibleDumper, default_flow_style=False, sort_keys=False,
                                        allow_unicode=True) for doc in docs)


def _wrap(function):
    return filter_errors("kubeadm", function)


class FilterModule(object):
    def filters(self):
        return {
            "kubeadm_documents": _wrap(kubeadm.kubeadm_documents),
            "kubeadm_api_version": _wrap(kubeadm.kubeadm_api_version),
            "kubeadm_validate": _wrap(kubeadm_schema.validate_documents),
            "kubeadm_init_node": _wrap(kubeadm.init_node),
            "kubeadm_join_plan": _wrap(kubeadm.join_plan),
            "kubeadm_usable_token": _wrap(kubeadm.usable_token),
            "kubeadm_upgrade_path": _wrap(kubeadm.upgrade_path),
            "kubeadm_batches": _wrap(kubeadm.batches),
            "kubeadm_nodes": _wrap(kubeadm.parse_node_list),
            "kubeadm_label_changes": _wrap(kubeadm.label_changes),
            "kubeadm_taint_changes": _wrap(kubeadm.taint_changes),
            "kubeadm_host_view": host_view,
            "kubeadm_yaml": documents_yaml,
        }
