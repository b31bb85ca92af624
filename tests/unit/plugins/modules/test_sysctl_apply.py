"""sysctl_apply: the drop-in and the running kernel's values in one call. Table-driven tests of its parts (names,
values, comparison, what a container may set), and the module run as Ansible runs it (tests/support/module_run.py)
against a directory standing for /proc/sys: what it writes and sets, that a second call changes nothing, check mode
and diff, that a container never sets kernel-wide values, and the errors (nothing changed)."""
import os
import socket

import pytest
from module_run import run_module_file

from ansible_collections.aiplatform.cluster.plugins.modules import sysctl_apply as mod


@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "net/ipv4/ip_forward"),
    ("vm.swappiness", "vm/swappiness"),
    ("net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter"),
])
def test_key_path(key, path):
    assert mod.key_path(key) == path


@pytest.mark.parametrize("key, bad", [
    ("net.ipv4.ip_forward", False), ("net.bridge.bridge-nf-call-iptables", False),
    ("net/ipv4/conf/eth0.100/rp_filter", False), ("", True), ("net..ipv4", True), ("/proc/sys/vm", True),
    ("net/../../etc/passwd", True), ("vm.swappiness ", True), ("a=b", True), ("net.ipv4.", True),
])
def test_key_problem(key, bad):
    assert (mod.key_problem(key) is not None) is bad


@pytest.mark.parametrize("value, text", [
    (1, "1"), (0, "0"), (True, "1"), (False, "0"), ("True", "1"), ("no", "0"), ("yes", "1"), (524288, "524288"),
    (" 4096 87380 6291456 ", "4096 87380 6291456"), ("", None), ("1\n2", None), (None, None), ([1], None),
])
def test_normalize_value(value, text):
    assert mod.normalize_value(value) == text


@pytest.mark.parametrize("live, wanted, same", [
    ("1", "1", True), ("0", "1", False), ("4096\t87380\t6291456", "4096 87380 6291456", True),
    ("4096\t87380", "4096 87380 6291456", False), (mod.MISSING, "1", False), ("", "0", False),
])
def test_same_value(live, wanted, same):
    assert mod.same_value(live, wanted) is same


KEYS = ["net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward", "fs.file-max", "net.core.somaxconn",
        "vm.swappiness", "kernel.pid_max", "net.ipv6.conf.all.forwarding", "net.netfilter.nf_conntrack_max"]
KERNEL_WIDE = "kernel-wide: a container shares its host's kernel"
NOT_NS = "not a parameter of the container's own network namespace"
READ_ONLY = "/proc/sys/net is read-only in this container"


@pytest.mark.parametrize("container, netsys, to_set, skipped", [
    (False, False, KEYS, {}),
    (False, True, KEYS, {}),
    (True, True, ["net.ipv4.ip_forward", "net.core.somaxconn", "net.ipv6.conf.all.forwarding"], {
        "net.bridge.bridge-nf-call-iptables": NOT_NS, "fs.file-max": KERNEL_WIDE, "vm.swappiness": KERNEL_WIDE,
        "kernel.pid_max": KERNEL_WIDE, "net.netfilter.nf_conntrack_max": NOT_NS}),
    (True, False, [], {
        "net.bridge.bridge-nf-call-iptables": NOT_NS, "net.ipv4.ip_forward": READ_ONLY, "fs.file-max": KERNEL_WIDE,
        "net.core.somaxconn": READ_ONLY, "vm.swappiness": KERNEL_WIDE, "kernel.pid_max": KERNEL_WIDE,
        "net.ipv6.conf.all.forwarding": READ_ONLY, "net.netfilter.nf_conntrack_max": NOT_NS}),
])
def test_plan_what_a_container_may_set(container, netsys, to_set, skipped):
    assert mod.plan(KEYS, container, netsys) == (to_set, skipped)


def test_render_is_what_ansible_posix_sysctl_wrote():
    assert mod.render({"net.ipv4.ip_forward": "1", "fs.file-max": "2097152"}) == \
        "net.ipv4.ip_forward=1\nfs.file-max=2097152\n"


def test_changes_only_what_differs_in_order():
    params = {"a.b": "1", "c.d": "2 3", "e.f": "4", "g.h": "5"}
    live = {"a.b": "1", "c.d": "2\t4", "e.f": mod.MISSING}
    assert mod.changes(params, ["a.b", "c.d", "e.f"], live) == {
        "c.d": {"before": "2\t4", "after": "2 3"},
        "e.f": {"before": "(not in the running kernel)", "after": "4"}}


@pytest.mark.parametrize("key, hint", [
    ("net.bridge.bridge-nf-call-iptables", "br_netfilter"), ("net.ipv4.vs.conntrack", "ip_vs"),
    ("net.netfilter.nf_conntrack_max", "nf_conntrack"), ("vm.nothing", "or the name is wrong"),
])
def test_missing_hint_names_the_module(key, hint):
    assert hint in mod.missing_hint(key)


