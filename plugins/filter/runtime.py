# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the runtime roles: thin wrappers over plugin_utils/containerd.py.

Each filter is documented in <filter name>.yml beside this file (ansible-doc -t filter reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.aiplatform.cluster.plugins.plugin_utils import containerd


class FilterModule(object):
    def filters(self):
        return {
            "containerd_runtime": containerd.runtime_dropin,
            "containerd_config_version": containerd.config_version,
            "containerd_override_path_ok": containerd.override_path_ok,
            "toml_string": containerd.toml_string,
            "docker_logins": containerd.docker_logins,
        }
