"""The callback aiplatform.cluster.stage_summary: one table at the end of a run (issue 15).

Fake results are fed to the callback as Ansible feeds it; then a small playbook runs on localhost with the callback
enabled (and once without it: the guard's warning). The stage_stamp action's ``aiplatform_stage`` field is what
the "unchanged" column reads.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.callback import stage_summary as callback
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import inventory_guard
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.stage_summary import Summary, duration

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)


class Host(object):
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Task(object):
    def __init__(self, uuid):
        self._uuid = uuid


class Result(object):
    """What ansible-core < 2.19 passes (the _host/_task/_result attributes; 2.19 has both spellings)."""

    def __init__(self, host, task, result=None):
        self._host = Host(host)
        self._task = Task(task)
        self._result = result or {}


class Play(object):
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Display(object):
    def __init__(self):
        self.lines = []

    def banner(self, text):
        self.lines.append("== " + text)

    def display(self, text, *args, **kwargs):
        self.lines.append(text)

    def warning(self, text):
        self.lines.append("WARNING " + text)

    def vvv(self, text):
        self.lines.append("VVV " + text)


class Stats(object):
    processed = {"cp-01": 1}

    @staticmethod
    def summarize(host):
        return {"ok": 3, "changed": 1, "unreachable": 0, "failures": 0, "skipped": 0, "rescued": 0, "ignored": 0}


def plugin(times):
    cb = callback.CallbackModule()
    cb._display = Display()
    clock = iter(times)
    cb.clock = lambda: next(clock)
    return cb


def configure(cb, monkeypatch, env=None, **direct):
    """Its options, as Ansible's plugin loader registers them from DOCUMENTATION, then set_options."""
    from ansible import constants as C

    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    cb._load_name = callback.CallbackModule.CALLBACK_NAME
    C.config.initialize_plugin_configuration_definitions("callback", cb._load_name,
                                                         yaml.safe_load(callback.DOCUMENTATION)["options"])
    cb.set_options(direct=direct or None)


def stamp(stage, unchanged):
    return {"changed": False, "current": unchanged, "aiplatform_stage": {"stage": stage, "unchanged": unchanged}}


def feed(cb):
    cb.v2_playbook_on_play_start(Play("Check the inventory"))
    cb.v2_runner_on_ok(Result("localhost", "t0", {"changed": False}))
    cb.v2_playbook_on_play_start(Play("Node preparation"))
    for host in ("cp-01", "gpu-01", "gpu-02"):
        cb.v2_runner_on_ok(Result(host, "t1", stamp("node_init", host != "gpu-02")))
    cb.v2_runner_on_ok(Result("gpu-02", "t2", {"changed": True}))
    cb.v2_runner_on_failed(Result("gpu-02", "t3", {"msg": "boom"}))
    cb.v2_runner_on_failed(Result("cp-01", "t3", {"msg": "ignored"}), ignore_errors=True)
    cb.v2_runner_on_unreachable(Result("npu-01", "t1", {"unreachable": True}))
    cb.v2_runner_on_skipped(Result("cp-01", "t4"))
    # a play with no task run (--tags left it out): no row
    cb.v2_playbook_on_play_start(Play("GPU runtime"))
    cb.v2_playbook_on_play_start(Play("Preflight"))
    cb.v2_runner_on_ok(Result("cp-01", "t5", {"ansible_facts": {"aiplatform_reports": ["/s/acme/.aiplatform/reports/"
                                                                                       "acme-preflight.html"]}}))
    cb.v2_runner_on_ok(Result("cp-01", "t6", {"ansible_facts": {"aiplatform_reports": ["/s/acme/.aiplatform/reports/"
                                                                                       "acme-preflight.html"]}}))
    cb.v2_playbook_on_stats(Stats())


def test_table_from_fake_results():
    cb = plugin([0.0, 0.4, 125.0, 125.5, 200.0])
    feed(cb)
    lines = cb._display.lines
    assert lines[0] == "== STAGE SUMMARY"
    table = [line.split() for line in lines[1:]]
    assert table[0] == ["stage", "time", "hosts", "changed", "failed", "unreachable", "unchanged"]
    assert lines[2].split() == ["Check", "the", "inventory", "0s", "1", "0", "0", "0", "-"]
    # 4 hosts: a change on gpu-02, a failure on gpu-02 (the ignored one is not counted), npu-01 unreachable,
    # the stage record unchanged on cp-01 and gpu-01
    assert lines[3].split() == ["Node", "preparation", "2m05s", "4", "1", "1", "1", "2"]
    assert lines[4].split() == ["Preflight", "1m14s", "1", "0", "0", "0", "-"]
    assert lines[5].split() == ["total", "3m20s"]
    assert lines[6] == "Failed: Node preparation: gpu-02"
    assert lines[7] == "Unreachable: Node preparation: npu-01"
    assert lines[8] == "Reports: /s/acme/.aiplatform/reports/acme-preflight.html"  # once
    assert len(lines) == 9
    assert "GPU runtime" not in "\n".join(lines)


