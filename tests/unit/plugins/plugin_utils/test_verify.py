"""Cluster verification on recorded kubectl outputs (fixtures/verify, sources in its README.md)."""
import copy
import json
import os

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import verify

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "verify")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def text(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


EXPECTED = {
    "nodes": {
        "cp-01": {"node_ip": "10.0.0.11", "node_roles": ["control_plane", "etcd"],
                  "node_accelerator": {"vendor": "none", "count": 0},
                  "node_labels": {"cpu": True, "masterselector": "dls-master-node", "mysql": "true", "org": "public"}},
        "gpu-01": {"node_ip": "10.0.0.21", "node_roles": ["worker"],
                   "node_accelerator": {"vendor": "nvidia", "model": "A100", "count": 8},
                   "node_labels": {"gpu": "true", "nvidia.com/gpu.present": "true", "gpu-type": "A100",
                                   "train": "true", "org": "public"}},
        "npu-01": {"node_ip": "10.0.0.31", "node_roles": ["worker"],
                   "node_accelerator": {"vendor": "huawei", "model": "Ascend910B", "count": 8},
                   "node_labels": {"npu": "true", "accelerator": "huawei-Ascend910", "host-arch": "huawei-arm",
                                   "workerselector": "dls-worker-node"}},
        "nfs-01": {"node_ip": "10.0.0.41", "node_roles": ["nfs_server"],
                   "node_accelerator": {"vendor": "none", "count": 0},
                   "node_labels": {"cpu": "true", "org": "public"}},
    },
    "namespaces": ["nvidia-device-plugin", "aiplatform"],
    "storage": True,
    "kubernetes_version": "1.30.6",
}


def node_item(nodes, name):
    return [n for n in nodes["items"] if n["metadata"]["name"] == name][0]


def run(expected=None, nodes=None, pods=None, pvc=None, sc=None, extra=None):
    return verify.verify_cluster(
        expected if expected is not None else EXPECTED,
        nodes if nodes is not None else text("nodes_healthy.json"),
        pods if pods is not None else text("pods_healthy.json"),
        pvc if pvc is not None else text("pvc_bound.json"),
        sc if sc is not None else text("storageclass.json"),
        extra)


def by_key(rows):
    return dict(((r["check"], r["target"]), r) for r in rows)


def not_passing(rows):
    return sorted((r["check"], r["target"], r["status"]) for r in rows if r["status"] != "pass")


# --- parsers -------------------------------------------------------------------------------------


def test_parse_nodes_reads_the_fixture():
    nodes = verify.parse_nodes(text("nodes_healthy.json"))
    assert sorted(nodes) == ["cp-01", "gpu-01", "nfs-01", "npu-01"]
    assert nodes["gpu-01"]["gpus"] == 8 and nodes["gpu-01"]["gpu_capacity"] == 8
    assert nodes["npu-01"]["ascend"] == {"huawei.com/Ascend910": 8}
    assert nodes["cp-01"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    assert nodes["nfs-01"]["kubelet_version"] == "v1.30.6"
    assert nodes["npu-01"]["internal_ip"] == "10.0.0.31"
    assert all(n["ready"] and not n["unschedulable"] for n in nodes.values())


def test_parse_nodes_ignores_vnpu_and_memory_resources():
    nodes = load("nodes_healthy.json")
    node_item(nodes, "npu-01")["status"]["allocatable"].update(
        {"huawei.com/Ascend910-memory": "65536", "huawei.com/Ascend910-2c": "4"})
    assert verify.parse_nodes(nodes)["npu-01"]["ascend"] == {"huawei.com/Ascend910": 8}


def test_parse_pods_reads_reasons():
    pods = dict(((p["namespace"], p["name"]), p) for p in verify.parse_pods(text("pods_failing.json")))
    crash = pods[("kube-system", "coredns-7db6d8ff4d-4xk2p")]
    assert (crash["phase"], crash["reason"], crash["restarts"], crash["healthy"]) == (
        "Running", "CrashLoopBackOff", 7, False)
    assert crash["owner_kind"] == "ReplicaSet" and crash["node"] == "cp-01"
    pull = pods[("aiplatform", "restfulapi-6c9f7b8d5-q2w4e")]
    assert (pull["phase"], pull["reason"]) == ("Pending", "ImagePullBackOff")
    assert pull["message"].startswith("Back-off pulling image")
    assert pods[("aiplatform", "db-init-kx8vb")]["healthy"] is True  # Succeeded
    assert pods[("aiplatform", "db-init-9f2lm")]["reason"] == "Error"
    assert pods[("kube-system", "etcd-cp-01")]["owner_kind"] == "Node"


def test_parse_pods_init_container_and_unschedulable():
    pods = verify.parse_pods({"items": [
        {"metadata": {"name": "a", "namespace": "x"}, "spec": {"containers": [{"name": "c"}]},
         "status": {"phase": "Pending", "initContainerStatuses": [
             {"name": "i", "ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}},
        {"metadata": {"name": "b", "namespace": "x"}, "spec": {"containers": [{"name": "c"}]},
         "status": {"phase": "Pending", "conditions": [
             {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
              "message": "0/4 nodes are available: 4 Insufficient nvidia.com/gpu."}]}},
        {"metadata": {"name": "c", "namespace": "x"}, "spec": {"containers": [{"name": "c"}]},
         "status": {"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}},
    ]})
    assert [(p["name"], p["reason"]) for p in pods] == [("a", "Init:CrashLoopBackOff"), ("b", "Unschedulable"),
                                                        ("c", "Evicted")]


def test_parse_pvcs_and_storage_classes():
    assert [(p["namespace"], p["name"], p["phase"], p["storage_class"]) for p in
            verify.parse_pvcs(text("pvc_pending.json"))] == [
        ("default", "aiplatform-data", "Bound", "nfs"), ("aiplatform", "mysql-data", "Pending", "fast-ssd")]
    assert verify.parse_storage_classes(text("storageclass.json")) == [
        {"name": "nfs", "provisioner": "kubernetes.io/no-provisioner", "default": True}]
    assert verify.parse_storage_classes(text("storageclass_empty.json")) == []


@pytest.mark.parametrize("parser, output, message", [
    (verify.parse_nodes, "", "kubectl get nodes -o json: not JSON"),
    (verify.parse_nodes, "error: You must be logged in to the server (Unauthorized)\n",
     "the output starts with 'error: You must be logged in"),
    (verify.parse_nodes, '{"items": [', "kubectl get nodes -o json: not JSON"),
    (verify.parse_nodes, '"Node"', "expected a JSON object, got str"),
    (verify.parse_nodes, '{"kind": "Status"}', "expected a List with items, got kind 'Status'"),
    (verify.parse_nodes, '{"items": [{"metadata": {}}]}', "item 0 has no metadata.name"),
    (verify.parse_nodes, '{"items": [{"metadata": {"name": "g"}, "status": {"allocatable": {"nvidia.com/gpu": "x"}}}]}',
     "node g: allocatable nvidia.com/gpu: 'x' is not a device count"),
    (verify.parse_pods, "{", "kubectl get pods -A -o json: not JSON"),
    (verify.parse_pvcs, "null", "kubectl get pvc -A -o json: expected a JSON object, got NoneType"),
    (verify.parse_storage_classes, "[1]", "kubectl get storageclass -o json: item 0 has no metadata.name"),
])
def test_malformed_output_is_a_clear_value_error(parser, output, message):
    with pytest.raises(ValueError) as info:
        parser(output)
    assert message in str(info.value)


def test_single_object_is_a_list_of_one():
    one = node_item(load("nodes_healthy.json"), "gpu-01")
    assert list(verify.parse_nodes(one)) == ["gpu-01"]


# --- verify_cluster ------------------------------------------------------------------------------


def test_healthy_cluster_passes_everything():
    rows = run()
    assert not_passing(rows) == []
    keys = by_key(rows)
    for host in EXPECTED["nodes"]:
        assert keys[("node", host)]["status"] == "pass"
        assert keys[("labels", host)]["status"] == "pass"
    assert keys[("accelerator", "gpu-01")]["actual"] == "nvidia.com/gpu=8"
    assert keys[("accelerator", "npu-01")]["actual"] == "huawei.com/Ascend910=8"
    assert ("accelerator", "cp-01") not in keys
    assert keys[("pods", "kube-system")]["actual"] == "11 of 11 healthy"
    assert keys[("pods", "aiplatform")]["actual"] == "2 of 2 healthy"
    assert keys[("storageclass", "cluster")]["actual"] == "nfs (default)"
    assert keys[("pvc", "cluster")]["actual"] == "1 of 1 Bound"
    assert all(set(r) == set(verify.ROW_KEYS) for r in rows)


def _not_ready(nodes):
    ready = [c for c in node_item(nodes, "gpu-01")["status"]["conditions"] if c["type"] == "Ready"][0]
    ready.update({"status": "False", "reason": "KubeletNotReady",
                  "message": "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady"})


def _no_conditions(nodes):
    node_item(nodes, "gpu-01")["status"]["conditions"] = []


def _missing(nodes):
    nodes["items"] = [n for n in nodes["items"] if n["metadata"]["name"] != "nfs-01"]


def _label_missing(nodes):
    del node_item(nodes, "npu-01")["metadata"]["labels"]["accelerator"]


def _label_wrong(nodes):
    node_item(nodes, "gpu-01")["metadata"]["labels"]["gpu-type"] = "H100"


def _gpu(value, capacity=None):
    def change(nodes):
        status = node_item(nodes, "gpu-01")["status"]
        if value is None:
            del status["allocatable"]["nvidia.com/gpu"]
            del status["capacity"]["nvidia.com/gpu"]
        else:
            status["allocatable"]["nvidia.com/gpu"] = value
            status["capacity"]["nvidia.com/gpu"] = capacity or value
    return change


def _ascend(resources):
    def change(nodes):
        status = node_item(nodes, "npu-01")["status"]
        for where in ("allocatable", "capacity"):
            del status[where]["huawei.com/Ascend910"]
            status[where].update(resources)
    return change


def _unknown_node(nodes):
    extra = copy.deepcopy(node_item(nodes, "nfs-01"))
    extra["metadata"]["name"] = "old-worker"
    extra["status"]["addresses"][0]["address"] = "10.0.0.99"
    nodes["items"].append(extra)


def _cordoned(nodes):
    node_item(nodes, "gpu-01")["spec"]["unschedulable"] = True


def _registered_by_ip(nodes):
    node_item(nodes, "nfs-01")["metadata"]["name"] = "10-0-0-41"


def _old_kubelet(nodes):
    node_item(nodes, "nfs-01")["status"]["nodeInfo"]["kubeletVersion"] = "v1.29.10"


@pytest.mark.parametrize("change, problems, actual, fix", [
    (_not_ready, [("node", "gpu-01", "fail")], "NotReady: KubeletNotReady: container runtime network not ready",
     "journalctl -u kubelet"),
    (_no_conditions, [("node", "gpu-01", "fail")], "Unknown: no Ready condition", "systemctl status kubelet"),
    (_missing, [("node", "nfs-01", "fail")], "not in the cluster", "playbooks/scale.yml --limit nfs-01"),
    (_label_missing, [("labels", "npu-01", "fail")], "missing accelerator=huawei-Ascend910",
     "kubectl label node npu-01 accelerator=huawei-Ascend910 --overwrite"),
    (_label_wrong, [("labels", "gpu-01", "fail")], "gpu-type=H100 (want A100)",
     "kubectl label node gpu-01 gpu-type=A100 --overwrite"),
    (_gpu("0"), [("accelerator", "gpu-01", "fail")], "nvidia.com/gpu missing or 0", "NVIDIA device plugin"),
    (_gpu(None), [("accelerator", "gpu-01", "fail")], "nvidia.com/gpu missing or 0", "NVIDIA device plugin"),
    (_gpu("7", "8"), [("accelerator", "gpu-01", "fail")], "nvidia.com/gpu=7 (capacity 8)", "7 of 8 GPUs"),
    (_gpu("16"), [("accelerator", "gpu-01", "warn")], "nvidia.com/gpu=16", "time-slicing"),
    (_ascend({}), [("accelerator", "npu-01", "fail")], "no huawei.com/Ascend* resource", "Ascend device plugin"),
    (_ascend({"huawei.com/Ascend910": "0"}), [("accelerator", "npu-01", "fail")], "no huawei.com/Ascend* resource",
     "Ascend device plugin"),
    (_ascend({"huawei.com/Ascend910B": "8"}), [("accelerator", "npu-01", "warn")], "huawei.com/Ascend910B=8",
     "advertised as huawei.com/Ascend910B"),
    (_ascend({"huawei.com/Ascend910": "4", "huawei.com/Ascend910B": "4"}), [("accelerator", "npu-01", "warn")],
     "huawei.com/Ascend910=4, huawei.com/Ascend910B=4", "advertised as huawei.com/Ascend910B"),
    (_ascend({"huawei.com/Ascend910": "6"}), [("accelerator", "npu-01", "fail")], "huawei.com/Ascend910=6",
     "6 of 8 NPUs"),
    (_unknown_node, [("node", "old-worker", "warn")], "in the cluster (Ready), not in the inventory",
     "kubectl delete node old-worker"),
    (_cordoned, [("node", "gpu-01", "warn")], "cordoned", "kubectl uncordon gpu-01"),
    (_registered_by_ip, [], "Ready (registered as 10-0-0-41)", ""),
    (_old_kubelet, [("kubelet", "nfs-01", "warn")], "v1.29.10", "playbooks/upgrade.yml --limit nfs-01"),
])
def test_node_problems(change, problems, actual, fix):
    nodes = load("nodes_healthy.json")
    change(nodes)
    rows = run(nodes=nodes)
    assert not_passing(rows) == problems
    target = problems[0] if problems else ("node", "nfs-01")
    named = [r for r in rows if (r["check"], r["target"]) == target[:2]]
    assert len(named) == 1
    assert actual in named[0]["actual"]
    assert fix in named[0]["fix"]


def test_huawei_model_unknown_to_the_table_counts_every_ascend_resource():
    expected = copy.deepcopy(EXPECTED)
    expected["nodes"]["npu-01"]["node_accelerator"]["model"] = "Ascend950"
    nodes = load("nodes_healthy.json")
    _ascend({"huawei.com/Ascend950": "8"})(nodes)
    row = by_key(run(expected=expected, nodes=nodes))[("accelerator", "npu-01")]
    assert (row["status"], row["expected"]) == ("pass", "huawei.com/Ascend*=8")


def test_accelerator_count_unknown_in_the_config_warns():
    expected = copy.deepcopy(EXPECTED)
    expected["nodes"]["gpu-01"]["node_accelerator"]["count"] = 0
    row = by_key(run(expected=expected))[("accelerator", "gpu-01")]
    assert row["status"] == "warn" and "set it (8 GPUs advertised)" in row["fix"]


def test_failing_pods_are_named_with_their_reason():
    rows = run(pods=text("pods_failing.json"))
    assert not_passing(rows) == [
        ("pod", "aiplatform/db-init-9f2lm", "warn"),
        ("pod", "aiplatform/restfulapi-6c9f7b8d5-q2w4e", "fail"),
        ("pod", "kube-system/coredns-7db6d8ff4d-4xk2p", "fail"),
    ]
    keys = by_key(rows)
    crash = keys[("pod", "kube-system/coredns-7db6d8ff4d-4xk2p")]
    assert crash["actual"] == "Running 0/1 ready, CrashLoopBackOff, 7 restarts"
    assert "kubectl logs -n kube-system coredns-7db6d8ff4d-4xk2p --previous" in crash["fix"]
    pull = keys[("pod", "aiplatform/restfulapi-6c9f7b8d5-q2w4e")]
    assert pull["actual"] == "Pending 0/1 ready, ImagePullBackOff"
    assert "image cannot be pulled on cp-01" in pull["fix"]
    assert "an attempt of the Job failed" in keys[("pod", "aiplatform/db-init-9f2lm")]["fix"]
    assert ("pods", "kube-system") not in keys  # each problem counted once: no summary row besides
    assert keys[("pods", "nvidia-device-plugin")]["status"] == "pass"


def test_pods_outside_the_checked_namespaces_are_ignored():
    expected = dict(EXPECTED, namespaces=[])
    rows = run(expected=expected, pods=text("pods_failing.json"))
    assert [r["target"] for r in rows if r["check"] in ("pod", "pods")] == [
        "kube-system/coredns-7db6d8ff4d-4xk2p"]


@pytest.mark.parametrize("namespace, status", [("kube-system", "fail"), ("monitoring", "warn")])
def test_namespace_without_pods(namespace, status):
    pods = load("pods_healthy.json")
    pods["items"] = [p for p in pods["items"] if p["metadata"]["namespace"] != namespace]
    rows = run(expected=dict(EXPECTED, namespaces=["monitoring"]), pods=pods)
    row = by_key(rows)[("pods", namespace)]
    assert (row["status"], row["actual"]) == (status, "no pods")


def test_pvc_pending_fails_naming_the_claim():
    rows = run(pvc=text("pvc_pending.json"))
    assert not_passing(rows) == [("pvc", "aiplatform/mysql-data", "fail")]
    row = by_key(rows)[("pvc", "aiplatform/mysql-data")]
    assert row["actual"] == "Pending (class fast-ssd)"
    assert "kubectl -n aiplatform describe pvc mysql-data" in row["fix"]


def test_no_pvc_bound_fails():
    rows = run(pvc='{"apiVersion": "v1", "items": [], "kind": "List"}')
    assert not_passing(rows) == [("pvc", "cluster", "fail")]


def test_no_storage_class_fails():
    rows = run(sc=text("storageclass_empty.json"))
    assert not_passing(rows) == [("storageclass", "cluster", "fail")]
    assert "nfs role" in by_key(rows)[("storageclass", "cluster")]["fix"]


def test_storage_class_without_default_warns():
    sc = load("storageclass.json")
    sc["items"][0]["metadata"]["annotations"] = {}
    assert not_passing(run(sc=sc)) == [("storageclass", "cluster", "warn")]


def test_storage_not_expected_adds_no_storage_rows():
    rows = verify.verify_cluster(dict(EXPECTED, storage=False), text("nodes_healthy.json"), text("pods_healthy.json"))
    assert not [r for r in rows if r["check"] in ("storageclass", "pvc")]
    assert not_passing(rows) == []


def test_storage_expected_but_not_queried_warns():
    rows = verify.verify_cluster(EXPECTED, text("nodes_healthy.json"), text("pods_healthy.json"))
    assert not_passing(rows) == [("pvc", "cluster", "warn"), ("storageclass", "cluster", "warn")]


EXTRA = [
    {"check": "nodeport", "target": "gpu-01:30080", "expected": "HTTP 200", "actual": "HTTP 200", "status": "pass"},
    {"check": "registry", "target": "npu-01", "expected": "reachable", "actual": "connection refused",
     "status": "fail", "fix": "open port 5000 from npu-01 to the registry"},
    {"check": "storage", "target": "nfs-01:/export", "expected": "< 80% used", "actual": 91, "status": "warn",
     "fix": None},
]


def test_extra_rows_are_appended_and_normalised():
    rows = run(extra=EXTRA)
    assert rows[-3:] == [
        dict(EXTRA[0], fix=""), EXTRA[1], dict(EXTRA[2], actual="91", fix="")]


@pytest.mark.parametrize("extra, message", [
    ([dict(EXTRA[0], status="ok")], "extra row 0 (nodeport gpu-01:30080): status 'ok' is not one of pass, warn, fail"),
    ([EXTRA[0], dict(EXTRA[1], status="FAIL")], "extra row 1 (registry npu-01): status 'FAIL'"),
    ([{"check": "registry", "status": "pass"}], "extra row 0 (registry ?): target is missing"),
    ([dict(EXTRA[0], detail="x")], "unknown key(s) detail"),
    (["nodeport ok"], "extra row 0: expected a dict"),
    ({"check": "x"}, "extra rows: expected a list of rows, got dict"),
])
def test_bad_extra_rows_are_rejected(extra, message):
    with pytest.raises(ValueError) as info:
        run(extra=extra)
    assert message in str(info.value)


@pytest.mark.parametrize("expected, message", [
    (None, "expected must be a dict"),
    ({"nodes": ["cp-01"]}, "expected.nodes must map each inventory host"),
])
def test_bad_expected_is_rejected(expected, message):
    with pytest.raises(ValueError) as info:
        verify.verify_cluster(expected, text("nodes_healthy.json"), text("pods_healthy.json"))
    assert message in str(info.value)


# --- report and renderers ------------------------------------------------------------------------


def failing_report():
    rows = run(pods=text("pods_failing.json"), pvc=text("pvc_pending.json"), extra=EXTRA + [
        {"check": "nodeport", "target": "<script>alert(1)</script>", "expected": "a & b", "actual": "x|y",
         "status": "fail", "fix": "\"quote\" 'single'"}])
    return verify.build_verify_report("lab <1>", rows, generated="2026-11-22T19:00:00Z")


def test_report_orders_fails_first_and_counts():
    report = failing_report()
    statuses = [r["status"] for r in report["rows"]]
    assert statuses == sorted(statuses, key=lambda s: {"fail": 0, "warn": 1, "pass": 2}[s])
    assert report["totals"] == {"fail": 5, "warn": 2, "pass": statuses.count("pass")}
    assert report["healthy"] is False
    assert report["failing"][0] == "pod kube-system/coredns-7db6d8ff4d-4xk2p"
    assert "registry npu-01" in report["failing"]


def test_healthy_report():
    report = verify.build_verify_report("lab", run())
    assert report["healthy"] is True and report["failing"] == [] and report["totals"]["fail"] == 0
    assert "HEALTHY: " in verify.render_text(report).splitlines()[0]


def test_build_report_validates_rows():
    with pytest.raises(ValueError) as info:
        verify.build_verify_report("lab", [dict(EXTRA[0], status="bad")])
    assert "verify row 0 (nodeport gpu-01:30080): status 'bad'" in str(info.value)


def test_render_html_escapes_everything():
    html = verify.render_html(failing_report())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html and "&quot;quote&quot; &#x27;single&#x27;" in html
    assert "<title>Verify: lab &lt;1&gt;</title>" in html
    assert "NOT HEALTHY" in html
    assert html.index("coredns-7db6d8ff4d-4xk2p") < html.index("db-init-9f2lm") < html.index("nvidia.com/gpu=8")
    assert html.index('class="fail"') < html.index('class="warn"') < html.index('class="pass"')


def test_render_markdown_escapes_pipes_and_orders_fails_first():
    md = verify.render_markdown(failing_report())
    lines = md.splitlines()
    assert lines[0] == "# Cluster verification: lab &lt;1>"
    assert "NOT HEALTHY: " in lines[2]
    table = [line for line in lines if line.startswith("| ") and not line.startswith(("| status", "| ---"))]
    statuses = [line.split(" | ")[0][2:] for line in table]
    assert statuses == sorted(statuses, key=lambda s: {"FAIL": 0, "WARN": 1, "PASS": 2}[s])
    assert "x\\|y" in md and "&lt;script>" in md
    assert all(line.count(" | ") - line.count("\\| ") == 5 for line in table)


def test_render_text_is_fixed_width_and_fails_first():
    out = verify.render_text(failing_report(), width=160)
    lines = out.splitlines()
    assert lines[0].startswith("lab <1>: NOT HEALTHY: ")
    assert lines[1] == "Generated 2026-11-22T19:00:00Z."
    assert lines[2].split() == ["STATUS", "CHECK", "TARGET", "EXPECTED", "ACTUAL", "FIX"]
    body = lines[3:]
    assert all(len(line) <= 160 for line in lines)
    assert [line[:6].strip() for line in body] == sorted(
        (line[:6].strip() for line in body), key=lambda s: {"FAIL": 0, "WARN": 1, "PASS": 2}[s])
    assert body[0].startswith("FAIL   pod          kube-system/coredns-7db6d8ff4d-4xk2p")
    actual_col = lines[2].index("ACTUAL")
    assert all(line[actual_col - 1] == " " for line in body)
    assert "..." in out  # long cells are cut, not wrapped


@pytest.mark.parametrize("render", [verify.render_text, verify.render_markdown, verify.render_html])
def test_renderers_reject_what_is_not_a_report(render):
    with pytest.raises(ValueError) as info:
        render(run())
    assert "not a verification report" in str(info.value)


# --- the filter plugin ---------------------------------------------------------------------------


def test_filters_wrap_value_errors():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.aiplatform.cluster.plugins.filter.verify import FilterModule

    filters = FilterModule().filters()
    assert sorted(filters) == ["verify_certificates", "verify_cluster", "verify_html", "verify_markdown",
                               "verify_report", "verify_text"]
    rows = filters["verify_cluster"](EXPECTED, text("nodes_healthy.json"), text("pods_healthy.json"),
                                     text("pvc_bound.json"), text("storageclass.json"), extra=EXTRA[:1])
    report = filters["verify_report"](rows, "lab")
    assert report["healthy"] is True
    assert filters["verify_text"](report).startswith("lab: HEALTHY")
    with pytest.raises(AnsibleFilterError) as info:
        filters["verify_cluster"](EXPECTED, "The connection to the server localhost:8080 was refused", "{}")
    assert str(info.value).startswith("verify_cluster: kubectl get nodes -o json: not JSON")
    with pytest.raises(AnsibleFilterError) as info:
        filters["verify_html"]("oops")
    assert "verify_html: not a verification report" in str(info.value)
