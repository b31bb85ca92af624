"""The pure parts of `make bench`: the deploy benchmark's lab configs, target verdicts, row files, CPU
figures and stage-skip counts, and the summary section of bench/run.py. Nothing here runs a real
playbook or a container (one test times a stand-in for ansible-playbook).

Over 600 lines: it mirrors bench/deploy_bench.py, one benchmark in one file (its top says why).
"""

import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.prerequisites import PINS
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
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
    # No error, and no warning but the sha256 pins of what the bench never downloads: it runs with
    # kubeadm_lifecycle false, and its GPU nodes have the toolkit already.
    site_dependent = set(pin.key for pin in PINS if pin.unless)
    assert [str(p) for p in result.problems if p.key not in site_dependent or p.level != "warning"] == []
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


SIZES = [("1,5,10,20", [(1, None), (5, None), (10, None), (20, None)]), ("20, 1,5", [(1, None), (5, None), (20, None)]),
         ("2,2", [(2, None)]), ("1,5,10,20,40+", [(1, None), (5, None), (10, None), (20, None), (40, 20)]),
         ("40+, 20", [(20, None), (40, 20)]), ("5,7+,9+,12", [(5, None), (7, 5), (9, 7), (12, None)]),
         ("40+,40+,20", [(20, None), (40, 20)])]


@pytest.mark.parametrize("text,expected", SIZES)
def test_sizes(text, expected):
    assert deploy_bench.sizes(text) == expected


def test_default_sizes_rerun_40_nodes_on_the_grown_20_node_lab():
    assert deploy_bench.sizes(deploy_bench.DEFAULT_SIZES)[-2:] == [(20, None), (40, 20)]


@pytest.mark.parametrize("text,match", [("", "give 1 to"), ("0,5", "give 1 to"), ("five", "not a comma-separated"),
                                        ("1,300", "at most 200"), ("5+", "5\\+ grows the lab of the size before it"),
                                        ("10+,20", "10\\+ grows"), ("20,40,40+", "both as a lab of its own and grown"),
                                        ("20,+", "not a comma-separated"), ("1,300+", "at most 200")])
def test_bad_sizes(text, match):
    with pytest.raises(SystemExit, match="AIPLATFORM_BENCH_SIZES.*" + match):
        deploy_bench.sizes(text)


def test_lab_root():
    planned = [(5, None, None), (7, 5, None), (9, 7, None), (12, None, None), (14, 12, None)]
    assert [deploy_bench.lab_root(planned, i) for i in range(5)] == [0, 0, 0, 3, 3]


def test_grown_config_keeps_the_lab_it_grows():
    small, grown = yaml.safe_load(deploy_bench.config(5, 236)), yaml.safe_load(deploy_bench.config(8, 236, 5))
    assert grown["nodes"][:5] == small["nodes"]
    assert [n["hostname"] for n in grown["nodes"][5:]] == ["bench5-npu-02", "bench5-cpu-02", "bench5-gpu-03"]
    assert grown["cluster"] == small["cluster"] and grown["storage"] == small["storage"]
    assert grown["nodes"][7]["ip"] == "172.31.236.18"
    result = parse(deploy_bench.config(8, 236, 5), "config.yaml")
    assert not [p for p in result.problems if p.level != "warning"]
    assert len(result.model.hosts) == 8


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
    assert "- %s: not measured (first runs of this run: 1 node, 2 nodes)" % SCALE in text
    assert "2 cores" in text
    headline = dict(deploy_bench.headline(result_of([row(1, 100, 40)])))
    assert headline["`--tags npu` rerun"] == "no NPU node in the labs of this run"


def test_markdown_with_npu_node():
    text = deploy_bench.markdown(result_of([row(1, 100, 30), row(3, 200, 50, npu=10)]))
    assert "| 3 | 1 / 1 / 0 | 200 | 5 | 50 | 0 | 0.25 | 10 | 0 | 0.20 |" in text
    assert "goes mostly to Node preparation 50 s, Kubernetes 30 s, start-up 1 s" in text


