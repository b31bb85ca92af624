"""Lifecycle decisions: API version, who inits and joins, token freshness, upgrade path, batches."""
import datetime

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import kubeadm

NOW = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("version, api", [
    ("1.22.0", "kubeadm.k8s.io/v1beta3"), ("1.30.9", "kubeadm.k8s.io/v1beta3"), ("v1.31", "kubeadm.k8s.io/v1beta4"),
    ("1.31.4", "kubeadm.k8s.io/v1beta4"), ("1.33.1", "kubeadm.k8s.io/v1beta4"),
])
def test_api_version(version, api):
    assert kubeadm.api_version(version) == api


@pytest.mark.parametrize("version, text", [("1.21.14", "older than 1.22"), ("1.x", "not a Kubernetes version"),
                                           ("", "not a Kubernetes version")])
def test_api_version_errors(version, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.api_version(version)


CP = ["cp-01", "cp-02", "cp-03"]
WORKERS = ["gpu-01", "npu-01"]


@pytest.mark.parametrize("states, first", [
    ({h: {} for h in CP}, "cp-01"),                                          # new cluster
    ({"cp-02": {}, "cp-03": {}}, "cp-02"),                                   # cp-01 unreachable
    ({"cp-01": {}, "cp-02": {"admin_conf": True, "kubelet_conf": True}}, None),  # exists: never re-init
    ({}, None),                                                             # nothing reachable
])
def test_init_node(states, first):
    assert kubeadm.init_node(CP, states) == first


def test_join_plan_new_cluster():
    states = {h: {} for h in CP + WORKERS}
    assert kubeadm.join_plan(CP, WORKERS, states) == {
        "control_plane": ["cp-02", "cp-03"], "workers": ["gpu-01", "npu-01"], "members": []}


def test_join_plan_scale_out_leaves_members_alone():
    member = {"admin_conf": False, "kubelet_conf": True}
    states = {"cp-01": {"admin_conf": True, "kubelet_conf": True}, "cp-02": dict(member, admin_conf=True),
              "cp-03": {}, "gpu-01": member, "npu-01": {}}
    assert kubeadm.join_plan(CP, WORKERS, states) == {
        "control_plane": ["cp-03"], "workers": ["npu-01"], "members": ["cp-01", "cp-02", "gpu-01"]}


def test_join_plan_skips_unreachable_hosts():
    states = {"cp-01": {"admin_conf": True, "kubelet_conf": True}, "npu-01": {}}
    assert kubeadm.join_plan(CP, WORKERS, states) == {"control_plane": [], "workers": ["npu-01"],
                                                      "members": ["cp-01"]}


def token(name, expires, usages=("authentication", "signing"),
          groups=("system:bootstrappers:kubeadm:default-node-token",)):
    # the shape of one object of `kubeadm token list -o json`
    return {"kind": "BootstrapToken", "token": name, "expires": expires, "usages": list(usages),
            "groups": list(groups)}


@pytest.mark.parametrize("tokens, expected", [
    ([], None),
    ([token("abcdef.0123456789abcdef", "2026-11-22T12:05:00Z")], None),          # 5 min left: too short
    ([token("abcdef.0123456789abcdef", "2026-11-22T13:00:00Z")], "abcdef.0123456789abcdef"),
    ([token("aaaaaa.aaaaaaaaaaaaaaaa", "2026-11-22T12:30:00Z"),
      token("bbbbbb.bbbbbbbbbbbbbbbb", "2026-11-23T12:00:00Z")], "bbbbbb.bbbbbbbbbbbbbbbb"),  # the longest
    ([token("cccccc.cccccccccccccccc", "2026-11-21T12:00:00Z")], None),          # expired
    ([token("dddddd.dddddddddddddddd", "2026-11-23T12:00:00Z", usages=("signing",))], None),  # cannot authenticate
    ([token("eeeeee.eeeeeeeeeeeeeeee", "2026-11-23T12:00:00Z", groups=("system:other",))], None),
    ([token("ffffff.ffffffffffffffff", None)], "ffffff.ffffffffffffffff"),       # never expires
])
def test_usable_token(tokens, expected):
    assert kubeadm.usable_token(tokens, NOW) == expected


@pytest.mark.parametrize("current, target, path", [
    ("1.29.3", "1.31.4", ["1.30", "1.31.4"]),
    ("1.30.2", "1.30.9", ["1.30.9"]),
    ("1.30.2", "1.31.0", ["1.31.0"]),
    ("1.31.4", "1.31.4", []),
])
def test_upgrade_path(current, target, path):
    assert kubeadm.upgrade_path(current, target) == path


@pytest.mark.parametrize("current, target, text", [
    ("1.31.4", "1.30.9", "does not downgrade"),
    ("1.31.4", "2.0.0", "major version"),
])
def test_upgrade_path_errors(current, target, text):
    with pytest.raises(ValueError, match=text):
        kubeadm.upgrade_path(current, target)


@pytest.mark.parametrize("count, size, shape", [
    (10, 3, [3, 3, 3, 1]),
    (10, "20%", [2, 2, 2, 2, 2]),
    (3, "20%", [1, 1, 1]),          # at least one host per batch
    (4, "100%", [4]),
    (0, 5, []),
])
def test_batches(count, size, shape):
    hosts = ["n%02d" % i for i in range(count)]
    result = kubeadm.batches(hosts, size)
    assert [len(b) for b in result] == shape and sum(result, []) == hosts


@pytest.mark.parametrize("size", [0, "0%", "150%"])
def test_batches_errors(size):
    with pytest.raises(ValueError):
        kubeadm.batches(["a"], size)
