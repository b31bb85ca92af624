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
  - Targets are checked in parallel, so the time does not grow with the number of nodes.
  - Never changes anything; check mode runs the same probes.
author:
  - aiplatform.cluster contributors
options:
  peers:
    description: Nodes to resolve and reach.
    type: list
    elements: dict
    default: []
    suboptions:
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
  urls:
    description: URLs (apt mirror, registry C(/v2/), package repositories) that must answer.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds per connection attempt.
    type: float
    default: 5
  workers:
    description: Probes run at the same time.
    type: int
    default: 32
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Reach every other node and the mirrors
  aiplatform.cluster.node_connectivity:
    peers:
      - {name: gpu-01.ai.example, address: 10.20.0.21, port: 22}
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
  sample: [{"target": "gpu-01.ai.example", "ok": true, "resolved": "10.20.0.21", "resolve_error": "", "error": ""}]
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

import socket
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url


def probe_peer(peer, timeout):
    """Resolve ``name`` and connect to ``address`` (or what ``name`` resolves to)."""
    name = peer.get("name") or ""
    address = peer.get("address") or ""
    out = {"target": name or address, "ok": False, "resolved": "", "resolve_error": "", "error": ""}
    if name:
        try:
            out["resolved"] = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)[0][4][0]
        except (socket.gaierror, UnicodeError) as exc:
            out["resolve_error"] = "%s does not resolve (%s)" % (name, exc.args[-1])
        else:
            if address and out["resolved"] != address:
                out["resolve_error"] = "%s resolves to %s, the config says %s" % (name, out["resolved"], address)
    address = address or out["resolved"]
    if not address:
        out["error"] = out["resolve_error"] or "no address"
        return out
    try:
        sock = socket.create_connection((address, peer.get("port", 22)), timeout=timeout)
        sock.close()
    except (socket.error, OSError) as exc:
        out["error"] = "%s port %s unreachable (%s)" % (address, peer.get("port", 22),
                                                        getattr(exc, "strerror", None) or exc)
        return out
    out["ok"] = True
    return out


def probe_url(url, timeout):
    out = {"target": url, "ok": False, "status": 0, "error": ""}
    try:
        response = open_url(url, method="GET", timeout=timeout, validate_certs=True, follow_redirects="safe")
        out["status"] = response.getcode()
        out["ok"] = True
    except HTTPError as exc:  # the server answered: it is reachable
        out["status"] = exc.code
        out["ok"] = exc.code < 500
        if not out["ok"]:
            out["error"] = "HTTP %d" % exc.code
    except Exception as exc:  # pylint: disable=broad-except - every failure becomes a finding
        out["error"] = str(getattr(exc, "reason", None) or exc)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", default=""),
                address=dict(type="str", default=""),
                port=dict(type="int", default=22),
            )),
            urls=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=5),
            workers=dict(type="int", default=32),
        ),
        supports_check_mode=True,
    )
    timeout = module.params["timeout"]
    with ThreadPoolExecutor(max_workers=max(1, module.params["workers"])) as pool:
        peers = list(pool.map(lambda p: probe_peer(p, timeout), module.params["peers"]))
        urls = list(pool.map(lambda u: probe_url(u, timeout), module.params["urls"]))
    module.exit_json(changed=False, peers=peers, urls=urls)


if __name__ == "__main__":
    main()