def test_markdown_says_measured_or_reused():
    rows = [row(1, 100, 30), row(5, 200, 50, npu=10)]
    rows[0]["reused"] = {"file": "deploy-1.json", "date": "2026-12-01 09:12"}
    text = deploy_bench.markdown(result_of(rows))
    assert "| npu / full rerun | measured |" in text
    reused = ("| 1 | 0 / 0 / 0 | 100 | 5 | 30 | 0 | 0.30 | no NPU node | |  "
              "| reused: deploy-1.json of 2026-12-01 09:12 |")
    assert reused in text
    assert "| 5 | 2 / 1 / 1 | 200 | 5 | 50 | 0 | 0.25 | 10 | 0 | 0.20 | this run |" in text


def cpu_row(nodes, first, rerun, npu=None, controller=(30.0, 20.0, 4.0), node=(90.0, 40.0, 2.0), cores=None):
    """A row with the CPU figures of measure(): controller and node CPU seconds of first, rerun, npu."""
    r = row(nodes, first, rerun, npu=npu)
    for index, name in enumerate(("first", "rerun", "npu")):
        timed = name != "npu" or npu is not None
        r[name + "_controller_cpu_s"] = controller[index] if timed and controller else None
        r[name + "_node_cpu_s"] = node[index] if timed and node else None
    if cores:
        r["cores"] = cores
    return r


def test_busy():
    assert deploy_bench.busy(30.0, 90.0, 2, 100.0) == pytest.approx(0.6)
    assert deploy_bench.busy(0.0, 200.0, 2, 100.0) == pytest.approx(1.0)
    assert deploy_bench.busy(30.0, None, 2, 100.0) is None
    assert deploy_bench.busy(None, 90.0, 2, 100.0) is None
    assert deploy_bench.busy(30.0, 90.0, 2, 0.0) is None
    assert deploy_bench.busy(30.0, 90.0, None, 100.0) is None


def test_markdown_cpu_table_and_reading():
    result = result_of([cpu_row(1, 100, 40, node=None), cpu_row(3, 200, 50, npu=10)])
    result["rows"][1]["node_cpu_counter"] = "/sys/fs/cgroup/unified/docker/<id>/cpu.stat"
    text = deploy_bench.markdown(result)
    assert ("| nodes | run | wall (s) | controller CPU (s) | controller CPU per node (s) | node CPU (s) | busy |"
            in text)
    assert "cgroup counter `/sys/fs/cgroup/unified/docker/<id>/cpu.stat`" in text
    assert "| 1 | first run | 100 | 30 | 30.0 | not available | not available |" in text
    # (30 + 90) / (2 x 200) = 30%, (20 + 40) / (2 x 50) = 60%, (4 + 2) / (2 x 10) = 30%
    assert "| 3 | first run | 200 | 30 | 10.0 | 90 | 30% |" in text
    assert "| 3 | rerun | 50 | 20 | 6.7 | 40 | 60% |" in text
    assert "| 3 | `--tags npu` rerun | 10 | 4 | 1.3 | 2 | 30% |" in text
    assert "| 1 | `--tags npu` rerun" not in text
    assert ("At 3 nodes the machine was 30% busy during the first run (ansible-playbook and its children 30 CPU s, "
            "the lab's containers 90 CPU s, over 2 cores x 200 s) and 60% during the rerun:") in text


def test_cpu_uses_the_cores_of_the_row():
    # a row reused from a run on another machine is judged against that machine's cores
    result = result_of([cpu_row(3, 200, 50, cores=4)])
    assert "| 3 | first run | 200 | 30 | 10.0 | 90 | 15% |" in deploy_bench.markdown(result)


def test_reading_without_node_cpu():
    result = result_of([cpu_row(1, 100, 40), cpu_row(5, 200, 50, node=None)])
    text = deploy_bench.reading(result)
    assert ("How busy the machine was during the first run at 5 nodes is not available (the CPU used inside "
            "the lab's containers was not measured); ansible-playbook and its children used 30 CPU s of its 200 s."
            in text)
    assert "% busy" not in text
    # an old row without any CPU figure
    assert "not available (the CPU used inside the lab's containers was not measured)." in \
        deploy_bench.reading(result_of([row(1, 100, 40)]))
    assert "cgroup counter not available" in deploy_bench.markdown(result)


# The figures of docs/benchmarks.md before issue 19 (20 nodes: 371 CPU s first run, 109 rerun).
FIRST_CPU = [(1, 31.0), (5, 92.0), (10, 181.0), (20, 371.0)]
RERUN_CPU = [(1, 14.0), (5, 38.0), (10, 65.0), (20, 109.0)]


