# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The attributes every module of the collection documents, in one place (as community.docker's
plugins/doc_fragments/attributes.py). A module extends ``aiplatform.cluster.attributes`` and one fragment
below that says how it behaves in check and diff mode; its own ``attributes:`` holds only what is its own
(``action``, a ``platform`` with details). tests/unit/collection/test_plugin_docs.py holds every module to this.

- ``aiplatform.cluster.attributes.info_module``: only reads (check mode full, diff mode N/A).
- ``aiplatform.cluster.attributes.check_mode_only``: changes the node; check mode says what it would
  change, no diff.
- ``aiplatform.cluster.attributes.check_mode_and_diff``: changes the node; check mode and a diff.
- ``aiplatform.cluster.attributes.no_check_mode``: changes the node and has no check mode (skipped in it).

A member of the ``accelerators`` action group (meta/runtime.yml) adds
``aiplatform.cluster.attributes.actiongroup_accelerators``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Every module: what each attribute means, and the platform (the nodes are Linux, apt-based).
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target, if not
      supported the action will be skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff
      mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

    # Together with the standard fragment: a module that only reads.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    # Together with the standard fragment: a module that changes the node, says what it would change in check mode
    # and shows no diff.
    CHECK_MODE_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

    # Together with the standard fragment: a module that changes the node, with check mode and a diff.
    CHECK_MODE_AND_DIFF = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

    # Together with the standard fragment: a module that changes the node and cannot predict it (skipped in check
    # mode).
    NO_CHECK_MODE = r"""
options: {}
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
"""

    # Together with the standard fragment: a member of the accelerators action group.
    ACTIONGROUP_ACCELERATORS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/aiplatform.cluster.accelerators) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - aiplatform.cluster.accelerators
"""