# --- the module, against a directory standing for /proc/sys ---------------------------------------------------

LIVE = {"net/ipv4/ip_forward": "0", "net/core/somaxconn": "4096", "vm/swappiness": "60", "fs/file-max": "9223372",
        "net/ipv4/tcp_rmem": "4096\t131072\t6291456", "net/bridge/bridge-nf-call-iptables": "0"}
PARAMS = {"net.bridge.bridge-nf-call-iptables": 1, "net.ipv4.ip_forward": 1, "fs.file-max": 2097152,
          "net.core.somaxconn": 32768, "vm.swappiness": 0, "net.ipv4.tcp_rmem": "4096 131072 6291456"}
FILE = ("net.bridge.bridge-nf-call-iptables=1\nnet.ipv4.ip_forward=1\nfs.file-max=2097152\nnet.core.somaxconn=32768\n"
        "vm.swappiness=0\nnet.ipv4.tcp_rmem=4096 131072 6291456\n")


@pytest.fixture
def proc(tmp_path):
    root = tmp_path / "proc_sys"
    for rel, value in LIVE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(value + "\n")
    return root


def live_of(proc):
    return dict((rel, (proc / rel).read_text().strip()) for rel in LIVE)


def args(tmp_path, proc, **kw):
    return dict(dict(path=str(tmp_path / "90-aiplatform.conf"), params=PARAMS, proc_sys=str(proc)), **kw)


def test_writes_the_file_sets_what_differs_then_changes_nothing(tmp_path, proc):
    first = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert first["changed"] is True and first["file_changed"] is True, first
    assert list(first["applied"]) == ["net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward", "fs.file-max",
                                      "net.core.somaxconn", "vm.swappiness"], first
    assert first["applied"]["vm.swappiness"] == {"before": "60", "after": "0"}
    assert first["left_alone"] == {}
    assert (tmp_path / "90-aiplatform.conf").read_text() == FILE
    assert oct(os.stat(str(tmp_path / "90-aiplatform.conf")).st_mode & 0o777) == "0o644"
    assert live_of(proc) == {"net/ipv4/ip_forward": "1", "net/core/somaxconn": "32768", "vm/swappiness": "0",
                             "fs/file-max": "2097152", "net/ipv4/tcp_rmem": "4096\t131072\t6291456",
                             "net/bridge/bridge-nf-call-iptables": "1"}
    again = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert again["changed"] is False and again["applied"] == {} and again["left_alone"] == {} and again["file_changed"] is False, again


def test_a_file_ansible_posix_sysctl_wrote_is_left_as_it_is(tmp_path, proc):
    (tmp_path / "90-aiplatform.conf").write_text(FILE)
    os.chmod(str(tmp_path / "90-aiplatform.conf"), 0o644)
    for rel in LIVE:
        (proc / rel).write_text({"net/ipv4/tcp_rmem": "4096\t131072\t6291456"}.get(rel, "x"))
    result = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert result["file_changed"] is False and len(result["applied"]) == 5, result


def test_check_mode_changes_nothing_and_tells_with_a_diff(tmp_path, proc):
    (tmp_path / "90-aiplatform.conf").write_text(FILE.replace("vm.swappiness=0", "vm.swappiness=10"))
    os.chmod(str(tmp_path / "90-aiplatform.conf"), 0o644)
    result = run_module_file("sysctl_apply", dict(args(tmp_path, proc), _ansible_check_mode=True,
                                                  _ansible_diff=True), tmp_path)
    assert result["changed"] is True and result["file_changed"] is True, result
    assert len(result["applied"]) == 5
    assert live_of(proc) == LIVE
    assert "vm.swappiness=10" in (tmp_path / "90-aiplatform.conf").read_text()
    file_diff, kernel_diff = result["diff"]
    assert "vm.swappiness=10" in file_diff["before"] and "vm.swappiness=0" in file_diff["after"]
    assert "vm.swappiness = 60\n" in kernel_diff["before"] and "vm.swappiness = 0\n" in kernel_diff["after"]
    assert "net.ipv4.tcp_rmem" not in kernel_diff["before"]


def test_a_container_never_sets_kernel_wide_values(tmp_path, proc):
    result = run_module_file("sysctl_apply", args(tmp_path, proc, container=True), tmp_path)
    assert "skipped" not in result, result  # Ansible would show a true `skipped` as the task skipped
    assert list(result["applied"]) == ["net.ipv4.ip_forward", "net.core.somaxconn"], result
    assert result["left_alone"] == {"net.bridge.bridge-nf-call-iptables": NOT_NS, "fs.file-max": KERNEL_WIDE,
                                 "vm.swappiness": KERNEL_WIDE}
    now = live_of(proc)
    assert now["vm/swappiness"] == "60" and now["fs/file-max"] == "9223372"
    assert now["net/bridge/bridge-nf-call-iptables"] == "0" and now["net/ipv4/ip_forward"] == "1"
    assert (tmp_path / "90-aiplatform.conf").read_text() == FILE


