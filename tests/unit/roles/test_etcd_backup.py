"""The scheduled etcd snapshot script of role etcd_backup, rendered from its template and run on this machine
against a fake crictl and etcdctl/etcdutl (molecule etcd runs it against a real etcd): what it writes, what it
prunes, and that a failed run leaves the snapshots as they were."""
import os
import re
import shlex
import stat
import subprocess

import jinja2
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
KEEP = 3
OLD = ["etcd-2026010%dT020000Z.db" % day for day in range(1, 6)]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the script installs snapshots owned by root")

CRICTL = """#!/bin/bash
# fake crictl: one etcd container while $FAKE/running exists; exec runs the command here
echo "crictl $*" >>"$FAKE/calls"
case "$1" in
  ps) [ -f "$FAKE/running" ] && echo etcd-1; true ;;
  exec) shift 2; exec "$@" ;;
esac
"""
ETCD_TOOL = """#!/bin/bash
# fake etcdctl / etcdutl: snapshot save writes a file; snapshot status fails while $FAKE/corrupt exists
echo "$(basename "$0") $*" >>"$FAKE/calls"
args=("$@")
for i in "${!args[@]}"; do
  if [ "${args[$i]}" = snapshot ]; then sub=${args[$((i + 1))]}; file=${args[$((i + 2))]}; fi
done
case "${sub:-}" in
  save) echo "snapshot data" >"$file" ;;
  status) [ -f "$FAKE/corrupt" ] && { echo "invalid database" >&2; exit 1; }
          echo '{"hash":1,"revision":5,"totalKey":3,"totalSize":20480}' ;;
esac
"""


def _render(**values):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, "roles", "etcd_backup", "templates")),
                             undefined=jinja2.StrictUndefined)
    env.filters["quote"] = lambda value: shlex.quote(str(value))
    return env.get_template("etcd-backup.sh.j2").render(ansible_managed="managed", **values)


@pytest.fixture
def site(tmp_path):
    """(run, snapshots dir, etcd data dir, fake dir): run(etcdutl=False) runs the script, returns the process."""
    fake = tmp_path / "fake"
    bin_dir = tmp_path / "bin"
    etcd = tmp_path / "var lib etcd"  # a space: every path of the script is quoted
    snapshots = tmp_path / "backups" / "etcd"
    for directory in (fake, bin_dir, etcd):
        directory.mkdir()
    (fake / "running").touch()
    script = tmp_path / "aiplatform-etcd-backup"
    script.write_text(_render(etcd_backup_dir=str(snapshots), etcd_backup_keep=KEEP, etcd_backup_etcd_data_dir=str(etcd),
                              etcd_backup_endpoint="https://127.0.0.1:2379", etcd_backup_cacert="/pki/ca.crt",
                              etcd_backup_cert="/pki/hc.crt", etcd_backup_key="/pki/hc.key",
                              etcd_backup_unit="aiplatform-etcd-backup"))

    def run(etcdutl=False):
        for name, text in [("crictl", CRICTL), ("etcdctl", ETCD_TOOL)] + ([("etcdutl", ETCD_TOOL)] if etcdutl else []):
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        env = dict(os.environ, FAKE=str(fake), PATH="%s:/usr/bin:/bin:/usr/sbin:/sbin" % bin_dir)
        return subprocess.run(["bash", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, check=False)
    return run, snapshots, etcd, fake


def _seed(snapshots):
    snapshots.mkdir(parents=True, exist_ok=True)
    for name in OLD + ["notes.txt"]:
        (snapshots / name).write_text("old")


def test_a_run_writes_a_private_snapshot_and_keeps_the_newest(site):
    run, snapshots, etcd, fake = site
    _seed(snapshots)
    done = run()
    assert done.returncode == 0, done.stderr
    names = sorted(os.listdir(snapshots))
    new = [n for n in names if re.match(r"^etcd-\d{8}T\d{6}Z\.db$", n) and n not in OLD]
    assert len(new) == 1
    assert names == sorted(["notes.txt"] + OLD[-(KEEP - 1):] + new)  # the oldest three pruned, notes.txt kept
    assert stat.S_IMODE(os.stat(snapshots / new[0]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(snapshots).st_mode) == 0o700
    assert (snapshots / new[0]).read_text() == "snapshot data\n"
    assert os.listdir(etcd) == []  # the copy in etcd's data directory is gone
    for old in OLD[:3]:
        assert "pruned %s/%s" % (snapshots, old) in done.stdout
    calls = (fake / "calls").read_text()
    assert "etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/pki/ca.crt --cert=/pki/hc.crt --key=/pki/hc.key " \
           "snapshot save %s/aiplatform-scheduled-" % etcd in calls
    assert "etcdctl snapshot status" in calls  # no etcdutl in the image (etcd 3.4): etcdctl reads it


def test_etcdutl_reads_the_snapshot_when_the_image_has_it(site):
    run, snapshots, _etcd, fake = site
    assert run(etcdutl=True).returncode == 0
    calls = (fake / "calls").read_text()
    assert "etcdutl snapshot status" in calls and "etcdctl snapshot status" not in calls
    assert len(os.listdir(snapshots)) == 1


def test_a_first_run_creates_the_directory(site):
    run, snapshots, _etcd, _fake = site
    done = run()
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(snapshots).st_mode) == 0o700
    assert len(os.listdir(snapshots)) == 1 and "pruned" not in done.stdout


@pytest.mark.parametrize("problem", ["etcd is not running", "the snapshot does not read back"])
def test_a_failed_run_leaves_the_snapshots_alone(site, problem):
    run, snapshots, etcd, fake = site
    _seed(snapshots)
    if problem == "etcd is not running":
        (fake / "running").unlink()
    else:
        (fake / "corrupt").touch()
    done = run()
    assert done.returncode != 0
    assert sorted(os.listdir(snapshots)) == sorted(OLD + ["notes.txt"])  # nothing new, nothing pruned
    assert os.listdir(etcd) == []
    if problem == "etcd is not running":
        assert "no running etcd container" in done.stderr
