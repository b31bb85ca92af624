#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_connectivity
short_description: From this node, resolve and reach other nodes and check that mirrors answer
version_added: 0.1.0
description:
  - Read-only network probe used by the preflight. For every peer it resolves the name the way the node's resolver
    does (/etc/hosts, then DNS) and opens a TCP connection to the given port. For every URL it sends one HTTP(S)
    request and accepts any HTTP answer below 500 (a mirror that answers 401 or 404 on its root is reachable).
  - For every port of a peer's I(ports) it opens a TCP connection and tells an open path from a blocked one, before
    anything listens there. Accepted, or refused with a reset (nothing listens yet), means the path is open. No
    answer within I(port_timeout) is C(filtered) (a firewall drops it). An ICMP unreachable or prohibited is
    C(rejected). The node's own firewall refusing the packet is C(blocked here). All ports of all peers are tried at once (non-blocking
    sockets, a few hundred at a time), so the time does not grow with the number of nodes.
  - Targets are checked in parallel. Everything the module waits for (name resolution, connections, HTTP
    requests) ends within I(deadline) seconds; what did not answer by then is reported in words, never a hang.
  - Never changes anything; check mode runs the same probes.
author:
  - aiplatform.cluster contributors (@aiplatform)
options:
  peers:
    description: Nodes to resolve and reach.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: Inventory name of the peer (not used here; filter C(aiplatform.cluster.preflight_peers) sets it).
        type: str
        default: ""
      name:
        description: Host name to resolve (for example C(<host>.<domain>)). Empty to skip resolution.
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
  urls:
    description: URLs (apt mirror, registry C(/v2/), package repositories) that must answer.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds per connection attempt.
    type: float
    default: 5
  port_timeout:
    description: Seconds a cluster port may stay silent before it counts as C(filtered).
    type: float
    default: 3
  deadline:
    description: Seconds the whole module may take; what has not answered by then is reported as such.
    type: float
    default: 30
  workers:
    description: Probes run at the same time.
    type: int
    default: 32
extends_documentation_fragment:
  - aiplatform.cluster.attributes
  - aiplatform.cluster.attributes.info_module
"""

EXAMPLES = r"""
- name: Reach every other node and the mirrors
  aiplatform.cluster.node_connectivity:
    peers:
      - name: gpu-01.ai.example
        address: 10.20.0.21
        port: 22
        ports: [{port: 10250, purpose: kubelet}]
    urls:
      - http://mirror.example/ubuntu/dists/
  register: __connectivity
"""

RETURN = r"""
peers:
  description: One entry per peer.
  returned: always
  type: list
  elements: dict
  contains:
    target: {description: The peer's name (or address)., type: str}
    ok: {description: The TCP port answered., type: bool}
    resolved: {description: What the name resolved to (empty if it did not)., type: str}
    resolve_error: {description: Why the name did not resolve to the configured address (empty if it did)., type: str}
    error: {description: Why the port did not answer (empty if it did)., type: str}
    ports:
      description: One entry per port of I(ports).
      type: list
      elements: dict
      contains:
        port: {description: The port., type: int}
        purpose: {description: As given., type: str}
        state: {description: "C(listening), C(open) (refused: nothing listens yet), C(filtered), C(rejected),
          C(blocked here), C(error) or C(not probed).", type: str}
        ok: {description: The path is open (C(listening) or C(open))., type: bool}
        error: {description: "What blocks it, in words (empty when open).", type: str}
  sample: [{"target": "gpu-01.ai.example", "ok": true, "resolved": "10.20.0.21", "resolve_error": "", "error": "",
            "ports": [{"port": 10250, "purpose": "kubelet", "state": "filtered", "ok": false,
                       "error": "no answer within 3 s: a firewall drops it"}]}]
urls:
  description: One entry per URL; C(status) is the HTTP status, 0 when nothing answered.
  returned: always
  type: list
  elements: dict
  contains:
    target: {description: The URL., type: str}
    ok: {description: An HTTP answer below 500 came back., type: bool}
    status: {description: HTTP status (0 when nothing answered)., type: int}
    error: {description: Why it failed (empty if it did not)., type: str}
  sample: [{"target": "http://mirror.example/", "ok": true, "status": 200, "error": ""}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aiplatform.cluster.plugins.module_utils.connectivity import PEER_OPTIONS, limits_problem, run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="dict", default=[], options=PEER_OPTIONS),
            urls=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=5),
            port_timeout=dict(type="float", default=3),
            deadline=dict(type="float", default=30),
            workers=dict(type="int", default=32),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = limits_problem(params["timeout"], params["port_timeout"], params["deadline"])
    if problem:
        module.fail_json(msg=problem)
    peers, urls = run(params["peers"], params["urls"], params["timeout"], params["port_timeout"],
                      params["deadline"], params["workers"])
    module.exit_json(changed=False, peers=peers, urls=urls)


if __name__ == "__main__":
    main()
