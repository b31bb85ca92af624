# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the cluster verification: thin wrappers over module_utils/verify.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: verify_cluster
short_description: Judge what kubectl says about the installed cluster against the inventory
version_added: 0.1.0
description:
  - Returns rows C({check, target, expected, actual, status, fix}) with status pass, warn or fail, in the order
    nodes (present and Ready, labels, accelerators advertised by the device plugins, per inventory host), nodes
    unknown to the inventory, pods (C(kube-system) and the platform namespaces), storage (a StorageClass and a
    Bound PersistentVolumeClaim, when storage is expected), then the C(extra) rows.
  - The same file provides C(verify_report) (rows to the report, fails first), C(verify_markdown),
    C(verify_html) and C(verify_text) (a fixed-column table for the console).
  - Output that is not JSON, or not a kubectl List, fails the task with a message naming the command; it never
    ends in a traceback.
options:
  _input:
    description:
      - What the inventory expects. C(nodes) maps each inventory host to its variables C(node_labels),
        C(node_roles), C(node_accelerator) and C(node_ip); C(namespaces) lists the platform namespaces whose
        pods must be healthy (C(kube-system) always is); C(storage) is true when a StorageClass and a Bound
        claim are required; C(kubernetes_version), when given, makes kubelets of another version warn.
    type: dict
    required: true
  nodes_json:
    description: Output of C(kubectl get nodes -o json), as text or parsed.
    type: raw
    required: true
  pods_json:
    description: Output of C(kubectl get pods -A -o json), as text or parsed.
    type: raw
    required: true
  pvc_json:
    description: Output of C(kubectl get pvc -A -o json); when storage is expected and this is not given, the
      claim check warns.
    type: raw
  sc_json:
    description: Output of C(kubectl get storageclass -o json).
    type: raw
  extra:
    description:
      - Rows the playbook measured itself (NodePort reachable, registry reachable per node, storage usage), with
        the keys C(check), C(target), C(status) (pass, warn or fail) and optionally C(expected), C(actual),
        C(fix). Any other key or status fails the task.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Judge the cluster
  ansible.builtin.set_fact:
    __verify_rows: >-
      {{ __verify_expected | aiplatform.cluster.verify_cluster(
           __verify_nodes.stdout, __verify_pods.stdout, __verify_pvc.stdout, __verify_sc.stdout,
           extra=__verify_measured) }}

- name: Build the report
  ansible.builtin.set_fact:
    __verify_report: "{{ __verify_rows | aiplatform.cluster.verify_report(platform_cluster.name) }}"

- name: Show it
  ansible.builtin.debug:
    msg: "{{ (__verify_report | aiplatform.cluster.verify_text).splitlines() }}"
"""

RETURN = r"""
_value:
  description: Rows C({check, target, expected, actual, status, fix}).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.module_utils import verify


def _wrap(function, what):
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("%s: %s" % (what, exc))
    call.__name__ = function.__name__
    call.__doc__ = function.__doc__
    return call


def _report(rows, cluster_name="cluster", generated=None):
    """``rows | verify_report(cluster_name)``: the rows come first, as the filter's input."""
    return verify.build_verify_report(cluster_name, rows, generated)


class FilterModule(object):
    def filters(self):
        return {
            "verify_cluster": _wrap(verify.verify_cluster, "verify_cluster"),
            "verify_report": _wrap(_report, "verify_report"),
            "verify_markdown": _wrap(verify.render_markdown, "verify_markdown"),
            "verify_html": _wrap(verify.render_html, "verify_html"),
            "verify_text": _wrap(verify.render_text, "verify_text"),
        }
