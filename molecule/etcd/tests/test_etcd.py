"""etcd backup and restore for real, and the scheduled snapshots (docs/lifecycle.md).

The node runs Debian's etcd 3.4 with TLS at kubeadm's paths, started from /etc/kubernetes/manifests/etcd.yaml by a
stand-in kubelet; crictl and kubectl are stand-ins too (molecule/etcd/standins/). What this does not prove: the real
kubelet stopping the etcd and API server pods when restore.yml moves their manifests away (the stand-in does what
kubelet does with the etcd manifest), the API server coming back after a restore (the stand-in kubectl answers
/readyz from etcd's health), and etcdutl (etcd 3.5 and later; etcd 3.4 has none, so the playbooks' etcdctl branch
runs here). The tests run in file order and build on each other: backup, damaged snapshots, restore.
"""
import json
import os
import re
import shutil
import subprocess
import sys

NODE = "etcd-cp-01"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(PROJECT, "tests", "support"))  # the playbook runner shared by the verifiers

from molecule_playbook import collection_playbook, flat, run_playbook  # noqa: E402

SNAPSHOTS = "/var/backups/aiplatform/etcd"  # backup.dir of molecule.yml
KEEP = 3  # backup.keep of molecule.yml
PKI = "/etc/kubernetes/pki"
ETCDCTL = ["etcdctl", "--endpoints=https://127.0.0.1:2379", "--cacert=%s/etcd/ca.crt" % PKI,
           "--cert=%s/apiserver-etcd-client.crt" % PKI, "--key=%s/apiserver-etcd-client.key" % PKI]
STATE = {}


def _etcdctl(host, *args):
    return host.run(" ".join(ETCDCTL + list(args)))


def _get(host, key):
    """The value of ``key``, or None when etcd has no such key."""
    out = _etcdctl(host, "get", key, "--print-value-only")
    assert out.rc == 0, out.stderr
    return out.stdout.strip() or None


def _healthy(host):
    out = _etcdctl(host, "endpoint", "health")
    return out.rc == 0 and "is healthy" in (out.stdout + out.stderr)


def _apply(playbook, *extra):
    """Run a playbook for real against the scenario's node (a playbook of the collection when ``playbook`` is a
    bare name); (rc, output with white space runs as one space)."""
    rc, out = run_playbook(collection_playbook(playbook) if "/" not in playbook else playbook, *extra, timeout=600)
    return rc, flat(out)


def _etcd_state(host):
    """What a refused restore must leave alone: the etcd process, its data directory, the manifests, the keys."""
    return {
        "pid": host.check_output("pgrep -x etcd"),
        "data": host.check_output("ls -A /var/lib/etcd"),
        "db_inode": host.check_output("stat -c %i /var/lib/etcd/member/snap/db"),
        "manifests": host.check_output("ls /etc/kubernetes/manifests"),
        "kept": host.check_output("ls -d /var/lib/etcd.bak-* /etc/kubernetes.bak-* /var/tmp/aiplatform-* 2>/dev/null || true"),
        "keys": host.check_output(" ".join(ETCDCTL + ["get", "''", "--prefix", "--keys-only"])),
    }


def test_etcd_serves_tls_with_client_certificates_only(host):
    assert host.backend.get_hostname() == NODE
    assert _healthy(host)
    # no plain HTTP, and no client without a certificate of etcd's CA
    assert host.run("etcdctl --endpoints=http://127.0.0.1:2379 --dial-timeout=3s endpoint health").rc != 0
    assert host.run("etcdctl --endpoints=https://127.0.0.1:2379 --dial-timeout=3s --cacert=%s/etcd/ca.crt "
                    "endpoint health" % PKI).rc != 0


def test_the_snapshot_timer_is_enabled(host):
    assert host.check_output("systemctl is-enabled aiplatform-etcd-backup.timer") == "enabled"
    assert host.check_output("systemctl is-active aiplatform-etcd-backup.timer") == "active"
    assert "OnCalendar=*-*-* 02:00:00" in host.check_output("systemctl show -p TimersCalendar aiplatform-etcd-backup.timer")
    directory = host.file(SNAPSHOTS)
    assert directory.is_directory and directory.mode == 0o700 and directory.user == "root"


