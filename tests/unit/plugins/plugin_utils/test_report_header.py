"""Reports people keep (issue 15): every preflight and verify report says when (UTC), by which collection version
and from which config; it lands in <config dir>/.aiplatform/reports; preflight writes one even when no node
answers (each node unreachable, with the fix).

The last test runs preflight.yml for real against a site whose nodes all point at an unused port of 127.0.0.1.
"""

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.filter.preflight import FilterModule as PreflightFilters
from ansible_collections.aiplatform.cluster.plugins.filter.verify import FilterModule as VerifyFilters
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import preflight, report_header, verify
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import collection_info

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")
PF = PreflightFilters().filters()
VF = VerifyFilters().filters()
HEADER = dict(generated="2026-12-05T14:18:48Z", collection_version="1.2.3", config_file="/sites/acme/config.yaml")
SENTENCE = "Generated 2026-12-05T14:18:48Z by aiplatform.cluster 1.2.3 from the platform config /sites/acme/config.yaml."


def galaxy_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return str(yaml.safe_load(handle)["version"])


# --- the collection's version and the time -------------------------------------------------------------------

def test_version_of_the_checkout_is_galaxy_yml_s():
    assert collection_info.collection_version() == galaxy_version()
    assert re.match(r"^\d+\.\d+\.\d+", collection_info.collection_version())


def test_version_of_an_installed_collection_is_manifest_json_s(tmp_path):
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.0.1"}}))
    (tmp_path / "galaxy.yml").write_text("version: 9.9.9\n")  # MANIFEST.json wins (an installed collection has no galaxy.yml)
    assert collection_info.collection_version(str(tmp_path)) == "2.0.1"


@pytest.mark.parametrize("files, expected", [
    ({"galaxy.yml": "namespace: aiplatform\nversion: '0.4.0'  # next\n"}, "0.4.0"),
    ({"MANIFEST.json": "not json", "galaxy.yml": "version: 0.5.0\n"}, "0.5.0"),
    ({"MANIFEST.json": json.dumps({"collection_info": {}}), "galaxy.yml": "name: cluster\n"}, "unknown"),
    ({}, "unknown"),
])
def test_version_falls_back_and_never_raises(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert collection_info.collection_version(str(tmp_path)) == expected


def test_utc_now_is_iso_utc_to_the_second():
    assert collection_info.utc_now(datetime.datetime(2026, 12, 5, 14, 18, 48, 999)) == "2026-12-05T14:18:48Z"
    now = collection_info.utc_now()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", now)
    stamped = datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ")
    assert abs((datetime.datetime.utcnow() - stamped).total_seconds()) < 60


# --- the header in every report --------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    (HEADER, SENTENCE),
    (dict(HEADER, config_file=None), "Generated 2026-12-05T14:18:48Z by aiplatform.cluster 1.2.3."),
    (dict(generated=None, collection_version="1.2.3", config_file="/c.yaml"),
     "By aiplatform.cluster 1.2.3 from the platform config /c.yaml."),
    ({}, ""),
])
def test_header_sentence(fields, expected):
    assert report_header.text(report_header.fields(**fields)) == expected


def preflight_report(**header):
    nodes = {"gpu-01": [preflight.result("os", "pass", "Ubuntu 22.04")],
             "cpu-01": PF["preflight_unreachable"]("cpu-01", "ssh: connect to host 10.0.0.5 port 22: No route")}
    return preflight.build_report("acme", nodes, **header)


def test_preflight_report_carries_the_header_in_every_format():
    report = preflight_report(**HEADER)
    assert {k: report[k] for k in report_header.FIELDS} == HEADER
    assert json.loads(json.dumps(report))["config_file"] == "/sites/acme/config.yaml"
    assert SENTENCE in preflight.render_markdown(report).splitlines()[2]
    assert SENTENCE in preflight.render_html(report)


