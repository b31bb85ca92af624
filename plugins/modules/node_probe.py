#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_probe
short_description: Read everything the preflight checks of a node, in one call
version_added: 0.1.0
description:
  - Read-only probe of the preflight (role C(aiplatform.cluster.preflight)), one module call per node instead of a
    task per check. It returns the I(probe) the preflight judge reads on the control machine
    (C(plugins/plugin_utils/preflight.py)).
  - "What it reads: the distribution, release and OS family (Ansible's own distribution facts), the CPU
    architecture and host name, total memory and swap (C(/proc/meminfo)), the free space on C(/) (C(df -Pk)),
    the listening TCP ports (C(ss -Htln)), the time synchronisation (C(timedatectl), else C(chronyc tracking)),
    the installed Kubernetes packages (C(dpkg-query)); on a GPU node the NVIDIA driver and GPUs (as
    M(aiplatform.cluster.nvidia_gpu_info)), the SecureBoot state and the NVIDIA container runtime; on an NPU node
    the Ascend driver and NPUs (as M(aiplatform.cluster.ascend_npu_info)) and the Ascend Docker Runtime."
  - With I(peers) and I(urls), the network probe of M(aiplatform.cluster.node_connectivity) runs at the same
    time as the local reads, from this node to every other node and mirror, within I(deadline).
  - Every command runs under I(timeout); a tool that does not answer becomes a problem in words, never a hang.
    Never changes anything; check mode runs the same probes.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  accelerator:
    description: The node's accelerator vendor (C(nvidia), C(huawei); anything else reads no accelerator).
    type: str
    default: none
  timeout:
    description:
      - Seconds each command (C(nvidia-smi), C(npu-smi), C(df), C(ss), C(timedatectl), C(chronyc), C(mokutil),
        C(dpkg-query)) may take before it is stopped and reported as not answering.
      - The role passes C(preflight_command_timeout).
    type: float
    default: 30
  kubernetes_packages:
    description: Packages whose installed versions C(dpkg-query) reads (the judge checks them against the version).
    type: list
    elements: str
    default: [kubeadm, kubelet, kubectl, cri-tools]
  nvidia_runtime:
    description: The NVIDIA container runtime binary; on a GPU node it counts as installed when executable.
    type: path
    default: /usr/bin/nvidia-container-runtime
  ascend_runtime:
    description: The Ascend Docker Runtime binary; on an NPU node it counts as installed when it exists.
    type: path
    default: /usr/local/Ascend/Ascend-Docker-Runtime/ascend-docker-runtime
  peers:
    description:
      - Nodes to resolve and reach (as M(aiplatform.cluster.node_connectivity)'s I(peers)), usually every node of
        the inventory, computed once on the control machine. The entry whose I(host) is I(this_host) is skipped.
      - Not given, the nodes are not checked and the probe's C(peers) is null (the report says "not checked").
    type: list
    elements: dict
    suboptions:
      host:
        description: Inventory name of the peer (to skip this node's own entry).
        type: str
        default: ""
      name:
        description: Host name to resolve. Empty to skip resolution.
        type: str
        default: ""
      address:
        description: Address to connect to. Default is what I(name) resolves to.
        type: str
        default: ""
      port:
        description: TCP port to connect to (the SSH port of the node).
        type: int
        default: 22
      ports:
        description: TCP ports the peer must be reachable on (its cluster ports), each with what it is for.
        type: list
        elements: dict
        default: []
        suboptions:
          port:
            description: TCP port.
            type: int
            required: true
          purpose:
            description: What listens there once installed (for the report).
            type: str
            default: ""
  this_host:
    description: Inventory name of this node; its own entry of I(peers) is skipped.
    type: str
    default: ""
  urls:
    description:
      - URLs (mirrors, package repositories, registry C(/v2/)) that must answer an HTTP request from this node.
      - Not given, the mirrors are not checked and the probe's C(urls) is null.
    type: list
    elements: str
  connect_timeout:
    description: Seconds per connection attempt of the network probe.
    type: float
    default: 5
  port_timeout:
    description: Seconds a cluster port may stay silent before it counts as C(filtered).
    type: float
    default: 3
  deadline:
    description: Seconds the network probe may take; what has not answered by then is reported as such.
    type: float
    default: 30
  workers:
    description: Name and SSH probes run at the same time.
    type: int
    default: 32
notes:
  - The judge and the report are on the control machine (filter M(aiplatform.cluster.preflight_judge)); this
    module only reads.
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
"""

EXAMPLES = r"""
- name: Probe the node
  aiplatform.cluster.node_probe:
    accelerator: "{{ node_accelerator.vendor | default('none') }}"
    peers: "{{ __preflight_peers }}"
    this_host: "{{ inventory_hostname }}"
    urls: [http://mirror.example/debian]
  register: __preflight_node
"""

RETURN = r"""
probe:
  description: What the node has, in the keys the preflight judge reads.
  returned: always
  type: dict
  contains:
    distribution: {description: Ansible's C(distribution) fact., type: str, sample: Ubuntu}
    distribution_version: {description: Ansible's C(distribution_version) fact., type: str, sample: "22.04"}
    os_family: {description: Ansible's C(os_family) fact., type: str, sample: Debian}
    architecture: {description: CPU architecture (C(uname -m))., type: str, sample: x86_64}
    hostname: {description: Host name up to the first dot., type: str}
    memory_mb: {description: Total memory in MiB., type: int}
    swap_mb: {description: Total swap in MiB., type: int}
    disk_free_gb: {description: Free GiB on C(/); null when C(df) did not answer in time., type: float}
    secure_boot: {description: "C(enabled), C(disabled) or C(unknown) (C(unknown) on nodes without GPUs).",
                  type: str}
    time_sync:
      description: "C(synchronized) (true, false, null when no time service answered) and its C(source)."
      type: dict
    listening_ports: {description: TCP ports something listens on., type: list, elements: int}
    kubernetes_packages: {description: "C(dpkg-query) lines: package, version, status.", type: str}
    nvidia: {description: "As M(aiplatform.cluster.nvidia_gpu_info)'s C(nvidia) on a GPU node, else empty.",
             type: dict}
    huawei: {description: "As M(aiplatform.cluster.ascend_npu_info)'s C(ascend) on an NPU node, else empty.",
             type: dict}
    nvidia_runtime: {description: The NVIDIA container runtime is installed (GPU nodes)., type: bool}
    ascend_runtime: {description: The Ascend Docker Runtime is installed (NPU nodes)., type: bool}
    peers:
      description: "As M(aiplatform.cluster.node_connectivity)'s C(peers); null when I(peers) was not given."
      type: list
      elements: dict
    urls:
      description: "As M(aiplatform.cluster.node_connectivity)'s C(urls); null when I(urls) was not given."
      type: list
      elements: dict
"""

import threading

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible_collections.aiplatform.cluster.plugins.module_utils import connectivity, node_probe
from ansible_collections.aiplatform.cluster.plugins.module_utils.accelerator_info import read_ascend, read_nvidia


def _network(params, box):
    """The network probe (run on a thread beside the local reads): ``box["peers"]``, ``box["urls"]``, or
    ``box["error"]``."""
    peers = [p for p in params["peers"] or [] if not (params["this_host"] and p["host"] == params["this_host"])]
    try:
        box["peers"], box["urls"] = connectivity.run(peers, params["urls"] or [], params["connect_timeout"],
                                                     params["port_timeout"], params["deadline"], params["workers"])
    except Exception as exc:  # pylint: disable=broad-except - the module fails once, saying why
        box["error"] = "the network probe failed: %s" % exc


def main():
    module = AnsibleModule(
        argument_spec=dict(
            accelerator=dict(type="str", default="none"),
            timeout=dict(type="float", default=30),
            kubernetes_packages=dict(type="list", elements="str", default=list(node_probe.KUBERNETES_PACKAGES)),
            nvidia_runtime=dict(type="path", default="/usr/bin/nvidia-container-runtime"),
            ascend_runtime=dict(type="path", default="/usr/local/Ascend/Ascend-Docker-Runtime/ascend-docker-runtime"),
            peers=dict(type="list", elements="dict", options=connectivity.PEER_OPTIONS),
            this_host=dict(type="str", default=""),
            urls=dict(type="list", elements="str"),
            connect_timeout=dict(type="float", default=5),
            port_timeout=dict(type="float", default=3),
            deadline=dict(type="float", default=30),
            workers=dict(type="int", default=32),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = connectivity.limits_problem(params["connect_timeout"], params["port_timeout"], params["deadline"])
    if problem or params["timeout"] <= 0:
        module.fail_json(msg=problem or "timeout must be positive seconds")
    box = {"peers": [], "urls": []}
    network = None
    if params["peers"] is not None or params["urls"] is not None:
        network = threading.Thread(target=_network, args=(params, box), name="aiplatform-node-probe-network")
        network.daemon = True
        network.start()

    timeout = params["timeout"]
    vendor = params["accelerator"]
    distribution = DistributionFactCollector().collect(module=module)
    memory_mb, swap_mb = node_probe.read_memory()
    probe = {
        "distribution": distribution.get("distribution", ""),
        "distribution_version": distribution.get("distribution_version", ""),
        "os_family": distribution.get("os_family", ""),
        "memory_mb": memory_mb,
        "swap_mb": swap_mb,
        "disk_free_gb": node_probe.read_disk_free_gb("/", timeout),
        "secure_boot": "unknown",
        "time_sync": node_probe.read_time_sync(module.get_bin_path("timedatectl"), module.get_bin_path("chronyc"),
                                               timeout),
        "listening_ports": node_probe.read_listening_ports(timeout),
        "kubernetes_packages": node_probe.read_packages(params["kubernetes_packages"], timeout),
        "nvidia": {},
        "huawei": {},
    }
    probe.update(node_probe.read_system())
    if vendor == "nvidia":
        probe["nvidia"] = read_nvidia(module.get_bin_path, None, "/", timeout)
        probe["secure_boot"] = node_probe.read_secure_boot(module.get_bin_path("mokutil"), timeout)
    elif vendor == "huawei":
        probe["huawei"] = read_ascend(module.get_bin_path, None, "/", timeout)
    probe["nvidia_runtime"], probe["ascend_runtime"] = node_probe.runtimes(
        params["nvidia_runtime"] if vendor == "nvidia" else None,
        params["ascend_runtime"] if vendor == "huawei" else None)

    if network is not None:
        # connectivity.run ends within the deadline (plus one port timeout for the batch under way)
        network.join(params["deadline"] + params["port_timeout"] + 5)
        if network.is_alive():
            box["error"] = "the network probe did not end within its %g s deadline" % params["deadline"]
    if box.get("error"):
        module.fail_json(msg=box["error"], probe=probe)
    probe["peers"] = box["peers"] if params["peers"] is not None else None
    probe["urls"] = box["urls"] if params["urls"] is not None else None
    module.exit_json(changed=False, probe=probe)


if __name__ == "__main__":
    main()
