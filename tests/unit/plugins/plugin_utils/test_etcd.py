"""Day-2 guard of remove_node.yml: when it may remove an etcd member (quorum; plugin_utils/etcd.py and its
filters) as tables, then remove_node.yml with stand-ins for kubectl and crictl. The other guard, what restore.yml
may extract: tests/unit/plugins/module_utils/test_archive_members.py."""
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import etcd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


# --- etcd quorum ---------------------------------------------------------------------------------------------

def members(*specs):
    """specs: (name, ip, learner) -> member list JSON as etcdctl prints it."""
    out = []
    for number, (name, ip, learner) in enumerate(specs):
        entry = {"ID": 0x8e9e05c52164694d + number, "name": name, "peerURLs": ["https://%s:2380" % ip],
                 "clientURLs": ["https://%s:2379" % ip] if name else []}
        if learner:
            entry["isLearner"] = True
        out.append(entry)
    return json.dumps({"header": {"cluster_id": 1, "member_id": 2, "raft_term": 3}, "members": out})


def health(*ups):
    """ups: (ip, healthy) -> endpoint health JSON."""
    return json.dumps([{"endpoint": "https://%s:2379" % ip, "health": up, "took": "1ms",
                        **({} if up else {"error": "context deadline exceeded"})} for ip, up in ups])


CP = [("cp-01", "10.0.0.1", False), ("cp-02", "10.0.0.2", False), ("cp-03", "10.0.0.3", False),
      ("cp-04", "10.0.0.4", False), ("cp-05", "10.0.0.5", False)]


@pytest.mark.parametrize("size,down,remove,allowed,words", [
    (3, [], "cp-02", True, "etcd will have 2 members"),              # healthy 3 -> 2: allowed, even-count warning
    (3, ["cp-02"], "cp-02", True, None),                             # the dead member itself goes
    (3, ["cp-03"], "cp-02", False, "would break etcd's quorum: 2 members would remain, 1 of them healthy, "
                                   "and they need 2 (unhealthy: cp-03)"),
    (3, ["cp-02", "cp-03"], "cp-02", False, "etcd has no quorum now: 1 of its 3 voting members are healthy"),
    (2, [], "cp-02", True, None),                                    # 2 -> 1
    (2, ["cp-02"], "cp-02", False, "etcd has no quorum now"),        # 1 of 2 healthy: no quorum already
    (1, [], "cp-01", False, "runs the last etcd member"),
    (5, ["cp-04", "cp-05"], "cp-02", False, "would break etcd's quorum: 4 members would remain, 2 of them healthy, "
                                            "and they need 3"),
    (5, ["cp-04", "cp-05"], "cp-05", True, "etcd will have 4 members"),
    (5, ["cp-05"], "cp-02", True, None),                             # 4 left, 3 healthy >= 3
    (4, ["cp-04"], "cp-02", True, None),                             # 3 left, 2 healthy >= 2
    (4, ["cp-03", "cp-04"], "cp-02", False, "etcd has no quorum now: 2 of its 4"),
])
def test_quorum_table(size, down, remove, allowed, words):
    specs = CP[:size]
    verdict = etcd.member_removal(members(*specs), health(*[(ip, name not in down) for name, ip, _l in specs]),
                                  remove, dict((n, ip) for n, ip, _l in specs)[remove])
    assert (verdict["problems"] == []) is allowed, verdict
    text = " ".join(verdict["problems"] + verdict["warnings"])
    if words:
        assert words in text
    if not allowed:
        assert text.startswith(("removing %s" % remove, "etcd has no quorum", "%s runs the last" % remove))
        assert "Fix:" in text or "reset.yml" in text
    else:
        assert verdict["member_ids"] == ["%x" % (0x8e9e05c52164694d + [s[0] for s in specs].index(remove))]


@pytest.mark.parametrize("voters,needed", [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)])
def test_quorum(voters, needed):
    assert etcd.quorum(voters) == needed