def test_least_squares():
    assert deploy_bench.least_squares([(1, 5.0), (3, 9.0)]) == pytest.approx((2.0, 3.0))
    assert deploy_bench.least_squares([(1, 1.0), (2, 3.0), (3, 2.0)]) == pytest.approx((0.5, 1.0))
    slope, fixed = deploy_bench.least_squares(FIRST_CPU)
    assert (round(slope, 2), round(fixed, 1)) == (18.05, 6.3)
    assert deploy_bench.least_squares([(5, 10.0), (5, 12.0)]) is None
    assert deploy_bench.least_squares([(5, 10.0)]) is None and deploy_bench.least_squares([]) is None


def cpu_rows(first=FIRST_CPU, rerun=RERUN_CPU):
    rows = [row(n, 10.0 * n, 2.0 * n) for n, _cpu in rerun]
    by = dict((r["nodes"], r) for r in rows)
    for run_name, points in (("first", first), ("rerun", rerun)):
        for nodes, cpu in points:
            by[nodes][run_name + "_controller_cpu_s"] = cpu
    return rows


def test_cpu_per_node_leaves_the_scale_out_run_out_of_the_first_runs():
    rows = cpu_rows(rerun=RERUN_CPU + [(40, 200.0)])
    rows[-1].update(grown_from=20, first_controller_cpu_s=400.0)
    first, rerun = deploy_bench.cpu_per_node(rows, "first"), deploy_bench.cpu_per_node(rows, "rerun")
    assert first["points"] == FIRST_CPU and first["nodes"] == 20 and first["average"] == pytest.approx(18.55)
    assert first["slope"] == pytest.approx(18.0495, abs=1e-3)
    assert rerun["points"] == RERUN_CPU + [(40, 200.0)] and rerun["average"] == pytest.approx(5.0)
    assert rerun["slope"] == pytest.approx(deploy_bench.least_squares(RERUN_CPU + [(40, 200.0)])[0])
    assert deploy_bench.cpu_per_node([row(1, 10, 3)], "rerun") is None
    one = deploy_bench.cpu_per_node(cpu_rows([(5, 50.0)], [(5, 20.0)]), "first")
    assert one["slope"] is None and one["average"] == 10.0
    assert deploy_bench.projection(one) is None
    assert deploy_bench.projection(first, 500) == pytest.approx(first["fixed"] + 500 * first["slope"])


CPU_FIRST = "controller CPU per added node, first run, at most 8 s"
CPU_RERUN = "controller CPU per added node, rerun, at most 1 s"


def test_cpu_targets():
    judged = dict((name, (met, figures)) for name, met, figures in deploy_bench.judge(cpu_rows()))
    assert judged[CPU_FIRST] == (False, "18.0 s per added node, least squares over 1, 5, 10, 20 nodes; "
                                        "18.6 s per node at 20 nodes (371 CPU s)")
    assert judged[CPU_RERUN][0] is False and judged[CPU_RERUN][1].startswith("5.0 s per added node")
    # met at the bound exactly, missed just over it
    good = cpu_rows([(1, 10.0), (21, 170.0)], [(1, 8.0), (21, 28.0)])
    assert verdicts(good)[CPU_FIRST] is True and verdicts(good)[CPU_RERUN] is True
    bad = cpu_rows([(1, 10.0), (21, 170.5)], [(1, 8.0), (21, 28.5)])
    assert verdicts(bad)[CPU_FIRST] is False and verdicts(bad)[CPU_RERUN] is False
    # one size: not measured, with the average; no CPU figure: not measured
    one = dict((n, (m, f)) for n, m, f in deploy_bench.judge(cpu_rows([(5, 50.0)], [(5, 20.0)])))
    assert one[CPU_RERUN] == (None, "one size only (5 nodes); 4.0 s per node at 5 nodes (20 CPU s)")
    assert verdicts([row(1, 100, 30), row(5, 200, 40)])[CPU_FIRST] is None


RERUN_20 = "full site.yml rerun at 20 nodes at most 60 s, changed=0"


