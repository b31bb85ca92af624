"""The offline bundle's files besides packages and images, through the role's own tasks (one ansible-playbook run
each): the application chart fetched from a Helm repository (index.yaml served over HTTP on this machine) at its
pinned version and verified against the index's digest, the Ascend installer copied per architecture, both
recorded with their sha256; and at the site, the control machine taking them out of the bundle, checked against
the manifest (roles/offline/tasks/bundle_files.yml, from_bundle.yml)."""
import hashlib
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import threading

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import offline_plan as op

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INSTALLER = "Ascend-docker-runtime_6.0.0_linux-aarch64.run"


def playbook(tmp_path, tasks, name="play.yml"):
    """Run ``tasks`` on localhost; the JSON callback's result: (tasks by name -> host result, stats)."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", str(path)], env=env, capture_output=True, text=True, timeout=300, check=False,
                         cwd=str(tmp_path))
    try:
        out = json.loads(run.stdout)
    except ValueError:
        raise AssertionError(run.stdout[-3000:] + run.stderr[-3000:])
    results = {}
    for play in out["plays"]:
        for task in play["tasks"]:
            results.setdefault(task["task"]["name"], task["hosts"].get("localhost", {}))
    return results, out["stats"]["localhost"]


def _chart_tgz(tmp_path):
    """A minimal chart packed as helm does (one top directory)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("aiplatform/Chart.yaml", "apiVersion: v2\nname: aiplatform\nversion: 2.1.0\n"),
                           ("aiplatform/values.yaml", "image: registry.example/apulis/web:2.1.0\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def chart_repo(tmp_path):
    """A Helm repository served over HTTP on 127.0.0.1: index.yaml (relative URL, sha256 digest) and the chart."""
    repo = tmp_path / "repo"
    (repo / "charts").mkdir(parents=True)
    data = _chart_tgz(tmp_path)
    (repo / "charts" / "aiplatform-2.1.0.tgz").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (repo / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": {"aiplatform": [
        {"name": "aiplatform", "version": "2.1.0", "digest": digest, "urls": ["charts/aiplatform-2.1.0.tgz"]}]}}))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(repo), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": "http://127.0.0.1:%d/" % server.server_address[1], "digest": digest, "data": data, "dir": repo}
    server.shutdown()


def _site(installer, application):
    """A site with an Ascend arm64 node and a CPU amd64 node, as the offline role feeds it to the plan."""
    return {
        "kubernetes_version": "1.31.4", "cluster": {"kubernetes_version": "1.31.4"}, "network": {},
        "mirrors": {"kubernetes_packages_key_sha256": "0" * 64},
        "accelerators": {"ascend_docker_runtime_package": installer},
        "services": {"monitoring": False},
        "hosts": {"npu01": {"node_os": "ubuntu2204", "node_arch": "arm64", "node_accelerator": {"vendor": "huawei"}},
                  "cpu01": {"node_os": "debian12", "node_arch": "amd64", "node_accelerator": {}}},
        "application": application,
    }


def _bundle_files_play(tmp_path, application):
    installer = tmp_path / "vendor" / INSTALLER
    installer.parent.mkdir(exist_ok=True)
    installer.write_bytes(b"#!/bin/sh\necho stand-in installer\n")
    plan = op.plan(_site(str(installer), application))
    assert plan["problems"] == [], plan["problems"]
    (tmp_path / "plan").mkdir(exist_ok=True)
    return [
        {"name": "Bundle files", "ansible.builtin.include_role": {"name": "aiplatform.cluster.offline",
                                                                   "tasks_from": "bundle_files"},
         "vars": {"offline_work_dir": str(tmp_path / "work"), "offline_plan_dir": str(tmp_path / "plan"),
                  "offline_plan": plan, "__offline_plan": plan,
                  "platform_services": {"application": application}}},
        {"name": "Entries", "ansible.builtin.debug": {
            "msg": "{{ __offline_file_stats.results | aiplatform.cluster.offline_file_artifacts }}"}},
    ]