def test_summary_file(tmp_path, monkeypatch):
    cb = plugin([0.0, 0.4, 125.0, 125.5, 200.0])
    path = tmp_path / "summary.json"
    configure(cb, monkeypatch, env={"AIPLATFORM_STAGE_SUMMARY_FILE": str(path)})
    feed(cb)
    data = json.loads(path.read_text())
    # every play, in order; the one that ran no task says so
    assert [(s["name"], s["tasks"]) for s in data["stages"]] == [
        ("Check the inventory", 1), ("Node preparation", 3), ("GPU runtime", 0), ("Preflight", 2)]
    node = data["stages"][1]
    assert node["unchanged"] == ["cp-01", "gpu-01"] and node["records"] == ["node_init"]
    assert node["failed"] == ["gpu-02"] and node["unreachable"] == ["npu-01"] and node["changed"] == ["gpu-02"]
    assert node["tasks"] == 3 and node["seconds"] == 124.6  # t1, t2, t3 ran; t4 was skipped
    assert data["recap"]["cp-01"]["changed"] == 1
    assert data["reports"] == ["/s/acme/.aiplatform/reports/acme-preflight.html"]


def test_no_file_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIPLATFORM_STAGE_SUMMARY_FILE", raising=False)
    cb = plugin([0.0, 0.4, 125.0, 125.5, 200.0])
    configure(cb, monkeypatch)
    feed(cb)
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("stdout, silent", [("default", False), ("ansible.builtin.default", False), ("yaml", False),
                                            ("json", True), ("ansible.posix.json", True), ("ansible.posix.jsonl", True)])
def test_no_table_under_a_json_stdout_callback(tmp_path, monkeypatch, stdout, silent):
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", stdout)
    path = tmp_path / "summary.json"
    cb = plugin([0.0, 0.4, 125.0, 125.5, 200.0])
    configure(cb, monkeypatch, summary_file=str(path))
    feed(cb)
    assert (cb._display.lines == []) is silent
    assert json.loads(path.read_text())["stages"]  # the file is written either way


def test_many_failed_hosts_are_cut_short():
    summary = Summary()
    summary.play_start("Kubernetes", 0)
    for index in range(8):
        summary.result("n%d" % index, "t", "failed", {})
    assert summary.render()[-1] == "Failed: Kubernetes: n0, n1, n2, n3, n4 and 3 more"


def test_nothing_ran():
    summary = Summary()
    summary.play_start("Verify", 0)
    assert summary.render() == ["No stage ran a task."]


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.4, "59s"), (60, "1m00s"), (3599, "59m59s"),
                                           (3600, "1h00m"), (7384, "2h03m"), (-1, "0s")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_long_stage_names_are_cut():
    summary = Summary()
    summary.play_start("x" * 80, 0)
    summary.result("h", "t", "ok", {})
    assert summary.render()[1].startswith("x" * 37 + "... ")


# --- the stage record's field ----------------------------------------------------------------------------------

@pytest.mark.parametrize("module_result, expected", [
    ({"current": True, "reasons": []}, {"stage": "nfs", "unchanged": True}),
    ({"current": False, "reasons": ["inputs changed (vars)"]}, {"stage": "nfs", "unchanged": False}),
    ({"failed": True, "msg": "stamp dir unreadable"}, None),
])
def test_stage_stamp_action_returns_the_field(monkeypatch, module_result, expected):
    from ansible.plugins.action import ActionBase

    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    class FakeTask(object):
        args = {"stage": "nfs"}

    act = action.ActionModule.__new__(action.ActionModule)
    act._task = FakeTask()
    monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(act, "inputs", lambda *args: ("digest", {}), raising=False)
    monkeypatch.setattr(act, "timeout", lambda *args: 30.0, raising=False)
    monkeypatch.setattr(act, "_execute_module", lambda **kwargs: dict(module_result), raising=False)
    result = act.run(task_vars={"role_path": "/r/nfs", "inventory_hostname": "n1"})
    assert result.get("aiplatform_stage") == expected
    if expected and expected["unchanged"]:
        assert result["msg"].startswith("STAGE UNCHANGED: nfs on n1")


# --- the guard's warning ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("callbacks, warns", [
    ([], True), (["profile_tasks"], True), (["profile_tasks", " aiplatform.cluster.stage_summary"], False),
    (None, True)])
def test_summary_warning(callbacks, warns):
    text = inventory_guard.summary_warning(callbacks, "/sites/ansible.cfg")
    assert bool(text) is warns
    if warns:
        assert "not enabled in the ansible.cfg in use (/sites/ansible.cfg)" in text
        assert "callbacks_enabled = aiplatform.cluster.stage_summary" in text
        assert "ANSIBLE_CALLBACKS_ENABLED=aiplatform.cluster.stage_summary" in text


@pytest.mark.parametrize("path", ["ansible.cfg", "docs/examples/ansible.cfg"])
def test_the_shipped_ansible_cfgs_enable_it(path):
    import configparser

    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, path))
    assert [c.strip() for c in parser.get("defaults", "callbacks_enabled").split(",")] == [inventory_guard.CALLBACK]


# --- for real --------------------------------------------------------------------------------------------------