def test_rerun_at_20_nodes_target():
    figures = dict((n, (m, f)) for n, m, f in deploy_bench.judge([row(1, 100, 30), row(20, 900, 131)]))
    assert figures[RERUN_20] == (False, "131 s, changed=0")
    assert verdicts([row(20, 900, 60)])[RERUN_20] is True
    assert verdicts([row(20, 900, 59, rerun_changed={"a": 0, "b": 1})])[RERUN_20] is False
    assert dict((n, (m, f)) for n, m, f in deploy_bench.judge([row(1, 100, 30), row(5, 200, 40)]))[RERUN_20] == (
        None, "this run had 1, 5 nodes")


def grown_result():
    rows = cpu_rows(rerun=RERUN_CPU + [(40, 200.0)])
    rows[-1].update(grown_from=20, first_s=600.0, rerun_s=250.0, first_controller_cpu_s=400.0)
    result = result_of(rows)
    rows[-1]["rerun_stages"] = {"start-up": 2.0, "Node preparation": 30.0, "Kubernetes": 25.0}
    rows[-1]["rerun_unchanged"] = {"node_init": 40}
    return result


def test_grown_size_is_judged_on_its_rerun_only():
    got = verdicts(grown_result()["rows"])
    assert got["rerun reports changed=0 on every host, 40 nodes"] is True
    assert "rerun at most 1/3 of the first run, 40 nodes" not in got
    assert "rerun at most 1/3 of the first run, 20 nodes" in got


def test_markdown_of_a_grown_size_and_the_cpu_per_node_table():
    text = deploy_bench.markdown(grown_result())
    assert "| 40 | 13 / 13 / 13 | 600 (scale-out) | 5 | 250 | 0 |  | no NPU node | |  " \
           "| this run; the 20-node lab grown |" in text
    assert "| 20 | 7 / 6 / 6 | 200 | 5 | 40 | 0 | 0.20 |" in text
    assert "| 40 | scale-out run (20 nodes new) | 600 | 400 | 10.0 |" in text
    assert "| 40 | rerun | 250 | 200 | 5.0 |" in text
    first = deploy_bench.cpu_per_node(grown_result()["rows"], "first")
    line = "| first run | 1, 5, 10, 20 | 18.6 | 18.0 | 6 | %.0f (%.1f h of one core) | 8 s |" % (
        deploy_bench.projection(first), deploy_bench.projection(first) / 3600)
    assert line in text and "(2.5 h of one core)" in line
    assert "| rerun | 1, 5, 10, 20, 40 | 5.0 | " in text
    # the stage table is the largest fresh lab's, with the grown lab's rerun beside it
    assert "Stages at 20 nodes" in text and ", and the rerun at 40 nodes:" in text
    assert "| stage | first run (s) | rerun (s) | rerun at 40 nodes (s) |\n| --- | --- | --- | --- |" in text
    assert "| Node preparation | 50 | 20 | 30 |" in text
    assert "At 40 nodes: Stages skipped on the rerun as unchanged (hosts): node_init 40." in text
    assert "A grown size (AIPLATFORM_BENCH_SIZES `N+`)" in text
    assert "Reading: at 20 nodes" in text
    headline = dict(deploy_bench.headline(grown_result()))
    assert headline["full site.yml, 20 nodes: first run / rerun"] == "200 s / 40 s (rerun changed=0)"
    assert headline["full site.yml rerun, 40 nodes (lab grown from 20 nodes)"] == "250 s (changed=0)"
    assert headline["controller CPU per added node, first run / rerun"].startswith("18.0 s / ")
    assert headline["controller CPU per added node, first run / rerun"].endswith(" (targets 8 s / 1 s)")


@pytest.mark.parametrize("environ,cfg,expected", [
    ({}, "[defaults]\nforks = 50\n", "linear"),
    ({}, "[defaults]\nstrategy = mitogen_linear  # issue 19\n", "mitogen_linear"),
    ({"ANSIBLE_STRATEGY": "free"}, "[defaults]\nstrategy = mitogen_linear\n", "free"),
    ({"ANSIBLE_STRATEGY": " "}, "[ssh_connection]\npipelining = true\n", "linear"),
])
def test_strategy(environ, cfg, expected):
    assert deploy_bench.strategy(environ, cfg) == expected