def test_a_run_of_the_service_takes_a_snapshot_and_prunes_the_oldest(host):
    # five older snapshots (names as the script writes them) and a file of the site's that is no snapshot
    old = ["etcd-2026010%dT020000Z.db" % day for day in range(1, 6)]
    host.run_expect([0], "cd %s && touch %s notes.txt" % (SNAPSHOTS, " ".join(old)))
    assert _etcdctl(host, "put", "scheduled", "yes").rc == 0
    run = host.run("systemctl start aiplatform-etcd-backup.service")
    assert run.rc == 0, host.check_output("journalctl -u aiplatform-etcd-backup.service --no-pager | tail -n 30")
    left = sorted(host.check_output("ls -A %s" % SNAPSHOTS).split())
    taken = [n for n in left if re.match(r"^etcd-\d{8}T\d{6}Z\.db$", n) and n not in old]
    assert len(taken) == 1, left
    # the newest KEEP snapshots stay (the new one and the two newest old ones); the marker and notes.txt are not
    # snapshots and stay
    assert left == sorted([".aiplatform-created", "notes.txt"] + old[-(KEEP - 1):] + taken), left
    snapshot = host.file("%s/%s" % (SNAPSHOTS, taken[0]))
    assert snapshot.mode == 0o600 and snapshot.user == "root"
    status = json.loads(host.check_output("etcdctl snapshot status %s/%s -w json" % (SNAPSHOTS, taken[0])))
    assert status["totalKey"] >= 1 and status["revision"] >= 1
    assert host.run("ls /var/lib/etcd/aiplatform-scheduled-*").rc != 0  # nothing left in etcd's data directory
    journal = host.check_output("journalctl -u aiplatform-etcd-backup.service --no-pager")
    assert "pruned %s/%s" % (SNAPSHOTS, old[0]) in journal


def test_backup_takes_a_real_snapshot(host):
    assert _etcdctl(host, "put", "before-backup", "kept").rc == 0
    rc, out = _apply("backup.yml")
    assert rc == 0, out[-3000:]
    found = re.search(r"Backup (\S+/backups/etcdtest-\d{8}T\d{6}Z) \(etcd revision (\d+), (\d+) keys\)", out)
    assert found, out[-3000:]
    backup = found.group(1)
    assert os.stat(backup).st_mode & 0o777 == 0o700
    files = sorted(os.listdir(backup))
    # .aiplatform-created: the data_dir marker (backup.yml created the directory), not part of the backup
    assert files == [".aiplatform-created", "SHA256SUMS", "aiplatform.tar.gz", "backup.json", "etcd-snapshot.db",
                     "kubernetes.tar.gz", "molecule.yml"], files
    assert all(os.stat(os.path.join(backup, f)).st_mode & 0o777 == 0o600 for f in files[1:])
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=backup).returncode == 0
    meta = json.load(open(os.path.join(backup, "backup.json")))
    assert meta["node"] == NODE and meta["etcd_snapshot"]["totalKey"] >= 2
    # nothing left behind on the node
    assert host.run("ls -d /var/tmp/aiplatform-backup-* /var/lib/etcd/aiplatform-snapshot-*").rc != 0
    assert _etcdctl(host, "put", "after-backup", "lost").rc == 0
    STATE["backup"] = backup


def _damaged_copy(name):
    copy = os.path.join(os.path.dirname(STATE["backup"]), name)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(STATE["backup"], copy)
    return copy


