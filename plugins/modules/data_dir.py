#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: data_dir
short_description: A data directory of the collection, marked when this run created it
version_added: 0.2.0
description:
  - Makes sure a data directory (registry data, an NFS export, a backup or bundle directory) exists with its owner,
    group and mode, like M(ansible.builtin.file) with C(state=directory).
  - Refuses, before anything changes, a path that is not safe to create or chown (plugins/module_utils/safe_paths.py,
    the rules of the config pipeline), and a path whose existing links lead to such a directory.
  - When the directory did not exist and this task created it, writes the marker file C(.aiplatform-created) in it
    (what created it, on which host, when). A directory that existed before never gets one. C(reset.yml) removes
    only data directories that carry the marker.
options:
  path:
    description: The directory.
    type: path
    required: true
  owner:
    description: Owner of the directory (and of the marker).
    type: str
  group:
    description: Group of the directory (and of the marker).
    type: str
  mode:
    description: Mode of the directory, e.g. C("0750").
    type: raw
  creator:
    description: What creates the directory, written into the marker, e.g. C(registry stage).
    type: str
    required: true
  min_depth:
    description: The least number of components of O(path).
    type: int
    default: 2
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.check_mode_and_diff
author:
  - aiplatform.cluster contributors (@aiplatform)
"""

EXAMPLES = r"""
- name: The registry's data
  aiplatform.cluster.data_dir:
    path: "{{ registry_data_dir }}"
    owner: docker-registry
    group: docker-registry
    mode: "0750"
    creator: registry stage
"""

RETURN = r"""
created:
  description: Whether this task created the directory (and wrote the marker).
  returned: always
  type: bool
marker:
  description: The marker's path, or an empty string when the directory existed before.
  returned: always
  type: str
"""

import os
import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils.safe_paths import MARKER, path_error


def marker_text(creator, host, when):
    """The marker's content: what created the directory, where and when (``when``: a UTC ``time.struct_time``)."""
    return ("This directory was created by aiplatform.cluster (%s) on %s at %s.\n"
            "playbooks/reset.yml removes it only with -e reset_*_data=yes, and only because this file is here.\n"
            % (creator, host, time.strftime("%Y-%m-%dT%H:%M:%SZ", when)))


def problem(path, min_depth):
    """Why ``path`` must not be created or chowned, looking at where its links lead on this node; "" if fine."""
    message = path_error(path, min_depth)
    if message:
        return message
    real = os.path.realpath(path)
    if real != path:
        message = path_error(real, min_depth)
        if message:
            return "%s leads (through a link) to %s" % (path, message)
    if os.path.lexists(path) and not os.path.isdir(path):
        return "%s exists and is not a directory" % path
    return ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            owner=dict(type="str"),
            group=dict(type="str"),
            mode=dict(type="raw"),
            creator=dict(type="str", required=True),
            min_depth=dict(type="int", default=2),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    refused = problem(path, module.params["min_depth"])
    if refused:
        module.fail_json(msg="%s. Nothing was changed." % refused, created=False, marker="")
    existed = os.path.isdir(path)
    file_args = module.load_file_common_arguments(module.params)
    diff = {"before": {"path": path, "state": "directory" if existed else "absent"},
            "after": {"path": path, "state": "directory"}}
    if not existed:
        if module.check_mode:
            module.exit_json(changed=True, created=True, marker=os.path.join(path, MARKER), diff=diff)
        try:
            os.makedirs(path)
        except OSError as exc:
            module.fail_json(msg="cannot create %s: %s" % (path, exc), created=False, marker="")
    changed = module.set_fs_attributes_if_different(file_args, not existed, diff=diff if existed else None)
    marker = ""
    if not existed:
        marker = os.path.join(path, MARKER)
        text = marker_text(module.params["creator"], socket.gethostname(), time.gmtime())
        with open(marker, "w") as handle:
            handle.write(text)
        marker_args = dict(file_args, path=marker, mode="0644")
        module.set_fs_attributes_if_different(marker_args, True)
    module.exit_json(changed=changed, created=not existed, marker=marker, diff=diff if changed else None)


if __name__ == "__main__":
    main()
