"""playbooks/verify.yml, read as data: read-only probes, check mode, the report files, the rows it hands
to verify_cluster. What it does on hosts is described in docs/verify.md (no cluster runs here)."""
import os
import re

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.inventory.platform_config import _trusted
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import verify

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAYBOOK = os.path.join(ROOT, "playbooks", "verify.yml")

with open(PLAYBOOK) as _handle:
    TEXT = _handle.read()
ENTRIES = yaml.safe_load(TEXT)
# The inventory check (playbooks/guard.yml, tests/unit/playbooks/test_guard.py) comes first; then verify's own plays.
PLAYS = [p for p in ENTRIES if "ansible.builtin.import_playbook" not in p]

COMMANDS = ("ansible.builtin.command", "ansible.builtin.shell")
PROBES = COMMANDS + ("ansible.builtin.uri",)


def tasks(items):
    """Every task, blocks flattened (a block itself is not yielded)."""
    for task in items or []:
        if "block" in task:
            for part in ("block", "rescue", "always"):
                for inner in tasks(task.get(part)):
                    yield inner
        else:
            yield task


def all_tasks():
    return [t for play in PLAYS for t in tasks(play.get("tasks"))]


def module(task):
    names = [k for k in task if k.startswith("ansible.builtin.") or k.startswith("aiplatform.")]
    assert len(names) == 1, "task %r: expected one fully qualified module, got %s" % (task.get("name"), names)
    return names[0]


