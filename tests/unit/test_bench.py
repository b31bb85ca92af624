"""The pure parts of `make bench`: the deploy benchmark's lab configs and target verdicts, and the
summary section of bench/run.py. Nothing here runs a playbook or times anything."""

import os
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.module_utils.platform_config import parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import deploy_bench  # noqa: E402
import gen_config  # noqa: E402
import run as bench_run  # noqa: E402


def row(nodes, first, rerun, rerun_changed=None, npu=None, npu_changed=None):
    """A measured row as deploy_bench.measure() returns it (the fields judge() reads)."""
    return {"nodes": nodes, "first_s": first, "rerun_s": rerun,
            "rerun_changed": rerun_changed if rerun_changed is not None else {"h1": 0},
            "npu_s": npu, "npu_changed": npu_changed if npu_changed is not None else ({"h2": 0} if npu else None)}


def verdicts(rows):
    return dict((name, met) for name, met, _figures in deploy_bench.judge(rows))


SCALE = "first run at 20 nodes under 2x the first run at 1 node"

# (case id, rows, {target: expected verdict}); targets not named are not checked
JUDGED = [
    ("all met", [row(1, 300, 90), row(20, 590, 190, npu=40)],
     {"rerun at most 1/3 of the first run, 1 node": True, "rerun at most 1/3 of the first run, 20 nodes": True,
      "rerun reports changed=0 on every host, 20 nodes": True, "`--tags npu` rerun reports changed=0, 20 nodes": True,
      SCALE: True}),
    ("rerun exactly a third is met", [row(5, 300, 100)], {"rerun at most 1/3 of the first run, 5 nodes": True}),
    ("rerun just over a third", [row(5, 300, 100.5)], {"rerun at most 1/3 of the first run, 5 nodes": False}),
    ("rerun changed on one host", [row(5, 300, 60, rerun_changed={"a": 0, "b": 2})],
     {"rerun reports changed=0 on every host, 5 nodes": False}),
    ("npu rerun changed", [row(5, 300, 60, npu=20, npu_changed={"npu": 1})],
     {"`--tags npu` rerun reports changed=0, 5 nodes": False}),
    ("scale exactly 2x is missed", [row(1, 100, 30), row(20, 200, 60)], {SCALE: False}),
    ("scale far over", [row(1, 100, 30), row(5, 150, 40), row(20, 900, 300)], {SCALE: False}),
    ("scale not measured without 20", [row(1, 100, 30), row(2, 120, 35)], {SCALE: None}),
    ("scale not measured without 1", [row(5, 100, 30), row(20, 150, 35)], {SCALE: None}),
]


@pytest.mark.parametrize("rows,expected", [c[1:] for c in JUDGED], ids=[c[0] for c in JUDGED])
def test_judge(rows, expected):
    got = verdicts(rows)
    for target, verdict in expected.items():
        assert got[target] is verdict, (target, got)


def test_judge_names_the_hosts_and_figures():
    judged = deploy_bench.judge([row(1, 100, 40, rerun_changed={"cp": 3, "gpu": 0}), row(20, 250, 70)])
    figures = dict((name, text) for name, _met, text in judged)
    assert figures["rerun reports changed=0 on every host, 1 node"] == "changed: cp=3"
    assert figures["rerun at most 1/3 of the first run, 1 node"] == "40 s / 100 s = 0.40"
    assert figures[SCALE] == "250 s / 100 s = 2.50x"


def test_no_npu_node_has_no_npu_target():
    names = [name for name, _met, _figures in deploy_bench.judge([row(1, 100, 30)])]
    assert not [name for name in names if "npu" in name]


# (nodes, GPU workers, NPU workers, CPU workers)
MIX = [(1, 0, 0, 0), (2, 1, 0, 0), (3, 1, 1, 0), (4, 1, 1, 1), (5, 2, 1, 1), (10, 3, 3, 3), (20, 7, 6, 6)]


