"""module_utils/node_probe.py: the parsers of what the preflight reads on a node (tables of real outputs), and
the readers against fake tools and files: each source in turn, the fallbacks, a tool that hangs."""
import os
import shutil
import stat
import time

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import node_probe as np

# /proc/meminfo of a Debian 12 container on this machine (trimmed), and a node with swap
MEMINFO = "MemTotal:       24567892 kB\nMemFree:         1234567 kB\nSwapTotal:             0 kB\nSwapFree: 0 kB\n"
MEMINFO_SWAP = "MemTotal:        2097152 kB\nSwapTotal:       1048576 kB\n"


@pytest.mark.parametrize("text, want", [
    (MEMINFO, (23992, 0)),          # 24567892 // 1024, as Ansible's memtotal_mb
    (MEMINFO_SWAP, (2048, 1024)),
    ("MemTotal: garbage kB\n", (0, 0)),
    ("", (0, 0)),
    (None, (0, 0)),
])
def test_parse_meminfo(text, want):
    assert np.parse_meminfo(text) == want


@pytest.mark.parametrize("mokutil, efi, want", [
    ("SecureBoot enabled\n", None, "enabled"),
    ("SecureBoot disabled\nPlatform is in Setup Mode\n", None, "disabled"),
    ("EFI variables are not supported on this system\n", None, "unknown"),
    ("", None, "unknown"),
    ("SecureBoot disabled\n", 1, "disabled"),  # mokutil answers first
    (None, 1, "enabled"),                      # the EFI variable's last byte
    (None, 0, "disabled"),
    (None, 7, "unknown"),
    (None, None, "unknown"),                   # no EFI
])
def test_secure_boot_state(mokutil, efi, want):
    assert np.secure_boot_state(mokutil, efi) == want


# timedatectl status of systemd 239 (two lines) and of systemd 245+ (one)
STATUS_OLD = ("      Local time: Sat 2026-12-05 21:00:00 UTC\n  NTP synchronized: no\n"
              "System clock synchronized: yes\n")
STATUS_NEW = "               Local time: Sat 2026-12-05 21:00:00 UTC\nSystem clock synchronized: yes\n"
TRACKING_OK = "Reference ID    : C0A80101 (192.168.1.1)\nStratum         : 3\nLeap status     : Normal\n"
TRACKING_UNSYNC = "Reference ID    : 00000000 ()\nStratum         : 0\nLeap status     : Not synchronised\n"


@pytest.mark.parametrize("show, tracking, status, want", [
    ("yes\n", None, None, (True, "timedatectl")),
    ("no\n", TRACKING_OK, None, (False, "timedatectl")),     # timedatectl answers first
    ("", None, None, (None, "timedatectl")),
    (None, TRACKING_OK, None, (True, "chrony")),
    (None, TRACKING_UNSYNC, None, (False, "chrony")),
    (None, None, STATUS_OLD, (False, "timedatectl-status")),  # the first line that says
    (None, None, STATUS_NEW, (True, "timedatectl-status")),
    (None, None, "", (None, "timedatectl-status")),
    (None, None, None, (None, "timedatectl-status")),
])
def test_time_sync_state(show, tracking, status, want):
    got = np.time_sync_state(show, tracking, status)
    assert (got["synchronized"], got["source"]) == want


@pytest.mark.parametrize("text, want", [
    ("Filesystem 1024-blocks Used Available Capacity Mounted on\n"
     "overlay 102687672 30000000 72687672 30% /\n", 69.3),
    ("Filesystem 1024-blocks Used Available Capacity Mounted on\n", 0.0),
    ("", 0.0),
])
def test_parse_df_free_gb(text, want):
    assert np.parse_df_free_gb(text) == want


def test_parse_listening_ports():
    text = ("LISTEN 0 4096 0.0.0.0:22 0.0.0.0:*\nLISTEN 0 4096 [::]:6443 [::]:*\n"
            "LISTEN 0 128 127.0.0.53%lo:53 0.0.0.0:*\nshort line\n")
    assert np.parse_listening_ports(text) == [22, 53, 6443]


