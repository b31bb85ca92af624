"""The parts of the kubespray comparison (bench/kubespray_bench.py) that need no kubespray: its settings and skip
path, the labs' configs, kubespray's inventory and command line, the dating of the package lists and the sysctl
wrapper (both run for real on a temporary tree), the verdict and the page text. Nothing here runs kubespray or a
container: the repository carries no kubespray checkout."""

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import kubespray_bench  # noqa: E402
import run as bench_run  # noqa: E402


def checkout(tmp_path):
    """A directory shaped like a kubespray checkout (cluster.yml, ansible.cfg) and an executable playbook."""
    top = tmp_path / "kubespray"
    top.mkdir()
    (top / "cluster.yml").write_text("---\n")
    (top / "ansible.cfg").write_text("[defaults]\n")
    playbook = tmp_path / "venv" / "bin" / "ansible-playbook"
    playbook.parent.mkdir(parents=True)
    playbook.write_text("#!/bin/sh\n")
    playbook.chmod(0o755)
    return str(top), str(playbook)


def test_no_checkout_skips_and_says_so():
    assert kubespray_bench.settings({}) is None
    assert kubespray_bench.settings({"AIPLATFORM_BENCH_KUBESPRAY": "  "}) is None
    name, met, figures = kubespray_bench.verdict([])
    assert met is None
    assert figures == "skipped: no kubespray checkout given (AIPLATFORM_BENCH_KUBESPRAY=/path/to/kubespray)"
    result = {"pairs": [], "checkout": None, "verdicts": [(name, met, figures)], "targets": {}}
    text = kubespray_bench.markdown(result)
    assert ("- node preparation first run at most 0.5 of kubespray's, 2 nodes: not measured (skipped: no kubespray "
            "checkout given (AIPLATFORM_BENCH_KUBESPRAY=/path/to/kubespray))") in text
    assert dict(kubespray_bench.headline(result)) == {
        "node preparation first run, ours / kubespray, 2 nodes": figures}
    # the summary of make bench counts no target for it
    summary = bench_run.summary("a machine", [("kubespray", kubespray_bench, result)])
    assert "| kubespray | node preparation first run, ours / kubespray, 2 nodes | skipped: no kubespray" in summary
    assert "targets met" not in summary


def test_run_without_a_checkout_measures_nothing(monkeypatch):
    monkeypatch.delenv("AIPLATFORM_BENCH_KUBESPRAY", raising=False)
    monkeypatch.setattr(kubespray_bench, "measure", lambda found: pytest.fail("measured without a checkout"))
    result = kubespray_bench.run()
    assert result["pairs"] == [] and result["targets"] == {} and result["verdicts"][0][1] is None


def test_settings_of_a_checkout(tmp_path):
    top, playbook = checkout(tmp_path)
    found = kubespray_bench.settings({"AIPLATFORM_BENCH_KUBESPRAY": top,
                                      "AIPLATFORM_BENCH_KUBESPRAY_PLAYBOOK": playbook})
    assert found == {"checkout": top, "playbook": playbook, "pairs": 1, "subnet": 228}
    found = kubespray_bench.settings({"AIPLATFORM_BENCH_KUBESPRAY": top + "/", "AIPLATFORM_BENCH_KUBESPRAY_PAIRS": "3",
                                      "AIPLATFORM_BENCH_KUBESPRAY_SUBNET": "200"})
    assert found["checkout"] == top and found["pairs"] == 3 and found["subnet"] == 200
    assert found["playbook"] == os.path.join(kubespray_bench.deploy_bench.BIN, "ansible-playbook")


