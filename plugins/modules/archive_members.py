#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: archive_members
short_description: Check, before extracting, that a tar archive holds only the paths it should
version_added: 0.1.0
description:
  - Read-only. Lists the members of a tar archive (any compression C(tarfile) reads) without extracting anything
    and checks each one for extraction over C(/) - a plain relative name (no absolute name, no C(..), C(.) or empty
    component), inside I(roots) and not inside I(exclude), a regular file, a directory or a link whose target stays
    inside I(roots), and not under a member that is a link. Devices, FIFOs and other types are refused.
  - Fails, naming every refused member and the fix, when one is refused; restore.yml runs it on the control machine
    before anything is copied to a node.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  path:
    description: The archive.
    type: path
    required: true
  roots:
    description: The trees the archive may hold, relative to C(/) (C(etc/kubernetes)).
    type: list
    elements: str
    required: true
  exclude:
    description: Subtrees of I(roots) it may not hold.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
"""

EXAMPLES = r"""
- name: Check the members of kubernetes.tar.gz
  aiplatform.cluster.archive_members:
    path: /backups/lab-20250101T000000Z/kubernetes.tar.gz
    roots: [etc/kubernetes]
    exclude: [etc/kubernetes/tmp]
  delegate_to: localhost
"""

RETURN = r"""
members:
  description: How many members the archive holds.
  returned: always
  type: int
problems:
  description: Why members are refused (empty when the archive may be extracted).
  returned: always
  type: list
  elements: str
"""

import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils.archive_members import member_problems, member_type


def read_members(path):
    with tarfile.open(path, "r:*") as archive:
        return [{"name": info.name, "type": member_type(info), "linkname": info.linkname}
                for info in archive.getmembers()]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            roots=dict(type="list", elements="str", required=True),
            exclude=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        members = read_members(path)
    except (IOError, OSError, tarfile.TarError, EOFError) as exc:
        module.fail_json(msg="%s cannot be read as a tar archive (%s). Nothing was extracted. Fix: use a backup "
                             "written by playbooks/backup.yml." % (path, exc), members=0, problems=[])
    problems = member_problems(members, module.params["roots"], module.params["exclude"], archive=path)
    if problems:
        module.fail_json(msg="%s: %d member(s) refused: %s" % (path, len(problems), " ".join(problems)),
                         members=len(members), problems=problems)
    module.exit_json(changed=False, members=len(members), problems=[])


if __name__ == "__main__":
    main()
