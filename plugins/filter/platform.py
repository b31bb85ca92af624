# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the platform role: thin wrappers over plugin_utils/platform_manifests.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import inspect


from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import platform_manifests as pm


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