def test_learners_do_not_vote():
    specs = CP[:3] + [("cp-04", "10.0.0.4", True)]
    ups = [("10.0.0.1", True), ("10.0.0.2", True), ("10.0.0.3", False), ("10.0.0.4", True)]
    verdict = etcd.member_removal(members(*specs), health(*ups), "cp-04", "10.0.0.4")
    assert verdict["problems"] == [] and verdict["voters"] == 3 and verdict["remaining"] == 3
    verdict = etcd.member_removal(members(*specs), health(*ups), "cp-02", "10.0.0.2")
    assert "would break etcd's quorum" in verdict["problems"][0]


def test_member_found_by_peer_address_and_unstarted_members_count_as_unhealthy():
    specs = CP[:2] + [("", "10.0.0.3", False)]  # added, never started: no name, no client URL
    ups = [("10.0.0.1", True), ("10.0.0.2", True)]
    verdict = etcd.member_removal(members(*specs), health(*ups), "cp-03", "10.0.0.3")
    assert verdict["problems"] == [] and len(verdict["member_ids"]) == 1
    assert verdict["members"][0].endswith("(not started)")
    verdict = etcd.member_removal(members(*specs), health(*ups), "cp-02", "10.0.0.2")
    assert "would break etcd's quorum" in verdict["problems"][0]


def test_no_member_of_the_node_is_a_warning_not_a_refusal():
    verdict = etcd.member_removal(members(*CP[:3]), health(*[(ip, True) for _n, ip, _l in CP[:3]]), "gpu-07",
                                  "10.0.0.70")
    assert verdict["problems"] == [] and verdict["member_ids"] == []
    assert "no etcd member is named gpu-07" in verdict["warnings"][0]


@pytest.mark.parametrize("members_text,health_text,words", [
    ("", "[]", "the etcd members of the cluster cannot be read: etcdctl member list did not print JSON (no output)"),
    ("Error: context deadline exceeded", "[]", "(Error: context deadline exceeded)"),
    ('{"header": {}}', "[]", "printed no 'members' list"),
    ('{"members": [{"name": "x"}]}', "[]", "a member without ID"),
    (members(*CP[:3]), "Error: unhealthy cluster", "the health of etcd cannot be read"),
    (members(*CP[:3]), '{"endpoint": "x"}', "printed no list of endpoints"),
])
def test_unreadable_etcd_is_a_refusal(members_text, health_text, words):
    verdict = etcd.member_removal(members_text, health_text, "cp-02", "10.0.0.2")
    assert len(verdict["problems"]) == 1 and words in verdict["problems"][0]
    assert "Fix: check etcd on the first control-plane node" in verdict["problems"][0]


def test_ids_printed_as_hex_text_are_kept():
    data = json.loads(members(*CP[:3]))
    for entry in data["members"]:
        entry["ID"] = "%X" % entry["ID"]
    verdict = etcd.member_removal(data, json.loads(health(*[(ip, True) for _n, ip, _l in CP[:3]])), "cp-03",
                                  "10.0.0.3")
    assert verdict["member_ids"] == ["%x" % (0x8e9e05c52164694d + 2)]


# --- remove_node.yml with stand-ins for kubectl and crictl (etcd does not run here) --------------------------

NODES_JSON = json.dumps({"items": [
    {"metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": ""}},
     "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.30.5"}}}
    for name in ("cp-01", "cp-02", "cp-03")] + [
    {"metadata": {"name": "gpu-01", "labels": {}},
     "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.30.5"}}}]})