def by_name(name):
    found = [t for t in all_tasks() if t.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def test_four_plays_all_tagged_verify():
    assert ENTRIES[0] == {"name": "Check the inventory", "ansible.builtin.import_playbook": "guard.yml"}
    assert len(ENTRIES) == len(PLAYS) + 1
    assert [p["hosts"] for p in PLAYS] == ["kube_control_plane[0]", "k8s_cluster", "k8s_cluster:registry",
                                           "kube_control_plane[0]"]
    for play in PLAYS:
        assert "verify" in play["tags"], play["name"]
        assert play["gather_facts"] is False, play["name"]


def test_every_task_is_named_and_fully_qualified():
    for task in all_tasks():
        assert task.get("name"), task
        module(task)


def test_commands_and_probes_read_state_in_check_mode_without_change():
    probes = [t for t in all_tasks() if module(t) in PROBES]
    assert len(probes) == 5  # kubectl, systemd-detect-virt, df; registry, kube-proxy
    for task in probes:
        assert task.get("check_mode") is False, task["name"]
        # a failed probe is a row of the report, not a failed run
        assert task.get("failed_when") is False, task["name"]
        if module(task) in COMMANDS:
            assert task.get("changed_when") is False, task["name"]


def test_no_task_changes_anything_on_the_nodes():
    allowed = {"ansible.builtin.stat", "ansible.builtin.slurp", "ansible.builtin.set_fact", "ansible.builtin.debug",
               "ansible.builtin.fail", "ansible.builtin.file", "ansible.builtin.copy",
               "aiplatform.cluster.cert_expiry", "ansible.builtin.assert"} | set(PROBES)
    for task in all_tasks():
        if module(task) == "ansible.builtin.meta":
            assert task["ansible.builtin.meta"] == "end_play", task["name"]  # ends a play, changes nothing
            continue
        assert module(task) in allowed, task["name"]
        if module(task) in ("ansible.builtin.file", "ansible.builtin.copy"):
            assert task.get("delegate_to") == "localhost", task["name"]


def test_tasks_on_the_control_machine_do_not_become_root():
    local = [t for t in all_tasks() if t.get("delegate_to") == "localhost"]
    assert len(local) == 3  # the report directory and files; the site CA's expiry
    for task in local:
        assert task.get("become") is False, task["name"]


def test_report_files_0640_next_to_the_preflight_report():
    write = by_name("Write the report (Markdown, HTML, JSON)")
    copy = write["ansible.builtin.copy"]
    assert copy["mode"] == "0640"
    assert copy["content"] == "{{ item.content }}"
    assert "src" not in copy
    assert sorted(item["ext"] for item in write["loop"]) == ["html", "json", "md"]
    # an output of the run, written in check mode too, never a change
    assert write["check_mode"] is False and write["changed_when"] is False
    directory = by_name("Create the report directory")
    assert directory["ansible.builtin.file"]["mode"] == "0750"
    assert directory["check_mode"] is False and directory["changed_when"] is False
    report_vars = PLAYS[-1]["vars"]
    assert "preflight_report_dir" in report_vars["__verify_report_dir"]
    assert "aiplatform_report_dir" in report_vars["__verify_report_dir"]
    assert "'/.aiplatform')) ~ '/reports'" in report_vars["__verify_report_dir"]
    assert "PWD" not in report_vars["__verify_report_dir"]
    assert report_vars["__verify_report_file"].endswith("/{{ __verify_cluster }}-verify")


def test_report_header_names_the_config_and_leaves_the_time_to_the_filter():
    # the filter stamps the time (UTC) and the collection's version; the playbook passes the config file
    build = " ".join(by_name("Build the report")["ansible.builtin.set_fact"]["__verify_report"].split())
    assert "verify_report(__verify_cluster, config_file=platform_config_file | default(''))" in build
    for needle in ("now(", "ansible_date_time", "lookup('pipe'"):
        assert needle not in TEXT, needle
    json_item = [i for i in by_name("Write the report (Markdown, HTML, JSON)")["loop"] if i["ext"] == "json"][0]
    assert "to_nice_json" in json_item["content"]  # sorted keys
    assert by_name("Where the report is")["ansible.builtin.set_fact"]["aiplatform_reports"] == [
        "{{ __verify_report_file }}.html"]


def test_fails_only_at_the_very_end_after_the_report():
    report = list(tasks(PLAYS[-1]["tasks"]))
    names = [t["name"] for t in report]
    assert names[-1] == "Stop on failed checks"
    assert names.index("Write the report (Markdown, HTML, JSON)") < names.index("The table") < names.index("Summary")
    stop = report[-1]
    assert module(stop) == "ansible.builtin.fail"
    assert "__verify_report_file" in stop["ansible.builtin.fail"]["msg"]
    assert "not __verify_warn_only | bool" in stop["when"]
    assert "not ansible_check_mode" in stop["when"]
    fails = [t["name"] for t in all_tasks() if module(t) == "ansible.builtin.fail"]
    assert fails == ["Stop when there is no cluster to verify", "Stop on failed checks"]


def test_missing_admin_conf_is_said_in_check_mode_or_without_lifecycle_and_fails_otherwise():
    said = by_name("Say what cannot be checked without a cluster")
    assert said["when"] == ["not __verify_asked | bool",
                            "ansible_check_mode or not kubeadm_lifecycle | default(true) | bool"]
    msg = said["ansible.builtin.debug"]["msg"]
    assert "'Check mode: ' if ansible_check_mode else 'kubeadm_lifecycle is false: '" in msg
    assert "cannot be asked" in msg and "verify would check" in msg
    stop = by_name("Stop when there is no cluster to verify")
    assert stop["when"] == ["not __verify_asked | bool", "not ansible_check_mode",
                            "kubeadm_lifecycle | default(true) | bool"]
    assert "{{ inventory_hostname }}" in stop["ansible.builtin.fail"]["msg"]
    assert "--tags kubeadm" in stop["ansible.builtin.fail"]["msg"]
    # without the cluster nothing else runs: the later plays wait for it
    assert PLAYS[0]["any_errors_fatal"] is True
    # (the per-node plays end for every node at once, in one step of ansible-playbook's own, docs/performance.md)
    for play in PLAYS[1:]:
        whens = [t.get("when") for t in play["tasks"]]
        assert whens in (["not __verify_probe | bool", "__verify_probe | bool"], ["__verify_asked | bool"]), whens
        if len(whens) == 2:
            assert play["tasks"][0]["ansible.builtin.meta"] == "end_play"
    assert sum(len(p["tasks"]) == 2 for p in PLAYS[1:]) == 2  # probe every node, certificates


def test_every_kubectl_call_reads_through_admin_conf():
    get = by_name("Ask the API server (kubectl get ... -o json)")
    assert PLAYS[0]["vars"]["__verify_kubeconfig"] == "/etc/kubernetes/admin.conf"
    assert [item["args"][:2] for item in get["loop"]] == [
        ["get", "nodes"], ["get", "pods"], ["get", "pvc"], ["get", "storageclass"]]
    assert get["ansible.builtin.command"]["argv"] == "{{ __verify_kubectl + item.args + ['-o', 'json'] }}"


def test_registry_probe_with_the_site_ca_and_401_is_up():
    probe = by_name("Does the local registry answer, and refuse a call without credentials (401)")["ansible.builtin.uri"]
    assert probe["status_code"] == [200, 401]
    assert "__verify_site_ca" in probe["ca_path"]
    assert "/pki/ca.crt" in by_name("Work out what to check")["ansible.builtin.set_fact"]["__verify_ca"]
    proxy = by_name("Is kube-proxy healthy (http://127.0.0.1:10256/healthz)")
    assert proxy["ansible.builtin.uri"]["url"] == "http://127.0.0.1:10256/healthz"
    assert proxy["when"] == "__verify_kubelet_conf.stat.exists or not ansible_check_mode"


def _rows():
    """Every row the playbook builds itself (literal dicts with a check key), by where they are."""
    found = {}

    def walk(node, where):
        if isinstance(node, dict):
            if "check" in node and "status" in node:
                found[where] = node
            for key, value in node.items():
                walk(value, "%s.%s" % (where, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, "%s[%d]" % (where, index))

    walk(PLAYS, "plays")
    return found


def test_rows_built_here_have_the_keys_validate_rows_takes():
    rows = _rows()
    checks = sorted(r["check"] for r in rows.values())
    assert checks == ["api-server", "kube-proxy", "nodeport", "npu-exporter", "probe", "registry", "registry",
                      "storage"]
    for where, row in rows.items():
        assert set(row) <= set(verify.ROW_KEYS), where
        for key in ("check", "target", "status"):
            assert row.get(key), "%s: %s" % (where, key)
        status = row["status"]
        if "{{" not in status:
            assert status in verify.STATUSES, where
        else:
            # every status literal of a templated status is one verify accepts
            assert set(re.findall(r"'(\w+)'", status)) <= set(verify.STATUSES), where


def test_filters_used_exist():
    from ansible_collections.aiplatform.cluster.plugins.filter.verify import FilterModule

    from ansible_collections.aiplatform.cluster.plugins.filter.paths import FilterModule as PathFilters
    from ansible_collections.aiplatform.cluster.plugins.test.safe_path import TestModule as PathTests

    # cert_expiry is a module; the report directory is checked with the path rules (safe_path, path_problem)
    used = set(re.findall(r"aiplatform\.cluster\.(\w+)", TEXT)) - {"cert_expiry", "safe_path", "path_problem"}
    assert used == {"verify_cluster", "verify_report", "verify_markdown", "verify_html", "verify_text",
                    "verify_certificates"}
    assert used <= set(FilterModule().filters())
    assert "path_problem" in PathFilters().filters() and "safe_path" in PathTests().tests()


@pytest.mark.parametrize("name", ["verify_warn_only", "verify_report_dir", "verify_namespaces",
                                  "verify_storage_warn_percent", "verify_storage_fail_percent",
                                  "verify_cert_warn_days", "verify_cert_fail_days"])
def test_inputs_are_read_with_a_default(name):
    # inventory or -e may set them; play vars would hide the inventory's value
    assert re.search(r"\b%s \| default\(" % name, TEXT), name
    for play in PLAYS:
        assert name not in (play.get("vars") or {}), name


# --- the rows' templates, rendered by Ansible's own templar on recorded probe results --------------
# Ansible 2.19 templates only what is trusted: the playbook's own strings are tagged as such here, the
# probe results (data) are not. Older ansible-core has no trust_as_template: these tests skip there.

try:
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
except ImportError:  # pragma: no cover - ansible-core < 2.19
    trust_as_template = None

needs_templar = pytest.mark.skipif(trust_as_template is None, reason="needs ansible-core >= 2.19 (trust_as_template)")


def render(task_name, fact, data):
    """The fact ``fact`` that task ``task_name`` sets, with ``data`` as the other variables."""
    task = by_name(task_name)
    variables = dict(data)
    variables.update(_trusted(task.get("vars") or {}))
    return Templar(loader=DataLoader(), variables=variables).template(
        _trusted(task["ansible.builtin.set_fact"][fact]))


SHARE = {"name": "share", "server": "nfs-01", "export_path": "/srv/nfs/share", "mount_point": "/mnt/share"}
DF_HEAD = "Filesystem                 Type      1B-blocks          Used         Avail Mounted on"


def df_result(line=None, rc=0, stderr=""):
    lines = [DF_HEAD, line] if line else []
    return {"item": SHARE, "rc": rc, "stdout": "\n".join(lines), "stdout_lines": lines, "stderr": stderr}


def storage_row(result, container=False):
    return render("Judge the usage of the NFS shares", "__verify_storage_rows",
                  {"__verify_storage_rows": [], "item": result, "inventory_hostname": "cp-01",
                   "__verify_virt": {"rc": 0 if container else 1}})[0]


def nfs_line(percent, size=1099511627776):
    used = size * percent // 100
    return "10.0.0.41:/srv/nfs/share   nfs4  %d %d %d /mnt/share" % (size, used, size - used)


@needs_templar
@pytest.mark.parametrize("percent, status", [(42, "pass"), (85, "warn"), (94, "warn"), (95, "fail"), (100, "fail")])
def test_storage_row_thresholds(percent, status):
    row = storage_row(df_result(nfs_line(percent)))
    assert row["status"] == status
    assert row["target"] == "cp-01:/mnt/share"
    assert row["actual"].startswith("%d%% used (" % percent)
    assert "nfs4 from 10.0.0.41:/srv/nfs/share" in row["actual"]
    assert set(verify.validate_rows([row])[0]) == set(verify.ROW_KEYS)
    if status != "pass":
        assert "free space on nfs-01:/srv/nfs/share" in row["fix"]


@needs_templar
@pytest.mark.parametrize("result, container, status, actual, fix", [
    (df_result("/dev/sda1 ext4 100 10 90 /"), False, "fail", "not mounted (the mount point is on /, ext4)",
     "--tags nfs"),
    (df_result("/dev/sda1 ext4 100 10 90 /"), True, "warn", "not mounted (the mount point is on /, ext4)",
     "a container mounts no NFS"),
    (df_result(rc=1, stderr="df: /mnt/share: No such file or directory"), False, "fail",
     "not mounted (df: /mnt/share: No such file or directory)", "--tags nfs"),
    (df_result(rc=124), False, "fail", "df did not answer in 10 s", "the NFS server nfs-01 does not answer"),
    (df_result(rc=124), True, "fail", "df did not answer in 10 s", "the NFS server nfs-01 does not answer"),
])
def test_storage_row_not_mounted(result, container, status, actual, fix):
    row = storage_row(result, container)
    assert (row["status"], row["actual"]) == (status, actual)
    assert fix in row["fix"]


MANIFEST = """apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.31.4
    command: [kube-apiserver, --advertise-address=10.0.0.11, %s--service-cluster-ip-range=10.96.0.0/12]
"""


def nodeport_row(manifest, expected="30000-32767"):
    import base64

    slurped = ({"content": base64.b64encode(manifest.encode()).decode(), "encoding": "base64"}
               if manifest is not None else {"failed": True, "msg": "file not found: /etc/kubernetes/manifests/x"})
    return render("Keep kubectl's answers; judge the API server's NodePort range", "__verify_cp_rows",
                  {"__verify_manifest": slurped, "__verify_port_range": expected, "inventory_hostname": "cp-01",
                   "__verify_apiserver_manifest": "/etc/kubernetes/manifests/kube-apiserver.yaml"})[0]


@needs_templar
@pytest.mark.parametrize("flag, expected, status, actual", [
    ("--service-node-port-range=30000-32767, ", "30000-32767", "pass", "30000-32767"),
    ("--service-node-port-range=30000-49999, ", "30000-49999", "pass", "30000-49999"),
    ("--service-node-port-range=30000-32767, ", "30000-49999", "fail", "30000-32767"),
    ("", "30000-32767", "pass", "30000-32767"),  # kube-apiserver's default
    ("", "30000-40000", "fail", "30000-32767"),
])
def test_nodeport_row(flag, expected, status, actual):
    row = nodeport_row(MANIFEST % flag, expected)
    assert (row["check"], row["expected"], row["actual"], row["status"]) == ("nodeport", expected, actual, status)
    if status == "fail":
        assert "set network.node_port_range to %s" % actual in row["fix"]


@needs_templar
def test_nodeport_row_without_manifest():
    row = nodeport_row(None)
    assert row["status"] == "fail"
    assert row["actual"].startswith("no /etc/kubernetes/manifests/kube-apiserver.yaml: file not found")


SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
REFUSED = {"status": -1, "msg": "Status code was -1 and not [200, 401]: Request failed: "
                                "<urlopen error [Errno 111] Connection refused>"}


def node_rows(registry=None, proxy=None, reg=None, host="gpu-01", groups=None, services=None, check_mode=False):
    reg = reg if reg is not None else {"enabled": True, "tls": True, "address": "10.0.0.11:5000"}
    return render("Judge the answers", "__verify_node_rows", {
        "__verify_reg": reg, "__verify_reg_url": "https://%s/v2/" % reg["address"],
        "__verify_site_ca": "/etc/aiplatform/pki/ca.crt", "inventory_hostname": host,
        "__verify_registry_answer": registry if registry is not None else {"status": 401},
        "__verify_proxy_answer": proxy if proxy is not None else {"status": 200},
        "groups": groups or {"ascend_npu": []}, "platform_services": services or {}, "ansible_check_mode": check_mode})


@needs_templar
def test_node_rows_healthy():
    rows = node_rows()
    assert [(r["check"], r["status"]) for r in rows] == [("registry", "pass"), ("kube-proxy", "pass")]
    assert rows[0]["actual"] == "https://10.0.0.11:5000/v2/: HTTP 401 (up, asks for credentials)"
    assert verify.validate_rows(rows) == rows


@needs_templar
def test_registry_answering_anonymous_calls_fails():
    row = node_rows(registry={"status": 200})[0]
    assert row["status"] == "fail"
    assert row["actual"] == ("https://10.0.0.11:5000/v2/: HTTP 200 without credentials: anyone who reaches it can "
                             "push or replace images")
    assert "--tags registry" in row["fix"]


@needs_templar
@pytest.mark.parametrize("answer, actual, fix", [
    (REFUSED, "no answer: Request failed: <urlopen error [Errno 111] Connection refused>",
     "systemctl status docker-registry"),
    ({"status": -1, "msg": "Status code was -1 and not [200, 401]: Request failed: <urlopen error [SSL: "
                           "CERTIFICATE_VERIFY_FAILED] certificate verify failed>"},
     "CERTIFICATE_VERIFY_FAILED", "--tags pki,registry"),
    ({"status": 503, "msg": "Status code was 503 and not [200, 401]: HTTP Error 503"}, "HTTP 503", "systemctl status"),
    (SKIPPED, "the site CA /etc/aiplatform/pki/ca.crt is missing", "--tags pki"),
])
def test_registry_row_fails(answer, actual, fix):
    row = node_rows(registry=answer)[0]
    assert row["status"] == "fail"
    assert actual in row["actual"]
    assert fix in row["fix"]


@needs_templar
def test_registry_off_gives_no_node_row():
    rows = node_rows(registry=SKIPPED, reg={"enabled": False, "tls": True, "address": ""})
    assert [r["check"] for r in rows] == ["kube-proxy"]


@needs_templar
@pytest.mark.parametrize("answer, status, actual", [
    (REFUSED, "fail", "no answer on 127.0.0.1:10256: Request failed: <urlopen error [Errno 111] Connection refused>"),
    ({"status": 503, "msg": "Status code was 503 and not [200]"}, "fail", "HTTP 503: its rules are not in sync"),
    (SKIPPED, "warn", "not probed: check mode, and the node has not joined (no /etc/kubernetes/kubelet.conf)"),
])
def test_kube_proxy_row(answer, status, actual):
    row = node_rows(proxy=answer)[1]
    assert (row["check"], row["status"], row["actual"]) == ("kube-proxy", status, actual)


@needs_templar
@pytest.mark.parametrize("services, warned", [
    ({}, True), ({"monitoring": True, "npu_exporter_image": ""}, True),
    ({"monitoring": True, "npu_exporter_image": "swr.example/npu-exporter:v26.0.0"}, False),
    ({"monitoring": False}, False),
])
def test_npu_node_without_exporter_warns(services, warned):
    rows = node_rows(host="npu-01", groups={"ascend_npu": ["npu-01"]}, services=services)
    assert [r["check"] for r in rows if r["status"] == "warn"] == (["npu-exporter"] if warned else [])
    assert node_rows(host="gpu-01", groups={"ascend_npu": ["npu-01"]}, services=services)[-1]["check"] == "kube-proxy"


@needs_templar
@pytest.mark.parametrize("services, groups, namespaces", [
    ({}, {"nvidia_gpu": ["gpu-01"]}, ["nvidia-device-plugin", "monitoring"]),
    ({}, {"nvidia_gpu": []}, ["monitoring"]),
    ({"nvidia_device_plugin": False, "monitoring": False}, {"nvidia_gpu": ["gpu-01"]}, []),
    ({"monitoring": False, "volcano": True, "application": {"chart": "repo/aiplatform"}}, {},
     ["volcano-system", "aiplatform"]),
    ({"monitoring": False, "application": {"manifests_dir": "/srv/app", "namespace": "dlws"}}, {}, ["dlws"]),
])
def test_namespaces_follow_the_services(services, groups, namespaces):
    assert render("Work out what to check", "__verify_namespaces",
                  {"platform_services": services, "groups": groups}) == namespaces
