# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the pod network: thin wrappers over module_utils/cni.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: cni_flannel_objects
short_description: The Kubernetes objects of Flannel for a pod subnet
version_added: 0.1.0
description:
  - Namespace, ServiceAccount, RBAC, ConfigMap (net-conf.json from the pod subnet, dual-stack when it names an
    IPv4 and an IPv6 network) and DaemonSet, in apply order. Images are pinned in module_utils/cni.py.
  - The same file provides C(cni_calico_installation) (the Tigera operator's Installation resource),
    C(cni_images) (the images a pod network pulls that we know of) and C(cni_daemonset) ([namespace, name] of the
    DaemonSet that shows the network is installed).
options:
  _input:
    description: The pod subnet (platform_network.pod_network).
    type: str
    required: true
  backend:
    description: Flannel backend (vxlan, host-gw, wireguard).
    type: str
    default: vxlan
  iface:
    description: Interface(s) flanneld uses between nodes; empty for the default route's.
    type: list
    elements: str
  images:
    description: Overrides of the images (keys flannel, cni_plugin).
    type: dict
"""

EXAMPLES = r"""
- name: Flannel's manifest
  ansible.builtin.copy:
    content: "{{ platform_network.pod_network | aiplatform.cluster.cni_flannel_objects | aiplatform.cluster.kubeadm_yaml }}"
    dest: /etc/aiplatform/manifests/cni/flannel.yaml
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The objects, in apply order.
  type: list
  elements: dict
"""



from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.module_utils import cni


def _wrap(function):
    return filter_errors("pod network", function)


class FilterModule(object):
    def filters(self):
        return {
            "cni_flannel_objects": _wrap(cni.flannel_objects),
            "cni_calico_installation": _wrap(cni.calico_installation),
            "cni_images": _wrap(cni.cni_images),
            "cni_daemonset": _wrap(lambda name: list(cni.daemonset_of(name))),
        }
