#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ascend_npu_info
short_description: Read the Huawei Ascend driver, firmware and NPUs of a node
version_added: 0.1.0
description:
  - Read-only. Install path from C(/etc/ascend_install.info); driver and firmware versions from
    C(<path>/driver/version.info) and C(<path>/firmware/version.info) (every generation, from the one-line 2020 files
    to the key/value files); every NPU chip from C(npu-smi info) (model, health, bus id, memory and HBM; columns found
    from the table headers of each generation); NPU count from C(npu-smi info -l); Ascend chips on the PCI bus
    (vendor 0x19e5; d100 310, d801 910, d802 910B, d500 310P).
  - Never fails on a node without NPUs or driver. C(problems) says what is wrong in words (no install record,
    npu-smi missing, hung or unable to initialise DCMI, output it cannot read, chips on the PCI bus without a
    driver, fewer chips visible than on the bus, version.info disagreeing with the loaded driver, chips whose health
    is not OK).
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  install_info_path:
    description: The install record the driver package writes.
    type: path
    default: /etc/ascend_install.info
  npu_smi:
    description: Path of npu-smi. Default is the one in C(PATH) or C(/usr/local/bin).
    type: path
  sysfs_root:
    description: Root under which C(sys/bus/pci) is read (for tests).
    type: path
    default: /
  timeout:
    description:
      - Seconds each C(npu-smi) run may take. A run that does not answer in time is stopped and becomes a problem in
        words; the driver files and the PCI bus are still read and the report still comes out.
      - Roles pass the inventory variable C(aiplatform_command_timeout).
    type: float
    default: 30
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
  - aiplatform.cluster.attributes.actiongroup_accelerators
"""

EXAMPLES = r"""
- name: Read the NPUs
  aiplatform.cluster.ascend_npu_info:
  register: npu

- name: Require an Ascend driver of 23.0.0 or newer
  ansible.builtin.assert:
    that: npu.ascend.driver_version is aiplatform.cluster.driver_at_least('23.0.0', vendor='huawei')
"""

RETURN = r"""
ascend:
  description: What the node has.
  returned: always
  type: dict
  contains:
    install_path:
      description: Driver install path (null without an install record).
      type: str
      sample: /usr/local/Ascend
    driver_version:
      description: Driver version from version.info, else from npu-smi's header.
      type: str
      sample: 23.0.7
    driver_package_version:
      description: package_version of version.info, when present.
      type: str
    firmware_version:
      description: Firmware version.
      type: str
      sample: 7.1.0.11.220
    npu_smi_version:
      description: Version of the npu-smi tool.
      type: str
    npus:
      description: One entry per NPU chip from npu-smi info.
      type: list
      elements: dict
      sample: [{"npu_id": 0, "chip_id": 0, "name": "910B2C", "health": "OK", "bus_id": "0000:5A:00.0",
                "hbm_used_mb": 20701, "hbm_total_mb": 65536}]
    npu_count:
      description: Number of NPUs (npu-smi info -l, else distinct NPU ids).
      type: int
    chip_count:
      description: Number of chips npu-smi lists.
      type: int
    unhealthy:
      description: Chips whose health is not OK.
      type: list
      elements: dict
    pci_npu_count:
      description: Ascend chips on the PCI bus.
      type: int
    pci_models:
      description: Ascend chips on the PCI bus per model.
      type: dict
    present:
      description: Any sign of Ascend NPUs or driver.
      type: bool
    problems:
      description: What is wrong, in words.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils import timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.accelerator_info import read_ascend


def main():
    module = AnsibleModule(
        argument_spec=dict(
            install_info_path=dict(type="path", default="/etc/ascend_install.info"),
            npu_smi=dict(type="path"),
            sysfs_root=dict(type="path", default="/"),
            timeout=dict(type="float", default=timed_command.DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, ascend=read_ascend(module.get_bin_path, module.params["npu_smi"],
                                                       module.params["sysfs_root"], module.params["timeout"],
                                                       module.params["install_info_path"]))


if __name__ == "__main__":
    main()