def test_a_truncated_snapshot_stops_the_restore_before_anything_is_touched(host):
    damaged = _damaged_copy("damaged-truncated")
    snapshot = os.path.join(damaged, "etcd-snapshot.db")
    os.truncate(snapshot, os.path.getsize(snapshot) // 2)
    before = _etcd_state(host)
    rc, out = _apply("restore.yml", "-e", "backup=%s" % damaged, "-e", "restore_confirm=yes")
    assert rc != 0
    assert "etcd-snapshot.db: sha256" in out and "The backup is damaged; nothing was changed." in out
    assert _etcd_state(host) == before
    assert _get(host, "after-backup") == "lost"


def test_a_corrupt_snapshot_with_matching_sums_stops_the_restore_before_anything_is_touched(host):
    """SHA256SUMS rewritten to match (it proves integrity against accidents, not origin): etcd's own hash of the
    snapshot refuses it while it is restored into a new directory, before the pods are stopped."""
    damaged = _damaged_copy("damaged-corrupt")
    snapshot = os.path.join(damaged, "etcd-snapshot.db")
    with open(snapshot, "r+b") as handle:
        handle.seek(os.path.getsize(snapshot) // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    sums = subprocess.run(["sha256sum"] + sorted(f for f in os.listdir(damaged) if f != "SHA256SUMS" and not f.startswith(".")), cwd=damaged,
                          stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    with open(os.path.join(damaged, "SHA256SUMS"), "w") as handle:
        handle.write(sums)
    before = _etcd_state(host)
    rc, out = _apply("restore.yml", "-e", "backup=%s" % damaged, "-e", "restore_confirm=yes")
    assert rc != 0
    assert "files match SHA256SUMS" in out  # the sums passed: etcd's check stopped it
    assert "Restore the snapshot into a new data directory" in out and "Stop the static pods" not in out
    assert "expected sha256" in out  # etcd's own check of the snapshot's hash
    assert _etcd_state(host) == before  # no restored directory, no staging copy, etcd never stopped
    assert _get(host, "after-backup") == "lost"


def test_restore_brings_back_the_backup_and_a_healthy_member(host):
    assert _apply("restore.yml", "-e", "backup=%s" % STATE["backup"])[0] != 0  # no confirmation: refused
    assert _get(host, "after-backup") == "lost"
    old_pid = host.check_output("pgrep -x etcd")
    rc, out = _apply("restore.yml", "-e", "backup=%s" % STATE["backup"], "-e", "restore_confirm=yes")
    assert rc == 0, out[-4000:]
    assert "%s runs the restored cluster" % NODE in out
    assert _healthy(host)
    assert host.check_output("pgrep -x etcd") != old_pid  # etcd was stopped and started on the restored data
    assert _get(host, "before-backup") == "kept"
    assert _get(host, "scheduled") == "yes"
    assert _get(host, "after-backup") is None
    members = json.loads(_etcdctl(host, "member", "list", "-w", "json").stdout)["members"]
    assert [m["name"] for m in members] == [NODE]
    manifest = host.file("/etc/kubernetes/manifests/etcd.yaml").content_string
    assert members[0]["peerURLs"] == re.findall(r"--initial-advertise-peer-urls=(\S+)", manifest)
    assert host.file("/var/lib/etcd").mode == 0o700
    # the old data and /etc/kubernetes are kept; no staging copy, snapshot or moved manifest is left
    assert len(host.check_output("ls -d /var/lib/etcd.bak-*").split()) == 1
    assert len(host.check_output("ls -d /etc/kubernetes.bak-*").split()) == 1
    assert host.run("ls -d /var/tmp/aiplatform-restore-* /var/lib/etcd/aiplatform-* "
                    "/etc/kubernetes/manifests.stopped-*").rc != 0
    # a scheduled snapshot works against the restored member too
    assert host.run("systemctl start aiplatform-etcd-backup.service").rc == 0


def _converge(backup):
    return _apply(os.path.join(HERE, "converge.yml"), "-e", json.dumps({"platform_backup": backup}))


def test_a_schedule_systemd_cannot_read_is_refused_before_anything_changes(host):
    before = host.check_output("stat -c '%Y %s' /etc/systemd/system/aiplatform-etcd-backup.timer")
    rc, out = _converge({"schedule": "every other tuesday", "keep": KEEP, "dir": SNAPSHOTS})
    assert rc != 0
    assert "etcd_backup_schedule (backup.schedule)" in out and "every other tuesday" in out
    assert "is not a systemd calendar expression" in out and "Nothing was changed." in out
    assert host.check_output("stat -c '%Y %s' /etc/systemd/system/aiplatform-etcd-backup.timer") == before


def test_an_empty_schedule_removes_the_timer_and_keeps_the_snapshots(host):
    snapshots = host.check_output("ls %s" % SNAPSHOTS)
    rc, out = _converge({"schedule": "", "keep": KEEP, "dir": SNAPSHOTS})
    assert rc == 0, out[-3000:]
    for path in ("/etc/systemd/system/aiplatform-etcd-backup.timer", "/etc/systemd/system/aiplatform-etcd-backup.service",
                 "/usr/local/sbin/aiplatform-etcd-backup"):
        assert not host.file(path).exists
    assert host.run("systemctl is-active aiplatform-etcd-backup.timer").stdout.strip() != "active"
    assert host.check_output("ls %s" % SNAPSHOTS) == snapshots
    rc, out = _converge({"schedule": "", "keep": KEEP, "dir": SNAPSHOTS})
    assert rc == 0 and re.search(r"etcd-cp-01 : ok=\d+ changed=0 ", out), out[-2000:]
