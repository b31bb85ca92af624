# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: safe_path
short_description: Is a path safe for the collection to create, chown, mount over or delete?
version_added: 0.2.0
description:
  - True when the path is absolute and in normal form (no C(..) or C(.) component, no C(//), no trailing C(/)), at
    least O(min_depth) components deep, not a system directory such as C(/), C(/etc), C(/usr), C(/var/lib), C(/home)
    or a parent of one, and not inside a system tree such as C(/etc/...), C(/proc/...), C(/var/lib/kubelet/...).
  - The lists and the rules are those of the config pipeline (plugins/module_utils/safe_paths.py); docs/config.md
    ("Paths the collection may change") prints them. Roles and playbooks assert it at their top on every role
    variable naming such a path, so that an override in group_vars or with C(-e) is checked as the config is.
  - The filter P(aiplatform.cluster.path_problem#filter) says what is wrong and how to fix it, for the assert's message.
options:
  _input:
    description: The path.
    type: str
    required: true
  min_depth:
    description: The least number of components (2 for what is chowned or deleted; 1 for a mount point).
    type: int
    default: 2
"""

EXAMPLES = r"""
- name: Check the registry's data directory before anything is created
  ansible.builtin.assert:
    that: registry_data_dir is aiplatform.cluster.safe_path
    fail_msg: "registry_data_dir {{ registry_data_dir | aiplatform.cluster.path_problem }}"

- name: A mount point may be one component deep (/mntdlws)
  ansible.builtin.assert:
    that: item is aiplatform.cluster.safe_path(min_depth=1)
  loop: "{{ nfs_shares | map(attribute='mount_point') }}"
"""

RETURN = r"""
_value:
  description: Whether the path is safe.
  type: bool
"""

from ansible_collections.aiplatform.cluster.plugins.module_utils.safe_paths import is_safe


def safe_path(path, min_depth=2):
    """Jinja test: ``path is aiplatform.cluster.safe_path`` (or ``safe_path(min_depth=1)``)."""
    return is_safe(path, int(min_depth))


class TestModule(object):
    def tests(self):
        return {"safe_path": safe_path}
