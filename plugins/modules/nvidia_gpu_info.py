#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nvidia_gpu_info
short_description: Read the NVIDIA driver version, CUDA version and GPUs of a node
version_added: 0.1.0
description:
  - Read-only. Sources, best first, C(nvidia-smi -q -x), C(/sys/module/nvidia/version),
    C(/proc/driver/nvidia/version).
  - Also counts NVIDIA GPUs on the PCI bus (vendor 0x10de, VGA or 3D controller class), so that GPUs present with
    a missing or broken driver, and fewer GPUs visible than installed, are reported as such.
  - Never fails on a node without GPUs or without a driver. It reports, and C(problems) says what is wrong in words
    (NVML driver/library mismatch, no devices found, driver not loaded, a GPU fallen off the bus, nvidia-smi
    missing, fewer GPUs visible than on the PCI bus and so on).
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  nvidia_smi:
    description: Path of nvidia-smi. Default is the one found in C(PATH) (and C(/usr/bin)).
    type: path
  sysfs_root:
    description: Root under which C(sys/) and C(proc/) are read (for tests).
    type: path
    default: /
  timeout:
    description:
      - Seconds C(nvidia-smi) may take. A run that does not answer in time is stopped, becomes a problem in words
        (a GPU fallen off the bus can block it in the kernel) and the other sources are still read.
      - Roles pass the inventory variable C(aiplatform_command_timeout).
    type: float
    default: 30
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
  - aiplatform.cluster.attributes.actiongroup_accelerators
"""

EXAMPLES = r"""
- name: Read the GPUs
  aiplatform.cluster.nvidia_gpu_info:
  register: gpu

- name: Require driver 470 or newer
  ansible.builtin.assert:
    that: gpu.nvidia.driver_version is aiplatform.cluster.driver_at_least('470', vendor='nvidia')
"""

RETURN = r"""
nvidia:
  description: What the node has.
  returned: always
  type: dict
  contains:
    driver_version:
      description: Driver version, or null when no driver answered.
      type: str
      sample: 580.159.04
    cuda_version:
      description: Highest CUDA version the driver supports (null on old drivers and when nvidia-smi did not answer).
      type: str
      sample: "13.0"
    source:
      description: Where the driver version came from.
      type: str
      sample: nvidia-smi
    gpus:
      description: GPUs nvidia-smi lists.
      type: list
      elements: dict
      sample: [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-...", "pci_bus_id": "00000000:00:06.0",
                "memory_total_mib": 81559}]
    gpu_count:
      description: Number of GPUs nvidia-smi lists (null when it did not answer or timed out).
      type: int
    pci_gpu_count:
      description: NVIDIA GPUs on the PCI bus.
      type: int
    present:
      description: Any sign of NVIDIA GPUs or driver.
      type: bool
    problems:
      description: What is wrong, in words.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils import timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.accelerator_info import read_nvidia


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi=dict(type="path"),
            sysfs_root=dict(type="path", default="/"),
            timeout=dict(type="float", default=timed_command.DEFAULT_TIMEOUT),
        ),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, nvidia=read_nvidia(module.get_bin_path, module.params["nvidia_smi"],
                                                       module.params["sysfs_root"], module.params["timeout"]))


if __name__ == "__main__":
    main()