def _tool(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_time_sync_reads_timedatectl_then_chrony_then_status(tmp_path):
    failing = _tool(tmp_path, "timedatectl", 'case "$1" in show) exit 1;; status) echo "NTP synchronized: no";; '
                                             'esac')
    chronyc = _tool(tmp_path, "chronyc", 'echo "Leap status     : Normal"')
    assert np.read_time_sync(failing, chronyc, 5) == {"synchronized": True, "source": "chrony"}
    assert np.read_time_sync(failing, None, 5) == {"synchronized": False, "source": "timedatectl-status"}
    answering = _tool(tmp_path, "timedatectl2", 'echo yes')
    assert np.read_time_sync(answering, chronyc, 5) == {"synchronized": True, "source": "timedatectl"}
    assert np.read_time_sync(None, None, 5) == {"synchronized": None, "source": "timedatectl-status"}


def test_a_hanging_time_service_is_left_behind_within_the_limit(tmp_path):
    hung = _tool(tmp_path, "timedatectl", "sleep 30")
    start = time.monotonic()
    assert np.read_time_sync(hung, None, 0.5)["synchronized"] is None
    assert time.monotonic() - start < 10


def test_secure_boot_from_mokutil_or_the_efi_variable(tmp_path):
    mokutil = _tool(tmp_path, "mokutil", 'echo "SecureBoot enabled"')
    assert np.read_secure_boot(mokutil, 5, str(tmp_path / "none")) == "enabled"
    stderr_only = _tool(tmp_path, "mokutil2", 'echo "EFI variables are not supported on this system" >&2; exit 1')
    assert np.read_secure_boot(stderr_only, 5, str(tmp_path / "none")) == "unknown"
    efivars = tmp_path / "efivars"
    efivars.mkdir()
    assert np.read_secure_boot(None, 5, str(efivars)) == "unknown"
    (efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(b"\x06\x00\x00\x00\x01")
    assert np.read_secure_boot(None, 5, str(efivars)) == "enabled"
    (efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c").write_bytes(b"\x06\x00\x00\x00\x00")
    assert np.read_secure_boot(None, 5, str(efivars)) == "disabled"


def test_disk_free_is_none_when_df_hangs(tmp_path, monkeypatch):
    assert isinstance(np.read_disk_free_gb("/", 10), float)
    _tool(tmp_path, "df", "exec %s 30" % shutil.which("sleep"))
    monkeypatch.setenv("PATH", str(tmp_path))
    start = time.monotonic()
    assert np.read_disk_free_gb("/", 0.5) is None
    assert time.monotonic() - start < 10


def test_packages_are_read_with_dpkg_query(tmp_path, monkeypatch):
    _tool(tmp_path, "dpkg-query", 'shift 2; for p in "$@"; do [ "$p" = kubelet ] && echo "kubelet 1.31.4-1.1 ii "; '
                                  'done; exit 1')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert np.read_packages(["kubeadm", "kubelet"], 5) == "kubelet 1.31.4-1.1 ii \n"
    assert np.read_packages([], 5) == ""


def test_runtimes(tmp_path):
    binary = _tool(tmp_path, "nvidia-container-runtime", "true")
    plain = tmp_path / "ascend-docker-runtime"
    plain.write_text("")
    dangling = tmp_path / "dangling"
    os.symlink(str(tmp_path / "nowhere"), str(dangling))
    assert np.runtimes(binary, str(plain)) == (True, True)
    assert np.runtimes(str(plain), str(dangling)) == (False, True)  # not executable; a link is there (as stat)
    assert np.runtimes(str(tmp_path / "none"), str(tmp_path / "none")) == (False, False)
    assert np.runtimes(None, None) == (False, False)


def test_system_reads_architecture_and_short_host_name(monkeypatch):
    monkeypatch.setattr(np.platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(np.platform, "node", lambda: "gpu-01.ai.example")
    assert np.read_system() == {"architecture": "aarch64", "hostname": "gpu-01"}