def test_strategy_of_this_checkout_and_on_the_page():
    assert deploy_bench.strategy({}) == "linear"  # ansible.cfg sets none
    rows = cpu_rows()
    for r in rows:
        r["strategy"] = "linear"
    text = deploy_bench.markdown(result_of(rows))
    assert "is left out. Strategy: `linear` (without Mitogen).\n" in text
    rows[0]["strategy"] = "mitogen_linear"
    assert "Strategy: `linear` (without Mitogen), `mitogen_linear` (with Mitogen)." in deploy_bench.markdown(
        result_of(rows))
    del rows[0]["strategy"]
    assert "Strategy: not recorded (a row from an earlier version of the benchmark), `linear` (without Mitogen)." \
        in deploy_bench.markdown(result_of(rows))


def test_markdown_cpu_per_node_table_without_figures():
    text = deploy_bench.markdown(result_of([row(1, 100, 40)]))
    assert "| first run | none measured | | | | | 8 s |" in text
    assert "| rerun | none measured | | | | | 1 s |" in text
    assert "A grown size" not in text
    headline = dict(deploy_bench.headline(result_of([row(1, 100, 40)])))
    assert headline["controller CPU per added node, first run / rerun"] == \
        "not measured / not measured (targets 8 s / 1 s)"


def test_row_file_round_trip(tmp_path):
    measured = cpu_row(5, 200.5, 50.25, npu=10.0)
    measured.update({"mix": deploy_bench.mix(5), "first_changed": {"a": 3, "b": 0},
                     "first_stages": {"start-up": 1.5, "Preflight": 20.0, "Common": 3.0},
                     "rerun_stages": {"start-up": 1.0, "Preflight": 10.0}, "rerun_unchanged": {"node_init": 5},
                     "load_average": [1.0, 2.5], "cores": 2})
    path = deploy_bench.row_path(5, str(tmp_path))
    assert path == str(tmp_path / "deploy-5.json")
    deploy_bench.save_row(measured, path)
    assert os.listdir(str(tmp_path)) == ["deploy-5.json"]  # no temporary file left
    os.utime(path, (1764580320, 1764580320))
    loaded = deploy_bench.load_row(path, 5)
    reused = loaded.pop("reused")
    assert loaded == measured
    assert list(loaded["first_stages"]) == ["start-up", "Preflight", "Common"]  # play order kept
    assert reused["file"] == "deploy-5.json"
    assert reused["date"] == __import__("datetime").datetime.fromtimestamp(1764580320).strftime("%Y-%m-%d %H:%M")
    assert deploy_bench.source_text(dict(loaded, reused=reused)) == "reused: deploy-5.json of %s" % reused["date"]
    assert deploy_bench.source_text(loaded) == "this run"
    # a second save replaces the file whole
    deploy_bench.save_row(dict(measured, first_s=99.0), path)
    assert json.load(open(path))["first_s"] == 99.0 and os.listdir(str(tmp_path)) == ["deploy-5.json"]


def test_save_row_leaves_the_old_file_when_it_fails(tmp_path):
    path = str(tmp_path / "deploy-1.json")
    deploy_bench.save_row(row(1, 100, 30), path)
    with pytest.raises(TypeError):
        deploy_bench.save_row({"nodes": 1, "bad": object()}, path)
    assert json.load(open(path))["first_s"] == 100
    assert os.listdir(str(tmp_path)) == ["deploy-1.json"]


def test_load_row_refuses_another_size_or_a_broken_file(tmp_path):
    path = str(tmp_path / "deploy-5.json")
    deploy_bench.save_row(row(10, 100, 30), path)
    with pytest.raises(SystemExit, match="not the row of a 5-node lab"):
        deploy_bench.load_row(path, 5)
    with open(path, "w") as handle:
        handle.write('{"nodes": 5, ')
    with pytest.raises(SystemExit, match="cannot reuse.*AIPLATFORM_BENCH_REUSE"):
        deploy_bench.load_row(path, 5)