def test_a_container_with_read_only_network_sysctls_sets_nothing(tmp_path, proc):
    (proc / "net" / "ipv4" / "ip_forward").unlink()  # not writable: what `test -w` tells
    result = run_module_file("sysctl_apply", args(tmp_path, proc, container=True), tmp_path)
    assert result["applied"] == {} and result["left_alone"]["net.core.somaxconn"] == READ_ONLY, result
    assert result["changed"] is True and (tmp_path / "90-aiplatform.conf").read_text() == FILE
    assert live_of_existing(proc)["net/core/somaxconn"] == "4096"


def live_of_existing(proc):
    return dict((rel, (proc / rel).read_text().strip()) for rel in LIVE if (proc / rel).exists())


def test_an_unknown_parameter_names_it_and_the_host_and_changes_nothing(tmp_path, proc):
    (proc / "net" / "bridge" / "bridge-nf-call-iptables").unlink()
    result = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert result.get("failed") is True, result
    assert socket.gethostname() in result["msg"]
    assert "net.bridge.bridge-nf-call-iptables (kernel module br_netfilter is not loaded)" in result["msg"]
    assert not (tmp_path / "90-aiplatform.conf").exists() and live_of_existing(proc)["vm/swappiness"] == "60"


def test_an_unknown_parameter_in_check_mode_is_a_warning_and_a_change(tmp_path, proc):
    (proc / "net" / "bridge" / "bridge-nf-call-iptables").unlink()
    result = run_module_file("sysctl_apply", dict(args(tmp_path, proc), _ansible_check_mode=True), tmp_path)
    assert not result.get("failed") and result["changed"] is True, result
    assert result["applied"]["net.bridge.bridge-nf-call-iptables"]["before"] == "(not in the running kernel)"
    assert "br_netfilter" in str(result.get("warnings")), result  # a list of texts, or of events (ansible-core 2.19)


def test_a_refused_value_sets_back_what_was_set_and_writes_no_file(tmp_path, proc):
    # the kernel refuses a write to net.core.somaxconn: here a link to /proc/version, which reads and refuses writes
    # (even root's), as the kernel refuses a value out of range
    (proc / "net" / "core" / "somaxconn").unlink()
    os.symlink("/proc/version", str(proc / "net" / "core" / "somaxconn"))
    result = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert result.get("failed") is True and "could not set net.core.somaxconn = 32768" in result["msg"], result
    assert "set back" in result["msg"]
    assert not (tmp_path / "90-aiplatform.conf").exists()
    now = live_of_existing(proc)
    assert now["net/ipv4/ip_forward"] == "0" and now["fs/file-max"] == "9223372"


@pytest.mark.parametrize("params, message", [
    ({"net..ipv4": 1}, "'net..ipv4' is not a kernel parameter name"),
    ({"vm.swappiness": ""}, "vm.swappiness: '' is not a value"),
    ({"vm.swappiness": [1]}, "vm.swappiness: [1] is not a value"),
])
def test_bad_input_is_refused_before_anything_changes(tmp_path, proc, params, message):
    result = run_module_file("sysctl_apply", args(tmp_path, proc, params=dict(PARAMS, **params)), tmp_path)
    assert result.get("failed") is True and message in result["msg"] and "Nothing was changed" in result["msg"]
    assert live_of(proc) == LIVE and not (tmp_path / "90-aiplatform.conf").exists()


def test_a_link_at_the_file_is_refused(tmp_path, proc):
    (tmp_path / "elsewhere").write_text("")
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "90-aiplatform.conf"))
    result = run_module_file("sysctl_apply", args(tmp_path, proc), tmp_path)
    assert result.get("failed") is True and "not a plain file" in result["msg"], result
    assert live_of(proc) == LIVE


def test_a_missing_directory_fails_a_run_and_is_a_change_in_check_mode(tmp_path, proc):
    where = dict(args(tmp_path, proc), path=str(tmp_path / "sysctl.d" / "90-aiplatform.conf"))
    run = run_module_file("sysctl_apply", where, tmp_path)
    assert run.get("failed") is True and "its directory does not exist" in run["msg"], run
    assert live_of(proc) == LIVE
    check = run_module_file("sysctl_apply", dict(where, _ansible_check_mode=True), tmp_path)
    assert not check.get("failed") and check["file_changed"] is True and check["changed"] is True, check
