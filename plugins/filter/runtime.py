# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the runtime roles: thin wrappers over module_utils/containerd.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: containerd_runtime
short_description: The containerd conf.d file that registers an OCI runtime
version_added: 0.1.0
description:
  - Registers a runtime (C(nvidia), C(ascend)) with containerd's CRI plugin in the config format of the installed
    containerd, optionally as the default runtime. The same file provides C(containerd_config_version), which reads
    C(containerd --version) (2 for 1.x, 3 for 2.x), and C(containerd_override_path_ok) (1.6 and later honour
    C(override_path) in hosts.toml), and C(toml_string), which writes any text as a TOML basic string, quotes
    included (registry credentials holding C("), C(\\) or C($) in containerd's config.toml), and C(docker_logins),
    which turns C([{host, username, password}]) into docker's C(config.json) (C(auths), base64 of user:password).
options:
  _input:
    description: The runtime's name.
    type: str
    required: true
  binary:
    description: Path of the runtime binary.
    type: str
    required: true
  version:
    description: containerd config version (2 or 3).
    type: int
    default: 2
  default:
    description: Make it the default runtime.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Register the nvidia runtime
  ansible.builtin.copy:
    content: "{{ 'nvidia' | aiplatform.cluster.containerd_runtime('/usr/bin/nvidia-container-runtime', 2, true) }}"
    dest: /etc/containerd/conf.d/nvidia.toml
    mode: "0644"
"""

RETURN = r"""
_value:
  description: TOML text.
  type: str
"""

from ansible_collections.aiplatform.cluster.plugins.module_utils import containerd


class FilterModule(object):
    def filters(self):
        return {
            "containerd_runtime": containerd.runtime_dropin,
            "containerd_config_version": containerd.config_version,
            "containerd_override_path_ok": containerd.override_path_ok,
            "toml_string": containerd.toml_string,
            "docker_logins": containerd.docker_logins,
        }
