# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""From this node, resolve and reach other nodes and check that mirrors answer (on the node).

The network probe of the modules ``node_connectivity`` and ``node_probe``: names and SSH ports on a bounded
pool of daemon threads, the cluster ports as non-blocking connects (``BATCH`` sockets at a time), everything
within one overall deadline. What did not answer by then is reported in words, never a hang.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import selectors
import socket
import threading
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url

# The argument spec of a peer (the modules' option ``peers``; their DOCUMENTATION describes it).
PEER_OPTIONS = dict(
    host=dict(type="str", default=""),
    name=dict(type="str", default=""),
    address=dict(type="str", default=""),
    port=dict(type="int", default=22),
    ports=dict(type="list", elements="dict", default=[], options=dict(
        port=dict(type="int", required=True),
        purpose=dict(type="str", default=""),
    )),
)

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


def limits_problem(timeout, port_timeout, deadline):
    """Why the time limits cannot be used (a sentence), or ``""``."""
    if deadline <= 0 or timeout <= 0 or port_timeout <= 0:
        return "timeout, port_timeout and deadline must be positive seconds"
    return ""
