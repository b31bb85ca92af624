"""module_utils/connectivity.py (modules node_connectivity and node_probe): the port classifier over real socket
outcomes on loopback, and the time limits.

What loopback can produce for real: accepted (a listener), refused (RST: nothing listens), and no answer
(a listener whose accept queue is full drops the SYN, as a DROP rule does). ICMP unreachable/prohibited and
the node's own firewall need iptables: the classifier is tested on their errno here, and molecule `preflight`
produces them for real with iptables rules inside a container (docs/preflight.md)."""
import errno
import socket
import time

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import connectivity as nc


@pytest.fixture
def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound then closed: nothing listens there now
    return port


@pytest.fixture
def silent_port():
    """A port whose SYNs are dropped: a listener with backlog 0 and its accept queue already full."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        fillers.append(client)
    time.sleep(0.2)
    yield port
    for client in fillers:
        client.close()
    server.close()


def test_a_listener_is_listening(listener):
    states = nc.probe_ports([("127.0.0.1", listener)], 2, time.monotonic() + 10)
    assert states == {("127.0.0.1", listener): ("listening", "")}


def test_a_refused_port_is_an_open_path(free_port):
    states = nc.probe_ports([("127.0.0.1", free_port)], 2, time.monotonic() + 10)
    assert states == {("127.0.0.1", free_port): ("open", "")}


def test_a_silent_port_is_filtered_within_the_port_timeout(silent_port):
    start = time.monotonic()
    states = nc.probe_ports([("127.0.0.1", silent_port)], 0.5, time.monotonic() + 10)
    assert states[("127.0.0.1", silent_port)] == ("filtered", "no answer within 0.5 s: a firewall drops it")
    assert time.monotonic() - start < 2


def test_many_ports_are_probed_at_once(silent_port, listener, free_port):
    targets = [("127.0.0.1", silent_port)] * 3 + [("127.0.0.1", listener), ("127.0.0.1", free_port)]
    start = time.monotonic()
    states = nc.probe_ports(targets, 0.5, time.monotonic() + 10)
    assert time.monotonic() - start < 1.5  # one wait, not one per port
    assert [states[t][0] for t in targets] == ["filtered"] * 3 + ["listening", "open"]


def test_the_overall_limit_cuts_the_wait_short(silent_port):
    start = time.monotonic()
    states = nc.probe_ports([("127.0.0.1", silent_port)], 5, time.monotonic() + 0.3)
    assert time.monotonic() - start < 1.5
    state, words = states[("127.0.0.1", silent_port)]
    assert state == "not probed" and "overall time limit ran out" in words


def test_nothing_is_tried_after_the_limit(listener):
    states = nc.probe_ports([("127.0.0.1", listener)], 2, time.monotonic() - 1)
    assert states[("127.0.0.1", listener)] == ("not probed", "not tried: the module's overall time limit ran out "
                                                              "first")


def test_a_name_instead_of_an_address_is_an_error_in_words(listener):
    state, words = nc.probe_ports([("no-such-host.invalid", 22)], 1, time.monotonic() + 5)[
        ("no-such-host.invalid", 22)]
    assert state == "error" and "'no-such-host.invalid' is not an IP address" in words


@pytest.mark.parametrize("code, state, words", [
    (0, "listening", ""),
    (None, "filtered", "no answer within 3 s: a firewall drops it"),
    (errno.ECONNREFUSED, "open", ""),
    (errno.EHOSTUNREACH, "rejected", "EHOSTUNREACH (No route to host) (ICMP unreachable: a firewall rejects it"),
    (errno.ENETUNREACH, "rejected", "ENETUNREACH"),
    (errno.EPERM, "blocked here", "EPERM (Operation not permitted): this node's own firewall refuses"),
    (errno.EACCES, "blocked here", "this node's own firewall"),
    (errno.EMFILE, "error", "EMFILE"),
])
def test_classify(code, state, words):
    got = nc.classify(code, 3)
    assert got[0] == state and words in got[1]


def test_a_hanging_probe_becomes_words_within_the_limit():
    start = time.monotonic()
    out = nc.bounded_map(lambda x: time.sleep(x) or "done", [0, 30], 4, time.monotonic() + 0.5,
                         lambda x: "late %s" % x)
    assert out == ["done", "late 30"]
    assert time.monotonic() - start < 2


def test_run_reports_node_peer_port_and_purpose(listener, silent_port, free_port):
    peers = [{"name": "", "address": "127.0.0.1", "port": listener,
              "ports": [{"port": listener, "purpose": "kubelet"}, {"port": silent_port, "purpose": "etcd client"},
                        {"port": free_port, "purpose": "kube-apiserver"}]}]
    peer_out, url_out = nc.run(peers, [], 2, 0.5, 10, 4)
    assert url_out == []
    assert peer_out[0]["ok"] is True
    assert [(p["port"], p["purpose"], p["state"], p["ok"]) for p in peer_out[0]["ports"]] == [
        (listener, "kubelet", "listening", True), (silent_port, "etcd client", "filtered", False),
        (free_port, "kube-apiserver", "open", True)]
