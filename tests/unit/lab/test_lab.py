"""lab/lab.py summary: how each stage ran in the lab and why not more, read from the JSON of the stage_summary
callback (stages skipped as unchanged counted per play, docs/stages.md)."""
import importlib.util
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_SPEC = importlib.util.spec_from_file_location("lab_py", os.path.join(ROOT, "lab", "lab.py"))
lab = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(lab)

RECAP = {"ok": 30, "changed": 0, "unreachable": 0, "failures": 0, "skipped": 4, "rescued": 0, "ignored": 0}
RUN = {
    "stages": [
        {"name": "Check the inventory", "tasks": 1, "seconds": 0.2, "unchanged": []},
        {"name": "Node preparation", "tasks": 12, "seconds": 125.0, "unchanged": ["lab-cp-01"],
         "records": ["node_init"]},
        {"name": "Container runtime", "tasks": 3, "seconds": 9.0, "unchanged": ["lab-cp-01", "lab-gpu-01"]},
        {"name": "GPU runtime", "tasks": 0, "seconds": 0.1, "unchanged": []},
        {"name": "Offline repository", "tasks": 0, "seconds": 0.0, "unchanged": []},
    ],
    "reports": [],
    "recap": {"lab-cp-01": RECAP, "lab-gpu-01": dict(RECAP, failures=1)},
}


def test_stage_rows_say_how_many_nodes_skipped_and_the_time():
    rows = dict((name, how) for name, how, _why in lab._stage_rows(RUN["stages"]))
    assert rows["Node preparation"] == "for real (12 tasks, 2m05s); skipped as unchanged on 1 node(s)"
    assert rows["Container runtime"] == "for real (3 tasks, 9s); skipped as unchanged on 2 node(s)"


def test_stage_rows_keep_the_why():
    rows = dict((name, (how, why)) for name, how, why in lab._stage_rows(RUN["stages"]))
    assert rows["GPU runtime"] == lab.STAGE_NOTES["GPU runtime"]
    assert rows["Offline repository"] == lab.STAGE_NOTES["Offline repository"]
    assert lab._stage_rows([{"name": "Shared storage", "tasks": 3, "seconds": 4}]) == [
        ("Shared storage", "for real, without exporting or mounting (3 tasks, 4s)",
         "this kernel has no NFS server or client")]
    assert lab._stage_rows([{"name": "Platform services", "tasks": 0}]) == [
        ("Platform services", "no task ran", "no cluster to apply to (docs/platform.md)")]


def test_summary_reads_the_callback_json(tmp_path, capsys):
    run = tmp_path / "lab-run.json"
    run.write_text(json.dumps(RUN))
    check = tmp_path / "lab-check.json"
    check.write_text(json.dumps({"stages": [{"name": "Kubernetes", "tasks": 40, "seconds": 60}],
                                 "recap": {"lab-cp-01": RECAP}}))
    assert lab.summary(str(run), str(check)) == 1  # lab-gpu-01 failed
    out = capsys.readouterr().out
    assert "  - Node preparation: for real (12 tasks, 2m05s); skipped as unchanged on 1 node(s). Why: " in out
    # a stage --skip-tags left out of the run entirely is listed with its reason
    assert "  - NPU runtime: skipped (--skip-tags npu). Why: " in out
    assert "  - Kubernetes (40 tasks)" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("lab-")] == [
        "lab-cp-01", "lab-gpu-01", "lab-cp-01"]


def test_summary_without_the_json_says_why(tmp_path, capsys):
    assert lab.summary(str(tmp_path / "missing.json")) == 1
    assert "was the callback aiplatform.cluster.stage_summary enabled?" in capsys.readouterr().out


def _hosts(nets, ips):
    return dict(("n%d" % i, {"node_ip": ip, "platform_network": {"node_networks": nets}}) for i, ip in enumerate(ips))


def test_lab_subnet_is_the_configs_node_network():
    assert lab.lab_subnet(_hosts(["172.31.240.0/24"], ["172.31.240.11"])) == "172.31.240.0/24"


def test_lab_subnet_without_node_networks_is_the_24_around_the_nodes():
    ips = ["172.31.250.11", "172.31.250.15"]
    assert lab.lab_subnet(_hosts(["%s/32" % ip for ip in ips], ips)) == "172.31.250.0/24"


def test_lab_subnet_without_node_networks_as_the_inventory_has_them_now():
    """The inventory leaves network.node_networks empty when the config does (no per-node list on every host)."""
    ips = ["172.31.250.11", "172.31.250.15"]
    assert lab.lab_subnet(_hosts([], ips)) == "172.31.250.0/24"
    try:
        lab.lab_subnet(_hosts([], ips + ["172.31.251.15"]))
    except SystemExit as exc:
        assert "n2 is outside it: set network.node_networks" in str(exc)
    else:
        raise AssertionError("no refusal")


def test_lab_subnet_refuses_nodes_outside_one_24():
    ips = ["172.31.250.11", "172.31.251.15"]
    try:
        lab.lab_subnet(_hosts(["%s/32" % ip for ip in ips], ips))
    except SystemExit as exc:
        assert "n1 is outside it: set network.node_networks" in str(exc)
    else:
        raise AssertionError("no refusal")


def test_the_inotify_cap_is_checked_before_containers_start():
    # 40 new nodes on a machine at the kernel's default cap (128) with 37 in use: stop, naming the fix
    problem = lab.inotify_problem(40, 128, 37)
    assert problem.startswith("lab: 40 more node(s) need about 357 inotify instances")
    assert "fs.inotify.max_user_instances is 128" in problem
    assert "sysctl -w fs.inotify.max_user_instances=512" in problem
    assert "sysctl -w fs.inotify.max_user_instances=1024" in lab.inotify_problem(100, 128, 37)
    # room enough, nothing new, or a figure unknown: no problem (the boot wait still has its own message)
    assert lab.inotify_problem(5, 128, 37) is None
    assert lab.inotify_problem(40, 8192, 37) is None
    assert lab.inotify_problem(0, 128, 127) is None
    assert lab.inotify_problem(40, None, 37) is None and lab.inotify_problem(40, 128, None) is None


def test_inotify_instances_are_counted_from_proc(tmp_path):
    for pid, targets in (("1", ["anon_inode:inotify", "/dev/null"]), ("22", ["anon_inode:inotify"] * 2),
                         ("33", [])):
        fd = tmp_path / pid / "fd"
        fd.mkdir(parents=True)
        for index, target in enumerate(targets):
            os.symlink(target, str(fd / str(index)))
    (tmp_path / "self").mkdir()  # not a process number
    (tmp_path / "44").mkdir()  # a process gone (no fd folder)
    assert lab.inotify_in_use(str(tmp_path)) == 3
    assert lab.inotify_in_use(str(tmp_path / "missing")) is None