def test_reuse_plan(tmp_path):
    for count in (1, 10, 20):
        deploy_bench.save_row(row(count, 100, 30), deploy_bench.row_path(count, str(tmp_path)))
    out = str(tmp_path)
    fresh = [(1, None), (5, None), (10, None), (20, None)]
    assert deploy_bench.plan(fresh, True, out) == [
        (1, None, str(tmp_path / "deploy-1.json")), (5, None, None), (10, None, str(tmp_path / "deploy-10.json")),
        (20, None, str(tmp_path / "deploy-20.json"))]
    assert deploy_bench.plan(fresh, False, out) == [(1, None, None), (5, None, None), (10, None, None),
                                                    (20, None, None)]
    # 40 is measured on the 20-node lab grown: the 20-node lab must be up, so 20 is measured again
    steps = deploy_bench.plan(fresh + [(40, 20)], True, out)
    assert steps[3:] == [(20, None, None), (40, 20, None)]
    assert [deploy_bench.keeps_lab_up(steps, i) for i in range(5)] == [False, False, False, True, False]
    # both kept: both loaded, no lab stays up
    deploy_bench.save_row(dict(row(40, 100, 30), grown_from=20), deploy_bench.row_path(40, out))
    steps = deploy_bench.plan(fresh + [(40, 20)], True, out)
    assert steps[3:] == [(20, None, str(tmp_path / "deploy-20.json")), (40, 20, str(tmp_path / "deploy-40.json"))]
    assert not any(deploy_bench.keeps_lab_up(steps, i) for i in range(5))
    # a chain 5 -> 7+ -> 9+ with only 9 kept: all three measured, the labs of 5 and 7 stay up
    deploy_bench.save_row(row(5, 100, 30), deploy_bench.row_path(5, out))
    steps = deploy_bench.plan([(5, None), (7, 5), (9, 7)], True, out)
    assert steps == [(5, None, None), (7, 5, None), (9, 7, None)]
    assert [deploy_bench.keeps_lab_up(steps, i) for i in range(3)] == [True, True, False]


def fake_run(tmp_path, monkeypatch, sizes_text, fail_at=None):
    """deploy_bench.run() with the labs and playbooks replaced by recorders: the calls it made."""
    calls = []

    def measured(count, grown_from=None):
        if count == fail_at:
            raise SystemExit("bench: ansible-playbook failed")
        return dict(row(count, 100.0, 30.0), grown_from=grown_from)

    def measure(count, subnet, keep_up=False):
        calls.append(("measure", count, subnet - deploy_bench.FIRST_SUBNET, keep_up))
        return measured(count)

    def grow(directory, name, subnet, old_count, count, keep_up=False):
        calls.append(("grow", os.path.basename(directory), name, subnet - deploy_bench.FIRST_SUBNET, old_count, count,
                      keep_up))
        return measured(count, old_count)

    monkeypatch.setattr(deploy_bench, "measure", measure)
    monkeypatch.setattr(deploy_bench, "grow", grow)
    monkeypatch.setattr(deploy_bench, "lab", lambda directory, action: calls.append(
        ("lab", os.path.basename(directory), action)))
    monkeypatch.setattr(deploy_bench, "plot", lambda rows: None)
    monkeypatch.setattr(deploy_bench, "OUT", str(tmp_path))
    monkeypatch.setenv("AIPLATFORM_BENCH_SIZES", sizes_text)
    monkeypatch.delenv("AIPLATFORM_BENCH_REUSE", raising=False)
    try:
        result = deploy_bench.run()
    except SystemExit:
        result = None
    return calls, result


def test_run_grows_the_lab_of_the_size_before(tmp_path, monkeypatch):
    calls, result = fake_run(tmp_path, monkeypatch, "1,5,7+")
    assert calls == [("measure", 1, 0, False), ("measure", 5, 1, True), ("grow", "lab-5", 5, 1, 5, 7, False)]
    assert [(r["nodes"], r["grown_from"]) for r in result["rows"]] == [(1, None), (5, None), (7, 5)]
    assert json.load(open(str(tmp_path / "deploy-7.json")))["grown_from"] == 5
    # a chain: every grown size on the first lab, kept up until the last
    calls, _result = fake_run(tmp_path, monkeypatch, "5,7+,9+")
    assert calls == [("measure", 5, 0, True), ("grow", "lab-5", 5, 0, 5, 7, True), ("grow", "lab-5", 5, 0, 7, 9, False)]


def test_run_takes_a_kept_lab_down_when_a_later_step_fails(tmp_path, monkeypatch):
    # grow() takes its lab down itself when it fails; run() must not leave it up either way
    calls, result = fake_run(tmp_path, monkeypatch, "5,7+,9+", fail_at=9)
    assert result is None
    assert calls[-1] == ("grow", "lab-5", 5, 0, 7, 9, False) and ("lab", "lab-5", "down") not in calls
    # a fresh size that fails while an earlier lab is kept up: that lab goes down
    monkeypatch.setattr(deploy_bench, "keeps_lab_up", lambda steps, index: index == 0)
    calls, result = fake_run(tmp_path, monkeypatch, "5,8", fail_at=8)
    assert result is None and calls[-1] == ("lab", "lab-5", "down")


