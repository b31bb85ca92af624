# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the kubeadm role: thin wrappers over plugin_utils/kubeadm.py and plugin_utils/kubeadm_schema.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import yaml

from ansible.parsing.yaml.dumper import AnsibleDumper

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm, kubeadm_schema

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
