# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the platform role: thin wrappers over module_utils/platform_manifests.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_manifests
short_description: The Kubernetes objects of the enabled platform services, per manifest directory
version_added: 0.1.0
description:
  - A map of directory name (C(namespaces) and each enabled service of the config's C(services)) to the list of
    objects to apply there, in apply order. Built by module_utils/platform_manifests.py.
  - The same file provides C(platform_images) (the images the enabled services run where their nodes exist;
    the offline bundle's list).
options:
  _input:
    description: The config's C(services) map (platform_services).
    type: dict
    required: true
  settings:
    description: >-
      Keyword arguments of C(manifests()): shares, server_addresses, version_table, ascend_families,
      container_runtime, nfs_capacity, nfs_claim_namespace, and those the module's builders accept.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Objects per directory
  ansible.builtin.set_fact:
    objects: "{{ platform_services | aiplatform.cluster.platform_manifests({'shares': nfs_shares}) }}"
"""

RETURN = r"""
_value:
  description: Directory name to the list of objects.
  type: dict
"""

import inspect


from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.module_utils import platform_manifests as pm


def _wrap(function):
    return filter_errors("platform", function, (ValueError, KeyError))


def manifests(services, settings=None):
    """pm.manifests with only the settings it accepts (a typo'd setting is an error, not ignored)."""
    settings = dict(settings or {})
    accepted = set(inspect.signature(pm.manifests).parameters) - {"services"}
    unknown = sorted(set(settings) - accepted)
    if unknown:
        raise ValueError("unknown setting(s) %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(accepted))))
    return pm.manifests(dict(services or {}), **settings)


def images(services, version_table=None, nodes_have_gpu=True, nodes_have_npu=False, npu_exporter_image=None):
    return pm.images_for(dict(services or {}), version_table, nodes_have_gpu=nodes_have_gpu,
                         nodes_have_npu=nodes_have_npu, npu_exporter_image=npu_exporter_image or None)


class FilterModule(object):
    def filters(self):
        return {
            "platform_manifests": _wrap(manifests),
            "platform_images": _wrap(images),
        }