def test_bad_settings_are_reported_together(tmp_path):
    top, _playbook = checkout(tmp_path)
    with pytest.raises(SystemExit) as caught:
        kubespray_bench.settings({"AIPLATFORM_BENCH_KUBESPRAY": str(tmp_path), "AIPLATFORM_BENCH_KUBESPRAY_PLAYBOOK":
                                  top + "/cluster.yml", "AIPLATFORM_BENCH_KUBESPRAY_PAIRS": "0",
                                  "AIPLATFORM_BENCH_KUBESPRAY_SUBNET": "x"})
    text = str(caught.value)
    assert "AIPLATFORM_BENCH_KUBESPRAY=%s: no cluster.yml there" % tmp_path in text
    assert "AIPLATFORM_BENCH_KUBESPRAY_PLAYBOOK=%s/cluster.yml: not an executable file" % top in text
    assert "AIPLATFORM_BENCH_KUBESPRAY_PAIRS='0': give a whole number from 1 to 9" in text
    assert "AIPLATFORM_BENCH_KUBESPRAY_SUBNET='x': give a whole number from 1 to 238" in text


def test_command(tmp_path):
    top, playbook = checkout(tmp_path)
    found = {"checkout": top, "playbook": playbook, "pairs": 1, "subnet": 228}
    argv, env, cwd = kubespray_bench.command(found, "/tmp/hosts.yml")
    assert argv[:7] == [playbook, "-i", "/tmp/hosts.yml", top + "/cluster.yml", "--become", "--tags",
                        "bootstrap_os,preinstall"]
    # one JSON extra-vars word: a key=value word would pass the string "false", which Ansible reads as true
    assert argv[7] == "-e" and len(argv) == 9
    assert json.loads(argv[8]) == {"ntp_enabled": True, "ntp_package": "chrony", "ping_access_ip": False,
                                   "resolvconf_mode": "none", "enable_nodelocaldns": False}
    assert env == {"ANSIBLE_CONFIG": top + "/ansible.cfg"} and cwd == top


def test_stale_lists_make_both_sides_refresh(tmp_path):
    """The lists dated as on an installed node: older than kubespray's day, stamp gone (the apt module then
    judges by the directory's time and refreshes)."""
    lists = tmp_path / "var" / "lib" / "apt" / "lists"
    stamp = tmp_path / "var" / "lib" / "apt" / "periodic" / "update-success-stamp"
    lists.mkdir(parents=True)
    stamp.parent.mkdir()
    stamp.write_text("")
    subprocess.run(["sh", "-c", kubespray_bench.stale_lists_script(str(tmp_path))], check=True)
    assert not stamp.exists()
    assert time.time() - lists.stat().st_mtime > 86400
    argv = kubespray_bench.stale_lists_commands(["abc"])[0]
    assert argv[:3] == ["docker", "exec", "abc"] and "/var/lib/apt/lists" in argv[-1]


