# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the pod network: thin wrappers over plugin_utils/cni.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.aiplatform.cluster.plugins.plugin_utils.filter_errors import filter_errors
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import cni


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