def test_chart_is_fetched_at_its_version_and_verified_and_the_installer_copied(tmp_path, chart_repo):
    application = {"chart": "aiplatform", "chart_repo": chart_repo["url"], "chart_version": "2.1.0"}
    results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application))
    assert stats["failures"] == 0, results
    bundle = tmp_path / "work" / "bundle"
    assert (bundle / "charts" / "aiplatform-2.1.0.tgz").read_bytes() == chart_repo["data"]
    installer = bundle / "installers" / "arm64" / INSTALLER
    assert installer.read_bytes().startswith(b"#!/bin/sh")
    entries = dict((e["path"], e) for e in results["Entries"]["msg"])
    assert entries["charts/aiplatform-2.1.0.tgz"]["sha256"] == chart_repo["digest"]
    assert entries["charts/aiplatform-2.1.0.tgz"]["kind"] == "chart"
    assert entries["installers/arm64/" + INSTALLER]["sha256"] == hashlib.sha256(installer.read_bytes()).hexdigest()
    assert entries["installers/arm64/" + INSTALLER]["arch"] == "arm64"
    # helm is not on this machine: the plan written again says the chart's images are not in it.
    assert "chart's images are not in the plan" in (tmp_path / "plan" / "plan.md").read_text()
    # A rerun changes nothing.
    _results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application), "again.yml")
    assert stats["changed"] == 0 and stats["failures"] == 0


def test_a_chart_that_does_not_match_the_index_digest_is_refused(tmp_path, chart_repo):
    (chart_repo["dir"] / "charts" / "aiplatform-2.1.0.tgz").write_bytes(chart_repo["data"] + b"tampered")
    application = {"chart": "aiplatform", "chart_repo": chart_repo["url"], "chart_version": "2.1.0"}
    results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application))
    assert stats["failures"] == 1
    failed = [r for r in results.values() if r.get("failed")][0]
    assert "checksum" in failed["msg"].lower(), failed
    assert not (tmp_path / "work" / "bundle" / "charts" / "aiplatform-2.1.0.tgz").exists()


def test_a_version_the_index_lacks_is_named(tmp_path, chart_repo):
    application = {"chart": "aiplatform", "chart_repo": chart_repo["url"], "chart_version": "9.9.9"}
    results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application))
    assert stats["failures"] == 1
    failed = [r for r in results.values() if r.get("failed")][0]
    assert "no version 9.9.9 of chart aiplatform (it has 2.1.0)" in failed["msg"], failed


def test_a_local_chart_directory_is_packed_the_same_every_time(tmp_path):
    chart = tmp_path / "charts" / "aiplatform"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: aiplatform\nversion: 0.1.0\n")
    (chart / "templates" / "web.yaml").write_text("kind: ConfigMap\n")
    application = {"chart": str(chart)}
    results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application))
    assert stats["failures"] == 0, results
    packed = tmp_path / "work" / "bundle" / "charts" / "aiplatform.tgz"
    with tarfile.open(str(packed)) as tar:
        assert sorted(tar.getnames()) == ["aiplatform", "aiplatform/Chart.yaml", "aiplatform/templates",
                                          "aiplatform/templates/web.yaml"]
    os.utime(str(chart / "Chart.yaml"), (1, 1))  # a new time, the same content: the bundle's copy stays
    _results, stats = playbook(tmp_path, _bundle_files_play(tmp_path, application), "again.yml")
    assert stats["changed"] == 0 and stats["failures"] == 0


def _bundle(tmp_path, files, manifest_sums=None):
    """A bundle archive with ``files`` (path -> bytes) and a manifest recording their sha256 (or ``manifest_sums``)."""
    sums = manifest_sums if manifest_sums is not None else dict((p, hashlib.sha256(d).hexdigest()) for p, d in files.items())
    manifest = {"format": 1, "artifacts": [{"kind": "installer", "name": os.path.basename(p), "arch": "arm64", "path": p,
                                            "sha256": s} for p, s in sums.items()]}
    path = tmp_path / "bundle.tar"
    with tarfile.open(str(path), "w") as tar:
        for name, data in sorted(dict(files, **{"manifest.json": json.dumps(manifest).encode()}).items()):
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _from_bundle_play(tmp_path, bundle, wanted):
    return [
        {"name": "From the bundle", "ansible.builtin.include_role": {"name": "aiplatform.cluster.offline",
                                                                      "tasks_from": "from_bundle"},
         "vars": {"offline_bundle": str(bundle), "offline_from_bundle": wanted,
                  "offline_from_bundle_dir": str(tmp_path / "control" / "from-bundle")}},
        {"name": "Files", "ansible.builtin.debug": {"msg": "{{ offline_from_bundle_files }}"}},
    ]


