"""lab/lab.py summary: stages skipped as unchanged are counted per play (docs/stages.md)."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("lab_py", os.path.join(ROOT, "lab", "lab.py"))
lab = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(lab)

LOG = """PLAY [Node preparation] ********************************************************

TASK [aiplatform.cluster.node_init : Node preparation, skipped or run] *********
ok: [lab-cp-01] =>
    msg: 'STAGE UNCHANGED: node_init on lab-cp-01 (inputs, files and probes as its
        last run left them)'
ok: [lab-gpu-01] =>
    msg: 'stage node_init runs on lab-gpu-01: /etc/hosts changed (content)'

PLAY [Container runtime] *******************************************************

TASK [aiplatform.cluster.container_runtime : Stage container_runtime, skipped or run] ***
ok: [lab-cp-01] =>
    msg: 'STAGE UNCHANGED: container_runtime on lab-cp-01'
ok: [lab-gpu-01] =>
    msg: "STAGE UNCHANGED: container_runtime on lab-gpu-01"
"""


def test_unchanged_hosts_per_play():
    assert lab._unchanged(LOG) == {"Node preparation": {"lab-cp-01"},
                                   "Container runtime": {"lab-cp-01", "lab-gpu-01"}}


def test_stage_rows_say_how_many_nodes_skipped():
    rows = dict((name, how) for name, how, _why in lab._stage_rows(lab._plays(LOG), lab._unchanged(LOG)))
    assert rows["Node preparation"] == "for real (1 tasks); skipped as unchanged on 1 node(s)"
    assert rows["Container runtime"].endswith("skipped as unchanged on 2 node(s)")


def test_stage_rows_without_skips_are_as_before():
    rows = lab._stage_rows([["Shared storage", 3]])
    assert rows == [("Shared storage", "for real, without exporting or mounting (3 tasks)",
                     "this kernel has no NFS server or client")]


def _hosts(nets, ips):
    return dict(("n%d" % i, {"node_ip": ip, "platform_network": {"node_networks": nets}}) for i, ip in enumerate(ips))


def test_lab_subnet_is_the_configs_node_network():
    assert lab.lab_subnet(_hosts(["172.31.240.0/24"], ["172.31.240.11"])) == "172.31.240.0/24"


def test_lab_subnet_without_node_networks_is_the_24_around_the_nodes():
    ips = ["172.31.250.11", "172.31.250.15"]
    assert lab.lab_subnet(_hosts(["%s/32" % ip for ip in ips], ips)) == "172.31.250.0/24"


def test_lab_subnet_refuses_nodes_outside_one_24():
    ips = ["172.31.250.11", "172.31.251.15"]
    try:
        lab.lab_subnet(_hosts(["%s/32" % ip for ip in ips], ips))
    except SystemExit as exc:
        assert "n1 is outside it: set network.node_networks" in str(exc)
    else:
        raise AssertionError("no refusal")