def remove_node_run(tmp_path, down, node="cp-02"):
    """remove_node.yml -e node=cp-02, for real, with cp-01 this machine (connection local) and stand-ins on PATH:
    kubectl answers `get nodes` and logs the rest; crictl runs one etcd container whose etcdctl prints the member
    list and the health of three members (those in ``down`` unhealthy) and logs `member remove`. cp-02 is not in
    k8s_cluster, so nothing is reset here."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    (tmp_path / "nodes.json").write_text(NODES_JSON)
    specs = CP[:3]
    (tmp_path / "members.json").write_text(members(*specs))
    (tmp_path / "health.json").write_text(health(*[(ip, name not in down) for name, ip, _l in specs]))
    for name, body in {
        "kubectl": 'echo "kubectl $*" >> %(log)s\ncase "$*" in *"get nodes"*) cat %(d)s/nodes.json ;; '
                   '*"delete node"*) echo "node deleted" ;; esac' % {"log": log, "d": tmp_path},
        "crictl": 'echo "crictl $*" >> %(log)s\ncase "$*" in ps*) echo 0123abcd ;; '
                  '*"member list"*) cat %(d)s/members.json ;; '
                  '*"endpoint health"*) cat %(d)s/health.json; exit 1 ;; esac' % {"log": log, "d": tmp_path},
    }.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(  # written by hand: it names itself as the platform config (playbooks/guard.yml)
        "[all:vars]\nplatform_config_file=" + str(inventory) + "\n"
        "[kube_control_plane]\ncp-01 ansible_connection=local ansible_python_interpreter=%s node_ip=10.0.0.1\n"
        "cp-02 node_ip=10.0.0.2\ncp-03 node_ip=10.0.0.3\n[kube_node]\ngpu-01 node_ip=10.0.0.21\n"
        "[k8s_cluster]\ncp-01\n" % sys.executable)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false",
               ANSIBLE_NOCOLOR="true", ANSIBLE_INVENTORY_ENABLED="ini", PATH="%s:%s" % (bin_dir, os.environ["PATH"]))
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                          os.path.join(ROOT, "playbooks", "remove_node.yml"), "-e", "node=%s" % node], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    calls = log.read_text() if log.exists() else ""
    return run.returncode, " ".join((run.stdout + run.stderr).split()), calls


def test_remove_node_refuses_to_break_quorum_before_anything_changes(tmp_path):
    rc, out, calls = remove_node_run(tmp_path, down=["cp-03"])
    assert rc != 0
    assert ("cp-02 cannot be removed: removing cp-02 would break etcd's quorum: 2 members would remain, 1 of them "
            "healthy, and they need 2 (unhealthy: cp-03). Fix: bring cp-03 back first") in out, out[-3000:]
    assert "Nothing was changed." in out
    assert "drain" not in calls and "member remove" not in calls and "delete node" not in calls


def test_remove_node_refuses_when_etcd_has_no_quorum(tmp_path):
    rc, out, calls = remove_node_run(tmp_path, down=["cp-02", "cp-03"])
    assert rc != 0 and "etcd has no quorum now: 1 of its 3 voting members are healthy (cp-01)" in out, out[-3000:]
    assert "drain" not in calls and "member remove" not in calls


def test_remove_node_removes_a_dead_members_node_keeping_quorum(tmp_path):
    rc, out, calls = remove_node_run(tmp_path, down=["cp-02"])
    assert rc == 0, out[-3000:]
    ident = "%x" % (0x8e9e05c52164694d + 1)
    assert "member remove %s" % ident in calls
    order = [line.split()[1:3] for line in calls.splitlines()]
    assert calls.index("drain cp-02") < calls.index("member remove") < calls.index("delete node cp-02"), order
    # health read twice: before anything changed, and right before the member went
    assert calls.count("endpoint health --cluster") == 2
    assert "etcd will have 2 members" in out


def test_remove_node_of_a_worker_reads_no_etcd(tmp_path):
    """A worker runs no etcd member: even with etcd short of quorum its removal goes on (the API answers)."""
    rc, out, calls = remove_node_run(tmp_path, down=["cp-02", "cp-03"], node="gpu-01")
    assert rc == 0, out[-3000:]
    assert "drain gpu-01" in calls and "delete node gpu-01" in calls
    assert "endpoint health" not in calls and "member" not in calls
