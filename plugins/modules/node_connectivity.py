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

import errno
import os
import selectors
import socket
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url

# Sockets open at once while probing ports (well below the usual 1024 open files).
BATCH = 256

LISTENING = "listening"
OPEN = "open"
FILTERED = "filtered"
REJECTED = "rejected"
BLOCKED_HERE = "blocked here"
ERROR = "error"
NOT_PROBED = "not probed"
_REJECTED = frozenset((errno.EHOSTUNREACH, errno.ENETUNREACH, getattr(errno, "EHOSTDOWN", -1),
                       getattr(errno, "ENETDOWN", -2), errno.EPROTO if hasattr(errno, "EPROTO") else -3))
_HERE = frozenset((errno.EPERM, errno.EACCES))


def classify(code, timeout):
    """``(state, words)`` of a TCP connection attempt: ``code`` is the socket error (0: accepted) or None for no
    answer within ``timeout`` seconds. Pure."""
    if code == 0:
        return LISTENING, ""
    if code is None:
        return FILTERED, "no answer within %g s: a firewall drops it" % timeout
    if code == errno.ECONNREFUSED:
        return OPEN, ""
    if code in _REJECTED:
        return REJECTED, "%s (ICMP unreachable: a firewall rejects it, or there is no route)" % _strerror(code)
    if code in _HERE:
        return BLOCKED_HERE, "%s: this node's own firewall refuses the outgoing connection" % _strerror(code)
    return ERROR, _strerror(code)


def _strerror(code):
    try:
        return "%s (%s)" % (errno.errorcode.get(code, code), os.strerror(code))
    except (ValueError, OverflowError):
        return str(code)


def probe_ports(targets, timeout, deadline_at, clock=time.monotonic):
    """Connect to every ``(address, port)`` of ``targets`` at once (``BATCH`` sockets at a time) and classify
    each: ``{(address, port): (state, words)}``. Nothing waits past ``deadline_at`` (a ``clock`` reading)."""
    out = {}
    pending = list(dict.fromkeys(targets))
    while pending:
        left = deadline_at - clock()
        if left <= 0:
            break
        batch, pending = pending[:BATCH], pending[BATCH:]
        wait = min(timeout, left)
        selector = selectors.DefaultSelector()
        try:
            for target in batch:
                _start(selector, target, out)
            end = clock() + wait
            while selector.get_map():
                left = end - clock()
                if left <= 0:
                    break
                for key, _events in selector.select(left):
                    sock = key.fileobj
                    out[key.data] = classify(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), timeout)
                    selector.unregister(sock)
                    sock.close()
            for key in list(selector.get_map().values()):
                out[key.data] = classify(None, wait) if wait >= timeout else (
                    NOT_PROBED, "no answer within %.1f s, when the module's overall time limit ran out" % wait)
                selector.unregister(key.fileobj)
                key.fileobj.close()
        finally:
            selector.close()
    for target in pending:
        out[target] = (NOT_PROBED, "not tried: the module's overall time limit ran out first")
    return out


def _start(selector, target, out):
    address, port = target
    try:
        family, kind, proto, _name, sockaddr = socket.getaddrinfo(address, port, 0, socket.SOCK_STREAM, 0,
                                                                  socket.AI_NUMERICHOST)[0]
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        out[target] = (ERROR, "'%s' is not an IP address (%s)" % (address, exc))
        return
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    code = sock.connect_ex(sockaddr)
    if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
        selector.register(sock, selectors.EVENT_WRITE, target)
        return
    out[target] = classify(code, 0)
    sock.close()


def bounded_map(func, items, workers, deadline_at, late, clock=time.monotonic):
    """``[func(item)]`` on daemon threads; an item not done by ``deadline_at`` gets ``late(item)``.

    Daemon threads: a call stuck in the C library (a resolver that never answers) cannot keep the module alive.
    """
    items = list(items)
    results = [None] * len(items)
    done = [False] * len(items)
    lock = threading.Lock()
    queue = list(range(len(items)))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            value = func(items[index])
            with lock:
                results[index] = value
                done[index] = True

    threads = [threading.Thread(target=worker) for _ in range(max(1, min(workers, len(items))))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline_at - clock()))
    with lock:
        return [results[i] if done[i] else late(items[i]) for i in range(len(items))]


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


def peer_late(peer, deadline):
    name = peer.get("name") or peer.get("address") or ""
    return {"target": name, "ok": False, "resolved": "", "resolve_error": "",
            "error": "%s did not answer within the module's %g s limit (name resolution or SSH port hanging)"
                     % (name, deadline)}


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


def run(peers, urls, timeout, port_timeout, deadline, workers, clock=time.monotonic):
    """All probes, bounded by ``deadline`` seconds: ``(peers, urls)`` as RETURN describes them."""
    deadline_at = clock() + deadline
    jobs = [("peer", p) for p in peers] + [("url", u) for u in urls]
    results = bounded_map(
        lambda job: probe_peer(job[1], timeout) if job[0] == "peer" else probe_url(job[1], timeout),
        jobs, workers, deadline_at,
        lambda job: peer_late(job[1], deadline) if job[0] == "peer" else {
            "target": job[1], "ok": False, "status": 0,
            "error": "no answer within the module's %g s limit" % deadline},
        clock)
    peer_out, url_out = results[:len(peers)], results[len(peers):]
    targets = []
    for peer, out in zip(peers, peer_out):
        address = peer.get("address") or out.get("resolved")
        if address:
            targets += [(address, int(p["port"])) for p in peer.get("ports") or []]
    states = probe_ports(targets, port_timeout, deadline_at, clock)
    for peer, out in zip(peers, peer_out):
        address = peer.get("address") or out.get("resolved")
        out["ports"] = []
        for item in peer.get("ports") or []:
            state, words = states.get((address, int(item["port"])), (
                NOT_PROBED, "not tried: %s has no address" % out["target"])) if address else (
                NOT_PROBED, "not tried: %s has no address" % out["target"])
            out["ports"].append({"port": int(item["port"]), "purpose": item.get("purpose") or "", "state": state,
                                 "ok": state in (LISTENING, OPEN), "error": words})
    return peer_out, url_out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            peers=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", default=""),
                address=dict(type="str", default=""),
                port=dict(type="int", default=22),
                ports=dict(type="list", elements="dict", default=[], options=dict(
                    port=dict(type="int", required=True),
                    purpose=dict(type="str", default=""),
                )),
            )),
            urls=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=5),
            port_timeout=dict(type="float", default=3),
            deadline=dict(type="float", default=30),
            workers=dict(type="int", default=32),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["deadline"] <= 0 or params["timeout"] <= 0 or params["port_timeout"] <= 0:
        module.fail_json(msg="timeout, port_timeout and deadline must be positive seconds")
    peers, urls = run(params["peers"], params["urls"], params["timeout"], params["port_timeout"],
                      params["deadline"], params["workers"])
    module.exit_json(changed=False, peers=peers, urls=urls)


if __name__ == "__main__":
    main()