@pytest.mark.parametrize("count,gpu,npu,cpu", MIX, ids=["%d nodes" % m[0] for m in MIX])
def test_generated_config_parses_with_the_expected_groups(count, gpu, npu, cpu):
    result = parse(deploy_bench.config(count, 231), "config.yaml")
    assert [str(p) for p in result.problems] == []  # no error, no warning either
    groups = result.model.groups
    cp = "bench%d-cp-01" % count
    assert groups["kube_control_plane"] == [cp]
    assert groups["registry"] == [cp] and groups["nfs_server"] == [cp] and groups["etcd"] == [cp]
    assert len(groups["kube_node"]) == count - 1
    assert (len(groups["nvidia_gpu"]), len(groups["ascend_npu"])) == (gpu, npu)
    assert deploy_bench.mix(count) == {"control": 1, "gpu": gpu, "npu": npu, "cpu": cpu}
    hosts = result.model.hosts
    assert len(hosts) == count
    assert all(h["node_ip"].startswith("172.31.231.") for h in hosts.values())
    assert set(h["node_os"] for h in hosts.values()) <= set(deploy_bench.OSES)  # an image of the lab for each
    assert all(hosts[h]["node_os"] == deploy_bench.NPU_OS for h in groups["ascend_npu"])
    assert all(len(hosts[h]["node_npu_nics"]) == 2 for h in groups["ascend_npu"])
    assert hosts[cp]["ansible_port"] == 2222 and hosts[cp]["ansible_user"] == "ops"


def test_generated_config_is_representative():
    config = yaml.safe_load(deploy_bench.config(10, 232))
    assert config["cluster"]["kubernetes_version"] == deploy_bench.KUBERNETES_VERSION
    assert config["registry"]["local"] == {"enabled": True, "port": 5000}
    assert config["storage"]["nfs"]["shares"][0]["server"] == "bench10-cp-01"
    nodes = config["nodes"]
    assert nodes[1]["accelerator"] == {"vendor": "nvidia", "model": "H100", "count": 8}
    assert nodes[2]["accelerator"] == {"vendor": "huawei", "model": "Ascend910B", "count": 8}
    assert nodes[2]["npu_nics"][1] == {"device": 1, "address": "192.168.20.13", "netmask": "255.255.255.0",
                                       "detect": "192.168.20.1", "gateway": "192.168.20.1"}
    assert "accelerator" not in nodes[3]
    # every OS of the lab appears on GPU and CPU workers alike
    for kind in ("gpu", "cpu"):
        assert set(n["os"] for n in nodes if "-%s-" % kind in n["hostname"]) == set(deploy_bench.OSES)
    assert config["requirements"]["min_disk_gb"] == {"control_plane": 10, "worker": 10}


def test_lab_vars_match_the_lab():
    generated = yaml.safe_load(deploy_bench.lab_vars("/work/main"))
    with open(os.path.join(ROOT, "inventories", "lab", "group_vars", "all", "lab.yml")) as handle:
        lab = yaml.safe_load(handle)
    assert set(generated) == set(lab)
    assert generated["ansible_ssh_private_key_file"] == "/work/main/.lab/id_ed25519"
    for key in ("ansible_ssh_common_args", "preflight_warn_only", "kubeadm_lifecycle"):
        assert generated[key] == lab[key]


SIZES = [("1,5,10,20", [1, 5, 10, 20]), ("20, 1,5", [1, 5, 20]), ("2,2", [2])]


@pytest.mark.parametrize("text,expected", SIZES)
def test_sizes(text, expected):
    assert deploy_bench.sizes(text) == expected


@pytest.mark.parametrize("text", ["", "0,5", "five", "1,300"])
def test_bad_sizes(text):
    with pytest.raises(SystemExit, match="AIPLATFORM_BENCH_SIZES"):
        deploy_bench.sizes(text)