def test_load_row_refuses_a_fresh_row_for_a_grown_size(tmp_path):
    path = str(tmp_path / "deploy-40.json")
    deploy_bench.save_row(row(40, 100, 30), path)
    with pytest.raises(SystemExit, match="row of a fresh lab, AIPLATFORM_BENCH_SIZES asks for a lab grown from 20"):
        deploy_bench.load_row(path, 40, 20)
    assert deploy_bench.load_row(path, 40)["first_s"] == 100
    deploy_bench.save_row(dict(row(40, 100, 30), grown_from=20), path)
    with pytest.raises(SystemExit, match="row of a lab grown from 20 nodes, AIPLATFORM_BENCH_SIZES asks for a fresh"):
        deploy_bench.load_row(path, 40)
    assert deploy_bench.load_row(path, 40, 20)["grown_from"] == 20


@pytest.mark.parametrize("environ,expected", [({}, False), ({"AIPLATFORM_BENCH_REUSE": "1"}, True),
                                              ({"AIPLATFORM_BENCH_REUSE": "0"}, False),
                                              ({"AIPLATFORM_BENCH_REUSE": ""}, False)])
def test_reuse_enabled(environ, expected):
    assert deploy_bench.reuse_enabled(environ) is expected


LOG = """PLAY [Node preparation] ****************************************************
TASK [aiplatform.cluster.node_init : Report an unchanged stage] ****************
ok: [bench5-cp-01] => {
    "msg": "STAGE UNCHANGED: node_init on bench5-cp-01"
}
ok: [bench5-gpu-01] =>
    msg: 'STAGE UNCHANGED: node_init on bench5-gpu-01 (inputs as on the last run)'
ok: [bench5-gpu-01] => {"msg": "STAGE UNCHANGED: node_init on bench5-gpu-01"}
TASK [aiplatform.cluster.containerd : Report an unchanged stage] ***************
ok: [bench5-npu-01] => (item=x) => {"msg": "STAGE UNCHANGED: containerd on bench5-npu-01."}
    msg: STAGE UNCHANGED: node_init on bench5-npu-01
changed: [bench5-cpu-01] => stage node_init changed
PLAY RECAP *********************************************************************
"""


def test_skipped_stages():
    assert deploy_bench.skipped_stages(LOG) == {"node_init": 3, "containerd": 1}
    assert list(deploy_bench.skipped_stages(LOG)) == ["node_init", "containerd"]
    assert deploy_bench.skipped_stages("PLAY RECAP\nok: [h] => {}\n") == {}


def test_markdown_lists_the_skipped_stages():
    rows = [row(1, 100, 30), row(5, 200, 50, npu=10)]
    rows[1]["rerun_unchanged"] = {"node_init": 5, "containerd": 4}
    text = deploy_bench.markdown(result_of(rows))
    line = "Stages skipped on the rerun as unchanged (hosts): node_init 5, containerd 4."
    assert "| Kubernetes | 30 | 10 |\n\n%s\n" % line in text
    rows[1]["rerun_unchanged"] = {}
    assert "Stages skipped on the rerun as unchanged (hosts): none." in deploy_bench.markdown(result_of(rows))
    del rows[1]["rerun_unchanged"]
    assert "(hosts): not recorded" in deploy_bench.markdown(result_of(rows))


ID = "858e283143681f7e7c3d7bad59e018f013ceae496af4ef4730f0703d265287a6"


