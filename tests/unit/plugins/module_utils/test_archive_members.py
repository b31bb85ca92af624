"""Day-2 guard of restore.yml: what it may extract from a backup (module_utils/archive_members.py, the
archive_members module). Pure functions as tables, then the module against real tarballs, then restore.yml's
first play against a tampered backup on this machine. The other guard, when remove_node.yml may remove an etcd
member (quorum): tests/unit/plugins/plugin_utils/test_etcd.py."""
import hashlib
import io
import os
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils.archive_members import member_problems
from module_run import run_module_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
K8S = (["etc/kubernetes"], ["etc/kubernetes/tmp"])


def m(name, kind="file", link=""):
    return {"name": name, "type": kind, "linkname": link}


# A member list as backup.yml's `tar -czpf ... -C / etc/kubernetes` writes it.
GOOD = [m("etc/kubernetes/", "directory"), m("etc/kubernetes/admin.conf"), m("etc/kubernetes/pki", "directory"),
        m("etc/kubernetes/pki/ca.crt"), m("etc/kubernetes/manifests/etcd.yaml"),
        m("etc/kubernetes/pki/ca-link.crt", "symlink", "ca.crt"),
        m("etc/kubernetes/pki/abs-link.crt", "symlink", "/etc/kubernetes/pki/ca.crt"),
        m("etc/kubernetes/pki/hard.crt", "hardlink", "etc/kubernetes/pki/ca.crt")]


def test_a_backup_of_backup_yml_passes():
    assert member_problems(GOOD, *K8S) == []


@pytest.mark.parametrize("member,words", [
    (m("/etc/passwd"), "an absolute name"),
    (m("/etc/kubernetes/admin.conf"), "an absolute name"),
    (m("etc/kubernetes/../../root/.ssh/authorized_keys"), "a '..' component"),
    (m("../etc/shadow"), "a '..' component"),
    (m("etc/kubernetes/./pki/x"), "a '.' or empty component"),
    (m("etc/kubernetes//pki/x"), "a '.' or empty component"),
    (m(""), "an empty name"),
    (m("etc/passwd"), "is outside /etc/kubernetes"),
    (m("etc/kubernetes-evil/x"), "is outside /etc/kubernetes"),
    (m("etc"), "is outside /etc/kubernetes"),
    (m("etc/kubernetes/tmp/kubeadm-backup/x"), "not under /etc/kubernetes/tmp"),
    (m("etc/kubernetes/pki/evil", "symlink", "/etc/shadow"), "symbolic link to '/etc/shadow'"),
    (m("etc/kubernetes/pki/evil", "symlink", "../../../root"), "symbolic link to '../../../root'"),
    (m("etc/kubernetes/pki/evil", "symlink", "../../passwd"), "points outside /etc/kubernetes"),
    (m("etc/kubernetes/pki/evil", "symlink", "../tmp/x"), "points outside"),
    (m("etc/kubernetes/pki/evil", "hardlink", "etc/shadow"), "hard link to 'etc/shadow'"),
    (m("etc/kubernetes/pki/evil", "hardlink", "/etc/shadow"), "hard link"),
    (m("etc/kubernetes/pki/evil", "hardlink", "../etc/shadow"), "hard link"),
    (m("etc/kubernetes/null", "character device"), "is a character device"),
    (m("etc/kubernetes/sda", "block device"), "is a block device"),
    (m("etc/kubernetes/pipe", "FIFO"), "is a FIFO"),
    (m("etc/kubernetes/odd", None), "member of unknown type"),
])
def test_refused_members(member, words):
    problems = member_problems(GOOD + [member], *K8S, archive="kubernetes.tar.gz")
    assert len(problems) == 1, problems
    assert problems[0].startswith("kubernetes.tar.gz: member %r" % member["name"])
    assert words in problems[0]
    assert "Nothing was extracted. Fix: use a backup written by playbooks/backup.yml" in problems[0]


def test_members_under_a_link_are_refused_even_when_the_link_stays_inside():
    members = [m("etc/kubernetes/pki", "symlink", "manifests"), m("etc/kubernetes/pki/ca.crt")]
    problems = member_problems(members, *K8S)
    assert len(problems) == 1 and "lies under 'etc/kubernetes/pki', which the archive makes a link" in problems[0]
    # the classic two-step escape: a link out, then a file through it - both refused
    members = [m("etc/kubernetes/x", "symlink", "/root"), m("etc/kubernetes/x/.ssh/authorized_keys")]
    assert len(member_problems(members, *K8S)) == 2


def test_every_problem_is_reported_at_once_and_empty_archives_are_refused():
    problems = member_problems([m("/a"), m("b/../c"), m("etc/x")], *K8S)
    assert len(problems) == 3
    assert member_problems([], *K8S, archive="x.tar.gz") == [
        "x.tar.gz is empty: backup.yml never writes an empty archive. Nothing was extracted. Fix: use a backup "
        "written by playbooks/backup.yml (check where this one came from: it may have been tampered with)."]