def test_stage_times():
    marks = [("Preflight", 12.0), ("Common", 20.0), ("Verify - report", 50.0), ("Common", 55.0)]
    assert deploy_bench.stage_times(marks, 10.0, 60.0) == {"start-up": 2.0, "Preflight": 8.0, "Common": 35.0,
                                                           "Verify - report": 5.0}
    assert deploy_bench.stage_times([], 10.0, 11.0) == {"start-up": 1.0}


def result_of(rows):
    for r in rows:
        r.update({"mix": deploy_bench.mix(r["nodes"]), "first_changed": {"h": 5},
                  "first_stages": {"start-up": 1.0, "Node preparation": 50.0, "Kubernetes": 30.0},
                  "rerun_stages": {"start-up": 1.0, "Node preparation": 20.0, "Kubernetes": 10.0},
                  "load_average": [1.0, 2.0]})
    verdicts_ = deploy_bench.judge(rows)
    return {"rows": rows, "cores": 2, "verdicts": verdicts_,
            "targets": dict((n, m) for n, m, _f in verdicts_ if m is not None)}


def test_markdown_without_npu_node():
    text = deploy_bench.markdown(result_of([row(1, 100, 40), row(2, 120, 30)]))
    assert "| 1 | 0 / 0 / 0 | 100 | 5 | 40 | 0 | 0.40 | no NPU node |" in text
    assert "- rerun at most 1/3 of the first run, 1 node: **MISSED** (40 s / 100 s = 0.40)" in text
    assert "- %s: not measured (this run had 1, 2 nodes)" % SCALE in text
    assert "2 cores" in text
    headline = dict(deploy_bench.headline(result_of([row(1, 100, 40)])))
    assert headline["`--tags npu` rerun"] == "no NPU node in the labs of this run"


def test_markdown_with_npu_node():
    text = deploy_bench.markdown(result_of([row(1, 100, 30), row(3, 200, 50, npu=10)]))
    assert "| 3 | 1 / 1 / 0 | 200 | 5 | 50 | 0 | 0.25 | 10 | 0 | 0.20 |" in text
    assert "goes mostly to Node preparation 50 s, Kubernetes 30 s, start-up 1 s" in text


PAGE = """# Benchmarks

Intro.

<!-- bench:inventory:start -->
old inventory
<!-- bench:inventory:end -->

Prose about the inventory.

<!-- bench:offline:start -->
old offline
<!-- bench:offline:end -->
"""


def test_summary_goes_on_top_and_other_sections_stay():
    text = bench_run.replace_section(PAGE, "deploy", "new deploy")
    text = bench_run.place_summary(text, "first summary")
    assert text.index("<!-- bench:summary:start -->") < text.index("<!-- bench:inventory:start -->")
    assert text.startswith("# Benchmarks\n\nIntro.\n\n<!-- bench:summary:start -->\nfirst summary\n")
    assert "old inventory" in text and "Prose about the inventory." in text and "old offline" in text
    assert text.rstrip().endswith("new deploy\n<!-- bench:deploy:end -->")
    again = bench_run.place_summary(text, "second summary")
    assert again.count("bench:summary:start") == 1 and "second summary" in again and "first summary" not in again
    assert again.replace("second summary", "first summary") == text


def test_summary_lists_what_ran():
    result = result_of([row(1, 100, 40), row(2, 120, 30)])
    text = bench_run.summary("a machine", [("deploy", deploy_bench, result)])
    assert "Benchmarks run: deploy;" in text
    assert "| deploy | full site.yml, 2 nodes: first run / rerun | 120 s / 30 s (rerun changed=0) |" in text
    assert "| deploy | targets met | 3 of 4; **MISSED**: rerun at most 1/3 of the first run, 1 node |" in text


@pytest.mark.parametrize("count", [4, 50, 300])
def test_inventory_benchmark_config_validates_without_a_problem(count):
    # The inventory benchmark refuses a config with any warning: a new check must not stop make bench.
    result = parse(gen_config.generate(count), "platform.yml")
    assert [str(p) for p in result.problems] == []