def test_the_site_takes_the_installer_from_the_bundle_checked_against_the_manifest(tmp_path):
    member = "installers/arm64/" + INSTALLER
    bundle = _bundle(tmp_path, {member: b"#!/bin/sh\necho installer\n"})
    results, stats = playbook(tmp_path, _from_bundle_play(tmp_path, bundle, [member]))
    assert stats["failures"] == 0, results
    local = results["Files"]["msg"][member]
    assert local == str(tmp_path / "control" / "from-bundle" / member)
    assert open(local, "rb").read() == b"#!/bin/sh\necho installer\n"
    _results, stats = playbook(tmp_path, _from_bundle_play(tmp_path, bundle, [member]), "again.yml")
    assert stats["changed"] == 0 and stats["failures"] == 0
    # A file the manifest does not know: named, with the fix.
    results, stats = playbook(tmp_path, _from_bundle_play(tmp_path, bundle, ["installers/amd64/" + INSTALLER]), "amd.yml")
    failed = [r for r in results.values() if r.get("failed")][0]
    assert "lacks installers/amd64/" + INSTALLER in failed["msg"] and "rebuild the bundle" in failed["msg"]


def test_a_bundle_file_that_does_not_match_its_manifest_stops_the_run(tmp_path):
    member = "installers/arm64/" + INSTALLER
    bundle = _bundle(tmp_path, {member: b"#!/bin/sh\necho changed on the way\n"}, {member: "0" * 64})
    results, stats = playbook(tmp_path, _from_bundle_play(tmp_path, bundle, [member]))
    assert stats["failures"] == 1
    failed = [r for r in results.values() if r.get("failed")][0]
    assert member + " in the bundle does not match the sha256 its manifest.json records" in failed["msg"], failed


def _calico_manifest_play(tmp_path, offline, bundle=None, url=None, sha256=""):
    return [{"name": "Operator manifest", "ansible.builtin.include_role": {"name": "aiplatform.cluster.kubeadm",
                                                                           "tasks_from": "calico_manifest"},
             "vars": {"kubeadm_offline": offline, "kubeadm_calico_version": "v3.31.1",
                      "platform_artifacts_dir": str(tmp_path / "artifacts"),
                      "platform_mirrors": {"calico_operator_manifest": url or "",
                                           "calico_operator_manifest_sha256": sha256},
                      "offline_bundle": str(bundle or ""),
                      "offline_from_bundle_dir": str(tmp_path / "control" / "from-bundle")}}]


def test_the_pinned_calico_manifest_is_downloaded_online_and_taken_from_the_bundle_offline(tmp_path):
    """Role kubeadm's own tasks (tasks_from: calico_manifest): with access, the operator's manifest is downloaded
    against its pin (the bundle build runs the same tasks, so it carries what the role would fetch); offline, it is
    taken out of the bundle, checked against the manifest, and nothing is fetched."""
    data = b"apiVersion: v1\nkind: List\nitems: []\n"
    source = tmp_path / "tigera-operator.yaml"
    source.write_bytes(data)
    pin = hashlib.sha256(data).hexdigest()
    dest = tmp_path / "artifacts" / "downloads" / "tigera-operator-v3.31.1.yaml"
    _results, stats = playbook(tmp_path, _calico_manifest_play(tmp_path, False, url="file://%s" % source, sha256=pin))
    assert stats["failures"] == 0 and dest.read_bytes() == data
    dest.unlink()
    # A file that does not match the pin is refused (get_url's checksum).
    _results, stats = playbook(tmp_path, _calico_manifest_play(tmp_path, False, url="file://%s" % source,
                                                                 sha256="0" * 64), "badpin.yml")
    assert stats["failures"] == 1 and not dest.exists()
    # Offline: from the bundle only; the URL points nowhere.
    bundle = _bundle(tmp_path, {"manifests/tigera-operator-v3.31.1.yaml": data})
    _results, stats = playbook(tmp_path, _calico_manifest_play(tmp_path, True, bundle, url="http://192.0.2.1/x.yaml"),
                               "offline.yml")
    assert stats["failures"] == 0 and dest.read_bytes() == data
    _results, stats = playbook(tmp_path, _calico_manifest_play(tmp_path, True, bundle, url="http://192.0.2.1/x.yaml"),
                               "again.yml")
    assert stats["failures"] == 0 and stats["changed"] == 0
    # A bundle without it: the run stops naming the file.
    (tmp_path / "empty").mkdir()
    empty = _bundle(tmp_path / "empty", {})
    results, stats = playbook(tmp_path, _calico_manifest_play(tmp_path, True, empty), "lacks.yml")
    failed = [r for r in results.values() if r.get("failed")][0]
    assert "lacks manifests/tigera-operator-v3.31.1.yaml" in failed["msg"]
