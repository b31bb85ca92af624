# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The attributes every module of the collection documents, in one place (as community.docker's
plugins/doc_fragments/attributes.py). A module extends ``aiplatform.cluster.attributes`` and states
only its own support::

    extends_documentation_fragment:
      - aiplatform.cluster.attributes
    attributes:
      check_mode:
        support: full
      diff_mode:
        support: none

A module that only reads adds ``aiplatform.cluster.attributes.info_module`` and states nothing;
a member of the ``accelerators`` action group (meta/runtime.yml) adds
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