def test_sysctl_wrapper_loads_nothing_and_reads_for_real(tmp_path):
    """The wrapper kubespray's nodes get: a load exits 0 without calling sysctl; anything else reaches it."""
    fake = tmp_path / "real-sysctl"
    fake.write_text("#!/bin/sh\necho \"real $*\"\n")
    fake.chmod(0o755)
    wrapper = tmp_path / "sysctl"
    wrapper.write_text(kubespray_bench.SYSCTL_WRAPPER.replace("/usr/sbin/sysctl", str(fake)))
    wrapper.chmod(0o755)
    for load in (["-p", "/etc/sysctl.d/99-sysctl.conf"], ["-e", "-p/etc/sysctl.conf"], ["--system"],
                 ["--load=/etc/x.conf"]):
        done = subprocess.run([str(wrapper)] + load, capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout == "", load
    done = subprocess.run([str(wrapper), "-n", "net.ipv4.ip_forward"], capture_output=True, text=True)
    assert done.stdout == "real -n net.ipv4.ip_forward\n"
    argv = kubespray_bench.wrapper_commands(["abc"])[0]
    assert argv[:4] == ["docker", "exec", "-i", "abc"] and "/usr/local/sbin/sysctl" in argv[-1]


def test_inventory_has_kubespray_groups_and_the_lab_connection():
    inventory = yaml.safe_load(kubespray_bench.inventory("benchks", 229, "/w/.lab/id_ed25519"))["all"]
    assert inventory["hosts"] == {
        "benchks-cp-01": {"ansible_host": "172.31.229.11", "ip": "172.31.229.11", "access_ip": "172.31.229.11"},
        "benchks-node-01": {"ansible_host": "172.31.229.12", "ip": "172.31.229.12", "access_ip": "172.31.229.12"}}
    assert inventory["vars"]["ansible_user"] == "ops" and inventory["vars"]["ansible_port"] == 2222
    assert inventory["vars"]["ansible_ssh_private_key_file"] == "/w/.lab/id_ed25519"
    children = inventory["children"]
    assert list(children["kube_control_plane"]["hosts"]) == ["benchks-cp-01"] == list(children["etcd"]["hosts"])
    assert list(children["kube_node"]["hosts"]) == ["benchks-cp-01", "benchks-node-01"]
    assert set(children["k8s_cluster"]["children"]) == {"kube_control_plane", "kube_node"}


@pytest.mark.parametrize("name,subnet", [("benchnp", 228), ("benchks", 229)])
def test_our_config_of_a_comparison_lab(name, subnet):
    result = parse(kubespray_bench.config(name, subnet), "config.yaml")
    assert [str(p) for p in result.problems if p.level != "warning"] == []
    hosts = result.model.hosts
    assert sorted(hosts) == ["%s-cp-01" % name, "%s-node-01" % name]
    assert set(h["node_os"] for h in hosts.values()) == {"debian12"}
    assert [h["node_ip"] for _n, h in sorted(hosts.items())] == ["172.31.%d.11" % subnet, "172.31.%d.12" % subnet]
    # the same shape as kubespray's inventory of it
    kubespray_hosts = yaml.safe_load(kubespray_bench.inventory(name, subnet, "k"))["all"]["hosts"]
    assert dict((n, h["ansible_host"]) for n, h in kubespray_hosts.items()) == dict(
        (n, h["node_ip"]) for n, h in hosts.items())


PAIR = {"ours_changed": {"a": 20, "b": 18}, "kubespray_changed": {"a": 30, "b": 31}, "ours_controller_cpu_s": 20.0,
        "ours_node_cpu_s": 60.0, "kubespray_controller_cpu_s": 33.0, "kubespray_node_cpu_s": None}


@pytest.mark.parametrize("pairs,met,figures", [
    ([dict(PAIR, ours_s=50.0, kubespray_s=100.0)], True, "50 s / 100 s = 0.50, median of 1 pair"),
    ([dict(PAIR, ours_s=50.5, kubespray_s=100.0)], False, "50 s / 100 s = 0.51, median of 1 pair"),
    ([dict(PAIR, ours_s=61.0, kubespray_s=88.0), dict(PAIR, ours_s=74.0, kubespray_s=120.0),
      dict(PAIR, ours_s=70.0, kubespray_s=100.0)], False, "70 s / 100 s = 0.70, median of 3 pairs"),
])
def test_verdict(pairs, met, figures):
    assert kubespray_bench.verdict(pairs) == (kubespray_bench.TARGET, met, figures)


def test_markdown_of_measured_pairs():
    pairs = [dict(PAIR, ours_s=61.0, kubespray_s=88.0)]
    result = {"pairs": pairs, "checkout": "/src/kubespray", "verdicts": [kubespray_bench.verdict(pairs)]}
    text = kubespray_bench.markdown(result)
    assert ("Kubespray from `/src/kubespray`: `cluster.yml --tags bootstrap_os,preinstall` with ntp_enabled=true, "
            "ntp_package=chrony, ping_access_ip=false, resolvconf_mode=none, enable_nodelocaldns=false; ours: `site.yml --tags node`.") in text
    assert "| 1 | 61 | 38 | 20 | 60 | 88 | 61 | 33 | not available | 0.69 |" in text
    assert "- node preparation first run at most 0.5 of kubespray's, 2 nodes: **MISSED** (61 s / 88 s = 0.69" in text