def test_verify_report_carries_the_header_in_every_format():
    rows = [{"check": "node", "target": "gpu-01", "expected": "Ready", "actual": "Ready", "status": "pass", "fix": ""}]
    report = verify.build_verify_report("acme", rows, **HEADER)
    assert {k: report[k] for k in report_header.FIELDS} == HEADER
    assert SENTENCE in verify.render_markdown(report)
    assert SENTENCE in verify.render_html(report)
    assert verify.render_text(report).splitlines()[1] == SENTENCE


@pytest.mark.parametrize("filters, name, args", [
    (PF, "preflight_report", ({"n": [preflight.result("os", "pass", "ok")]}, "acme")),
    (VF, "verify_report", ([{"check": "c", "target": "t", "status": "pass"}], "acme")),
])
def test_the_filters_stamp_time_and_version_and_take_the_config(filters, name, args):
    report = filters[name](*args, config_file="/sites/acme/config.yaml")
    assert report["collection_version"] == galaxy_version()
    assert report["config_file"] == "/sites/acme/config.yaml"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", report["generated"])
    assert filters[name](*args, generated="then")["generated"] == "then"


# --- no node answers -------------------------------------------------------------------------------------------

def test_unreachable_node_says_what_ansible_said_and_the_fix():
    [check] = PF["preflight_unreachable"]("gpu-01", "Task failed: Failed to connect to the host via ssh: ssh: "
                                          "connect to host 10.0.0.5 port 2222: Connection refused",
                                          "10.0.0.5", 2222, "ops")
    assert check["check"] == "network" and check["status"] == "fail"
    assert check["detail"] == ("the control machine could not reach or probe gpu-01: Failed to connect to the host "
                               "via ssh: ssh: connect to host 10.0.0.5 port 2222: Connection refused")
    assert check["fix"].startswith("from the control machine: ssh -p 2222 ops@10.0.0.5 true")
    assert "ssh.port" in check["fix"] and "ssh.user" in check["fix"]
    # nothing known but the name: still a failure with a fix
    [bare] = PF["preflight_unreachable"]("gpu-01")
    assert bare["detail"] == "the control machine could not reach or probe gpu-01"
    assert "ssh -p 22 gpu-01 true" in bare["fix"]


def test_report_of_a_cluster_where_no_node_answers():
    hosts = ["cpu-01", "gpu-01", "npu-01"]
    nodes = dict((h, PF["preflight_unreachable"](h, "Connection refused", "127.0.0.1", 9, "ops")) for h in hosts)
    report = preflight.build_report("acme", nodes, **HEADER)
    assert report["ready"] is False and report["failing_nodes"] == hosts
    assert report["totals"]["fail"] == 3 and report["totals"]["pass"] == 0
    unmet = preflight.unmet(report)
    assert len(unmet) == 3 and all("Fix: from the control machine: ssh -p 9 ops@127.0.0.1 true" in u for u in unmet)
    md = preflight.render_markdown(report)
    assert "NOT READY: 3 node(s), 3 failed check(s)" in md
    assert all("**%s** Node network (fail)" % h in md for h in hosts)


# --- the role and the playbook ---------------------------------------------------------------------------------