def test_the_artifacts_root_follows_common_artifacts_dir():
    members = [m("srv/aiplatform/", "directory"), m("srv/aiplatform/kubeadm.yaml")]
    assert member_problems(members, ["/srv/aiplatform"]) == []
    assert member_problems(members, ["etc/aiplatform"]) != []


# --- the module against real tarballs --------------------------------------------------------------------------

def make_tar(path, entries):
    with tarfile.open(str(path), "w:gz") as archive:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, data
                archive.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                archive.addfile(info)
            else:
                payload = data.encode()
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))


def run_module(args, tmp_path):
    return run_module_file("archive_members", args, tmp_path)


def test_module_passes_a_tarball_like_backup_yml_writes(tmp_path):
    source = tmp_path / "root"
    (source / "etc" / "kubernetes" / "pki").mkdir(parents=True)
    (source / "etc" / "kubernetes" / "pki" / "ca.crt").write_text("cert")
    (source / "etc" / "kubernetes" / "admin.conf").write_text("conf")
    archive = tmp_path / "kubernetes.tar.gz"
    # the very command of backup.yml
    subprocess.run(["tar", "-czpf", str(archive), "--exclude=etc/kubernetes/tmp", "-C", str(source),
                    "etc/kubernetes"], check=True)
    result = run_module({"path": str(archive), "roots": ["etc/kubernetes"], "exclude": ["etc/kubernetes/tmp"]},
                        tmp_path)
    assert result.get("failed") is not True and result["members"] == 4 and result["problems"] == []


@pytest.mark.parametrize("entries,words", [
    ([("etc/kubernetes/a", "file", "x"), ("/etc/cron.d/evil", "file", "x")], "an absolute name"),
    ([("etc/kubernetes/../../etc/cron.d/evil", "file", "x")], "a '..' component"),
    ([("etc/kubernetes/l", "sym", "/etc/cron.d")], "symbolic link to '/etc/cron.d'"),
    ([("etc/kubernetes/p", "fifo", "")], "is a FIFO"),
    ([("root/.ssh/authorized_keys", "file", "x")], "is outside /etc/kubernetes"),
])
def test_module_refuses_a_tampered_tarball(tmp_path, entries, words):
    archive = tmp_path / "kubernetes.tar.gz"
    make_tar(archive, entries)
    result = run_module({"path": str(archive), "roots": ["etc/kubernetes"]}, tmp_path)
    assert result["failed"] is True and len(result["problems"]) == 1
    assert words in result["msg"] and "Nothing was extracted" in result["msg"]


def test_module_refuses_what_is_no_tarball(tmp_path):
    archive = tmp_path / "kubernetes.tar.gz"
    archive.write_text("not a tar")
    result = run_module({"path": str(archive), "roots": ["etc/kubernetes"]}, tmp_path)
    assert result["failed"] is True and "cannot be read as a tar archive" in result["msg"]


def test_restore_playbook_refuses_a_tampered_backup_before_touching_a_node(tmp_path):
    """restore.yml's first play, for real, on this machine as kube_control_plane[0] (connection local): a backup
    whose checksums match but whose kubernetes.tar.gz holds an absolute member stops the run, naming it."""
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "etcd-snapshot.db").write_text("snapshot")
    make_tar(backup / "kubernetes.tar.gz", [("etc/kubernetes/admin.conf", "file", "x"),
                                            ("/etc/cron.d/evil", "file", "* * * * * root sh -c id")])
    sums = "".join("%s  %s\n" % (hashlib.sha256((backup / f).read_bytes()).hexdigest(), f)
                   for f in ("etcd-snapshot.db", "kubernetes.tar.gz"))
    (backup / "SHA256SUMS").write_text(sums)
    inventory = tmp_path / "hosts.ini"
    # Written by hand: it names itself as the platform config, as playbooks/guard.yml asks (docs/inventory.md).
    inventory.write_text("[all:vars]\nplatform_config_file=%s\n[kube_control_plane]\n"
                         "cp-01 ansible_connection=local ansible_python_interpreter=%s\n" % (inventory, sys.executable))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false",
               ANSIBLE_NOCOLOR="true", ANSIBLE_INVENTORY_ENABLED="ini")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                          os.path.join(ROOT, "playbooks", "restore.yml"), "-e", "backup=%s" % backup,
                          "-e", "restore_confirm=yes"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    out = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0
    assert "member '/etc/cron.d/evil' has an absolute name" in out, out[-3000:]
    assert "files match SHA256SUMS" not in out  # stopped before the next task
    assert "Restore etcd" not in out
