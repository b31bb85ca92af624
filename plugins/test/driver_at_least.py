# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: driver_at_least
short_description: Is an accelerator driver version at least a minimum?
version_added: 0.1.0
description:
  - Compares driver versions the way each vendor numbers them. NVIDIA versions are dot-separated integers compared
    zero-padded. Huawei Ascend versions of every generation are understood (C(1.72.T2.100.B020), C(20.2.0),
    C(23.0.rc3), C(24.1.RC2), C(25.0.rc1.1)); alpha < beta < rc < release at a position; see
    plugins/plugin_utils/driver_version.py for the whole order.
  - A version that cannot be understood (for example Huawei's inner version C(V100R001C15SPC012B220)) is an error
    naming it and the vendor, never a silent false.
options:
  _input:
    description: The installed version.
    type: str
    required: true
  minimum:
    description: The minimum version.
    type: str
    required: true
  vendor:
    description: Whose numbering to use.
    type: str
    choices: [nvidia, huawei]
    default: nvidia
"""

EXAMPLES = r"""
- name: Require NVIDIA 470 or newer
  ansible.builtin.assert:
    that: nvidia.driver_version is aiplatform.cluster.driver_at_least('470', vendor='nvidia')

- name: Require an Ascend 23.0.0 driver or newer
  ansible.builtin.assert:
    that: ascend.driver_version is aiplatform.cluster.driver_at_least('23.0.0', vendor='huawei')
"""

RETURN = r"""
_value:
  description: Whether the installed version is the minimum or newer.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.driver_version import (
    DriverVersionError,
    driver_at_least as _driver_at_least,
)


def driver_at_least(installed, minimum, vendor="nvidia"):
    """Jinja test: ``installed is aiplatform.cluster.driver_at_least(minimum, vendor='nvidia')``."""
    try:
        return _driver_at_least(installed, minimum, vendor)
    except DriverVersionError as exc:
        raise AnsibleFilterError("driver_at_least: %s" % exc, orig_exc=exc)


class TestModule(object):
    def tests(self):
        return {"driver_at_least": driver_at_least}