def cgroup_file(root, relative, text):
    path = root / relative.format(id=ID)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_cgroup_counter_of_each_layout(tmp_path):
    assert deploy_bench.cgroup_cpu_file(ID, str(tmp_path)) is None
    v1 = cgroup_file(tmp_path, "cpuacct/docker/{id}/cpuacct.usage", "3000000000\n")
    assert deploy_bench.cgroup_cpu_file(ID, str(tmp_path)) == v1
    assert deploy_bench.read_cpu_s(v1) == pytest.approx(3.0)
    hybrid = cgroup_file(tmp_path, "unified/docker/{id}/cpu.stat",
                         "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnice_usec 0\n")
    assert deploy_bench.cgroup_cpu_file(ID, str(tmp_path)) == hybrid  # cpu.stat before cpuacct.usage
    assert deploy_bench.read_cpu_s(hybrid) == pytest.approx(2.5)
    v2 = cgroup_file(tmp_path, "system.slice/docker-{id}.scope/cpu.stat", "usage_usec 7\n")
    assert deploy_bench.cgroup_cpu_file(ID, str(tmp_path)) == v2
    assert deploy_bench.nodes_cpu_s([v1, hybrid]) == pytest.approx(5.5)
    assert deploy_bench.nodes_cpu_s([v1, None]) is None
    assert deploy_bench.nodes_cpu_s([]) is None and deploy_bench.nodes_cpu_s(None) is None
    assert deploy_bench.nodes_cpu_s([v1, str(tmp_path / "gone")]) is None
    assert deploy_bench.read_cpu_s(cgroup_file(tmp_path, "docker/{id}/cpu.stat", "user_usec 1\n")) is None
    assert deploy_bench.counter_layout([hybrid]) == str(tmp_path / "unified/docker/<id>/cpu.stat")
    assert deploy_bench.counter_layout([v2]) == str(tmp_path / "system.slice/docker-<id>.scope/cpu.stat")
    assert deploy_bench.counter_layout(None) is None


def test_lab_label_is_lab_py_label():
    directory = os.path.join(ROOT, "bench", "out", "lab-5")
    label = subprocess.run([sys.executable, "-c", "import lab; print(lab.LABEL)"], cwd=os.path.join(ROOT, "lab"),
                           env=dict(os.environ, AIPLATFORM_LAB_INVENTORY=directory), capture_output=True,
                           text=True, check=True).stdout.strip()
    assert label == "aiplatform.lab=lab-5"
    assert deploy_bench.lab_label(directory) == label == deploy_bench.lab_label(directory + "/")


# A stand-in for ansible-playbook: a child of its own burns CPU, the "containers" use 4.5 CPU s.
FAKE_PLAYBOOK = """#!%s
import os, subprocess, sys, time
subprocess.run([sys.executable, "-c", "import time\\nwhile time.process_time() < 0.3: pass"], check=True)
with open(os.environ["FAKE_CGROUP"], "w") as handle:
    handle.write("usage_usec 5500000\\n")
print("PLAY [Common] ****")
time.sleep(0.05)
print("    msg: 'STAGE UNCHANGED: common on h1'")
print("h1                         : ok=3    changed=1    unreachable=0    failed=0    skipped=0")
"""


def test_playbook_counts_the_cpu_of_the_run(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "ansible-playbook"
    fake.parent.mkdir()
    fake.write_text(FAKE_PLAYBOOK % sys.executable)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    counter = cgroup_file(tmp_path, "unified/docker/{id}/cpu.stat", "usage_usec 1000000\n")
    monkeypatch.setattr(deploy_bench, "BIN", str(fake.parent))
    monkeypatch.setattr(deploy_bench, "OUT", str(tmp_path))
    monkeypatch.setenv("FAKE_CGROUP", counter)
    timed = deploy_bench.playbook(str(tmp_path / "lab-1"), ["site.yml"], "fake", [counter])
    assert timed["changed"] == {"h1": 1}
    assert timed["node_cpu_s"] == pytest.approx(4.5)
    assert 0.25 <= timed["controller_cpu_s"] <= timed["wall_s"] * 2 + 0.1
    assert set(timed["stages"]) == {"start-up", "Common"}
    assert deploy_bench.skipped_stages(timed["log"]) == {"common": 1}
    assert open(str(tmp_path / "fake.log")).read() == timed["log"]
    assert deploy_bench.playbook(str(tmp_path / "lab-1"), ["site.yml"], "fake", None)["node_cpu_s"] is None


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


@pytest.mark.parametrize("per_host, text", [
    ({"cp-01": 0, "localhost": 0}, "changed=0 on 1 node and the control machine"),
    ({"cp-01": 0, "gpu-01": 0}, "changed=0 on 2 nodes"),
])
def test_recap_text_counts_nodes_not_the_control_machine(per_host, text):
    assert deploy_bench.recap_text(per_host) == text