def _load(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


def test_preflight_keeps_an_unreachable_node_in_the_play():
    # one probe per node, kept in the play when it cannot be reached or fails; the judge (once, on the control
    # machine) turns that into the node's failed network check (test_preflight.py, test_judge_*)
    [probe] = _load("roles/preflight/tasks/probe.yml")
    assert "aiplatform.cluster.node_probe" in probe and probe["ignore_unreachable"] is True
    assert probe["ignore_errors"] is True and probe["register"] == "__preflight_node"
    assert "when" not in probe
    tasks = _load("roles/preflight/tasks/main.yml")
    [once] = [t for t in tasks if "block" in t]
    assert once["run_once"] is True and once["delegate_to"] == "localhost"
    judge = once["block"][0]["ansible.builtin.set_fact"]["__preflight_by_host"]
    assert "preflight_judge(ansible_play_hosts_all, ansible_play_hosts" in judge and "'__preflight_node'" in judge
    assert once["block"][1] == {"name": "Write the readiness report and stop on unmet requirements",
                                "ansible.builtin.import_tasks": "report.yml"}


def test_report_directory_and_modes():
    defaults = _load("roles/preflight/defaults/main.yml")
    assert "aiplatform_report_dir" in defaults["preflight_report_dir"]
    assert "platform_artifacts_dir" in defaults["preflight_report_dir"]
    assert "PWD" not in defaults["preflight_report_dir"]
    report = dict((t["name"], t) for t in _load("roles/preflight/tasks/report.yml"))
    assert report["Create the report directory"]["ansible.builtin.file"]["mode"] == "0750"
    assert report["Write the report (JSON, Markdown, HTML)"]["ansible.builtin.copy"]["mode"] == "0640"
    assert "config_file=platform_config_file" in report["Build the readiness report"]["ansible.builtin.set_fact"][
        "__preflight_report"]


def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on return: nothing listens there


def _preflight_where_no_node_answers(tmp_path, *extra):
    """Run preflight.yml on the DLWS fixture with every node at an unused port: (base dir, port, run)."""
    base = tmp_path / "sites"
    (base / "acme").mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "dlws_apulis_atlas.yaml"), str(base / "acme" / "config.yaml"))
    (base / "ansible.cfg").write_text("[defaults]\ncallbacks_enabled = aiplatform.cluster.stage_summary\n"
                                      "[inventory]\nenable_plugins = aiplatform.cluster.platform_config, host_list\n")
    port = unused_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(base / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_NOCOLOR="true", ANSIBLE_FORCE_COLOR="false", ANSIBLE_LOCAL_TEMP=str(base / ".tmp"),
               ANSIBLE_HOME=str(base / ".ansible"))
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "preflight.yml"),
                          "-i", "acme", "-e", "ansible_host=127.0.0.1", "-e", "ansible_port=%d" % port,
                          "-e", "ansible_user=nobody"] + list(extra),
                         cwd=str(base), env=env, capture_output=True, text=True, timeout=180, check=False)
    return base, port, run


@pytest.mark.slow
def test_preflight_writes_the_report_when_no_node_answers(tmp_path):
    base, port, run = _preflight_where_no_node_answers(tmp_path)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    reports = base / "acme" / ".aiplatform" / "reports"
    assert sorted(os.listdir(str(reports))) == ["atlas-preflight.html", "atlas-preflight.json", "atlas-preflight.md"]
    assert oct(os.stat(str(reports)).st_mode & 0o777) == "0o750"
    assert oct(os.stat(str(reports / "atlas-preflight.json")).st_mode & 0o777) == "0o640"
    report = json.loads((reports / "atlas-preflight.json").read_text())
    assert report["ready"] is False
    assert report["config_file"] == str(base / "acme" / "config.yaml")
    assert report["collection_version"] == galaxy_version()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", report["generated"])
    hosts = ["atlas-gpu01", "atlas-gpu02", "atlas01", "atlas02"]
    assert report["failing_nodes"] == hosts
    for row in report["nodes"]:
        network = row["checks"]["network"]
        assert network["status"] == "fail" and "port %d" % port in network["detail"], network
        assert network["fix"].startswith("from the control machine: ssh -p %d nobody@127.0.0.1 true" % port)
    # the stage summary names them and the report
    summary = out[out.index("STAGE SUMMARY"):]
    assert re.search(r"^Preflight\s+\S+\s+4\s+0\s+\d\s+4\s+-$", summary, re.M), summary
    assert "Unreachable: Preflight: %s" % ", ".join(hosts) in summary
    assert "Reports: %s" % (reports / "atlas-preflight.html") in summary


@pytest.mark.slow
def test_a_report_directory_that_is_a_system_directory_is_refused_before_anything_is_written(tmp_path):
    mode = os.stat("/etc").st_mode
    _base, _port, run = _preflight_where_no_node_answers(tmp_path, "-e", "aiplatform_report_dir=/etc")
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert "The report directory '/etc' is a system directory" in out, out[-3000:]
    assert os.stat("/etc").st_mode == mode and not os.path.exists("/etc/atlas-preflight.json")