PLAYBOOK = [
    {"name": "Check the inventory", "ansible.builtin.import_playbook": os.path.join(ROOT, "playbooks", "guard.yml")},
    {"name": "First stage", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "A change", "ansible.builtin.command": "true"},
        {"name": "Where the report is", "ansible.builtin.set_fact": {"aiplatform_reports": ["/r/acme-verify.html"]}}]},
    {"name": "Second stage", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Fails", "ansible.builtin.fail": {"msg": "on purpose"}}]},
]


def run_playbook(tmp_path, callbacks):
    (tmp_path / "play.yml").write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                                        "ansible_python_interpreter": sys.executable}},
                                                 "vars": {"platform_config_file": str(inventory)}}}))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n%s\n[inventory]\nenable_plugins = yaml\n" % (
        ("callbacks_enabled = " + callbacks) if callbacks else ""))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_NOCOLOR="true", ANSIBLE_FORCE_COLOR="false", ANSIBLE_LOCAL_TEMP=str(tmp_path / ".tmp"),
               ANSIBLE_HOME=str(tmp_path / ".ansible"), AIPLATFORM_STAGE_SUMMARY_FILE=str(tmp_path / "s.json"))
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), str(tmp_path / "play.yml"), "-i", str(inventory)],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=False)
    return run.returncode, run.stdout + run.stderr


@pytest.mark.slow
def test_a_playbook_with_the_callback_enabled(tmp_path):
    rc, out = run_playbook(tmp_path, "aiplatform.cluster.stage_summary")
    assert rc == 2, out[-3000:]
    assert "not enabled" not in out
    summary = out[out.index("STAGE SUMMARY"):]
    assert out.index("PLAY RECAP") < out.index("STAGE SUMMARY")  # after Ansible's recap
    assert re.search(r"^Check the inventory\s+\d+s\s+1\s+0\s+0\s+0\s+-$", summary, re.M), summary
    assert re.search(r"^First stage\s+\d+s\s+1\s+1\s+0\s+0\s+-$", summary, re.M), summary
    assert re.search(r"^Second stage\s+\d+s\s+1\s+0\s+1\s+0\s+-$", summary, re.M), summary
    assert "Failed: Second stage: localhost" in summary
    assert "Reports: /r/acme-verify.html" in summary
    data = json.loads((tmp_path / "s.json").read_text())
    assert [s["name"] for s in data["stages"]] == ["Check the inventory", "First stage", "Second stage"]
    assert data["recap"]["localhost"]["failures"] == 1


@pytest.mark.slow
def test_without_the_callback_the_guard_warns_once(tmp_path):
    rc, out = run_playbook(tmp_path, "")
    assert rc == 2, out[-3000:]
    assert "STAGE SUMMARY" not in out
    flat = " ".join(out.split())
    assert flat.count("the callback aiplatform.cluster.stage_summary is not enabled") == 1, out[-3000:]
    assert "Fix: add 'callbacks_enabled = aiplatform.cluster.stage_summary' under [defaults]" in flat
    assert not (tmp_path / "s.json").exists()


def test_the_stage_line_of_a_record():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.stage_summary import stage_line

    record = dict(stamp("nfs", True), msg="STAGE UNCHANGED: nfs on n1 (inputs, files and\n   probes as its last run)")
    assert stage_line(record) == "  STAGE UNCHANGED: nfs on n1 (inputs, files and probes as its last run)"
    assert stage_line(dict(stamp("nfs", False), msg="stage nfs runs on n1: no record")) == (
        "  stage nfs runs on n1: no record")
    assert stage_line({"msg": "STAGE UNCHANGED: looks like one"}) is None  # not a stage record's result
    assert stage_line(stamp("nfs", True)) is None  # no message
    assert stage_line(None) is None


@pytest.mark.parametrize("stdout, printed", [("default", True), ("json", False)])
def test_each_record_prints_its_line_under_its_result(monkeypatch, stdout, printed):
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", stdout)
    cb = plugin([0.0, 1.0])
    cb.v2_playbook_on_play_start(Play("Shared storage"))
    cb.v2_runner_on_ok(Result("n1", "t1", dict(stamp("nfs", True), msg="STAGE UNCHANGED: nfs on n1 (as left)")))
    cb.v2_runner_on_ok(Result("n2", "t1", dict(stamp("nfs", False), msg="stage nfs runs on n2: no record")))
    cb.v2_runner_on_ok(Result("n2", "t2", {"changed": True, "msg": "other"}))
    expected = ["  STAGE UNCHANGED: nfs on n1 (as left)", "  stage nfs runs on n2: no record"]
    assert cb._display.lines == (expected if printed else [])


def test_preload_is_an_option(monkeypatch):
    calls = []
    monkeypatch.setattr(callback, "preload", lambda: calls.append(1) or (3, []))
    for env, count in ((None, 1), ("false", 1), ("true", 2)):
        cb = plugin([0.0])
        configure(cb, monkeypatch, env={"AIPLATFORM_PRELOAD_PLUGINS": env} if env else None)
        cb.v2_playbook_on_start(None)
        assert len(calls) == count, env
        assert cb._display.lines == (["VVV stage_summary: 3 plugins loaded before the first play"]
                                     if env != "false" else [])
