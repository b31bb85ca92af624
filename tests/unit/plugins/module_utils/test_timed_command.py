"""Nothing hangs: the shared command runner, the info modules and the stage records against stand-ins that
sleep (a temp script), and garbled vendor output (variants of the real fixtures) as problems, never tracebacks."""
import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend, nvidia, stage_state, timed_command
from module_run import run_module_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODULES = os.path.join(ROOT, "plugins", "modules")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures")


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def run_module(name, args, tmp_path, limit=60):
    """The module's result, and how long it took."""
    started = time.monotonic()
    return run_module_file(name, args, tmp_path, limit), time.monotonic() - started


# --- the shared runner -------------------------------------------------------------------------------------

def test_run_returns_output_and_rc(tmp_path):
    tool = script(tmp_path, "tool", 'echo "out $LC_ALL"; echo err >&2; exit 3')
    assert timed_command.run([tool]) == (3, "out C\n", "err\n", False)


def test_run_stops_a_command_that_sleeps(tmp_path):
    tool = script(tmp_path, "hang", "echo started; sleep 60")
    started = time.monotonic()
    result = timed_command.run([tool], timeout=1, grace=1)
    assert result.timed_out and result.rc is None
    assert time.monotonic() - started < 5
    assert result.stdout == "started\n"  # what it printed before it hung is kept


def test_run_kills_a_command_that_ignores_sigterm_and_its_children(tmp_path):
    marker = tmp_path / "child.pid"
    tool = script(tmp_path, "stubborn", "trap '' TERM; sleep 60 & echo $! > %s; wait" % marker)
    started = time.monotonic()
    result = timed_command.run([tool], timeout=1, grace=1)
    assert result.timed_out and time.monotonic() - started < 6
    child = int(marker.read_text())
    time.sleep(0.3)
    # the whole process group went, the backgrounded sleep too (gone, or a zombie where PID 1 does not reap)
    status = "/proc/%d/status" % child
    if os.path.exists(status):
        with open(status) as handle:
            assert re.search(r"^State:\s+Z", handle.read(), re.M)


def test_run_missing_and_not_executable(tmp_path):
    assert timed_command.run([str(tmp_path / "none")]).rc == 127
    plain = tmp_path / "plain"
    plain.write_text("echo hi\n")
    assert timed_command.run([str(plain)]).rc == 126


def test_call_gives_up_on_a_function_that_blocks():
    done, value = timed_command.call(time.sleep, 0.5, args=(30,))
    assert (done, value) == (False, None)
    assert timed_command.call(sum, 5, args=([1, 2],)) == (True, 3)
    with pytest.raises(ZeroDivisionError):
        timed_command.call(lambda: 1 / 0, 5)


def test_did_not_answer_sentence():
    assert timed_command.did_not_answer("nvidia-smi", 30, nvidia.TIMEOUT_HINT) == (
        "nvidia-smi did not answer within 30 s: a GPU may have fallen off the bus or the driver is stuck; "
        "see `dmesg` (Xid errors)")
    assert timed_command.did_not_answer("npu-smi info", 2.5) == "npu-smi info did not answer within 2.5 s"


# --- the info modules with a hung tool -----------------------------------------------------------------------

def test_nvidia_smi_that_hangs_is_a_problem_and_the_report_comes_out(tmp_path):
    smi = script(tmp_path, "nvidia-smi", "sleep 60")
    (tmp_path / "sys" / "module" / "nvidia").mkdir(parents=True)
    (tmp_path / "sys" / "module" / "nvidia" / "version").write_text("580.159.04\n")
    result, took = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi, "timeout": 1},
                              tmp_path)
    nv = result["nvidia"]
    assert took < 10
    assert nv["problems"][0].startswith("nvidia-smi did not answer within 1 s: a GPU may have fallen off the bus")
    # the other sources still answered
    assert nv["driver_version"] == "580.159.04" and nv["source"] == "/sys/module/nvidia/version"
    assert nv["gpu_count"] is None


def test_npu_smi_that_hangs_is_a_problem_and_the_report_comes_out(tmp_path):
    smi = script(tmp_path, "npu-smi", "sleep 60")
    install = tmp_path / "ascend_install.info"
    install.write_text("Driver_Install_Path_Param=%s\n" % tmp_path)
    for kind in ("driver", "firmware"):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "version.info").write_text("Version=23.0.7\n")
    result, took = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi, "timeout": 1,
                                                  "install_info_path": str(install)}, tmp_path)
    npu = result["ascend"]
    assert took < 10
    assert "npu-smi info did not answer within 1 s: the Ascend driver may be stuck" in " ".join(npu["problems"])
    assert npu["driver_version"] == "23.0.7" and npu["npus"] == []


def test_npu_smi_list_that_hangs_after_info_answered(tmp_path, fixture_text):
    info = fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt")
    smi = script(tmp_path, "npu-smi", 'if [ "$*" = "info -l" ]; then sleep 60; fi\ncat <<\'EOF\'\n%sEOF' % info)
    result, took = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi, "timeout": 1,
                                                  "install_info_path": str(tmp_path / "none")}, tmp_path)
    npu = result["ascend"]
    assert took < 10 and npu["chip_count"] == 2
    assert [p for p in npu["problems"] if p.startswith("npu-smi info -l did not answer within 1 s: the Ascend driver "
                                                       "may be stuck")]


# --- garbage from the real fixtures -------------------------------------------------------------------------

NPU_FIXTURES = sorted(f for f in os.listdir(os.path.join(FIXTURES, "ascend")) if f.startswith("npu_smi_2"))
XML_FIXTURES = sorted(f for f in os.listdir(os.path.join(FIXTURES, "nvidia")) if f.endswith(".xml"))


def _cut_variants(text):
    lines = text.splitlines(True)
    for count in range(len(lines)):
        yield "".join(lines[:count])
    for size in range(0, len(text), max(1, len(text) // 40)):
        yield text[:size]


@pytest.mark.parametrize("fixture", NPU_FIXTURES)
def test_npu_smi_truncated_anywhere_is_a_problem_not_an_exception(fixture, fixture_text):
    for text in _cut_variants(fixture_text("ascend", fixture)):
        try:
            ascend.parse_npu_smi_info(text)
        except ascend.AscendParseError:
            pass


@pytest.mark.parametrize("fixture", NPU_FIXTURES)
@pytest.mark.parametrize("garbage", ["N/A", "ERR!", "-", "x7", ""])
def test_npu_smi_with_any_number_garbled_is_a_problem_not_an_exception(fixture, garbage, fixture_text):
    text = fixture_text("ascend", fixture)
    for match in re.finditer(r"\d+(?:\.\d+)?", text):
        try:
            ascend.parse_npu_smi_info(text[:match.start()] + garbage + text[match.end():])
        except ascend.AscendParseError:
            pass


@pytest.mark.parametrize("cell,garbage", [(0, "N/A"), (0, "ERR!"), (1, "N/A"), (1, "?")])
def test_npu_smi_process_table_with_na_cells_gives_a_problem(cell, garbage, fixture_text):
    """The 910B2C host's process row `| 0       0 | 124528 | python3.8 | 17400 |` with a cell garbled."""
    text = fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt")
    row = "| 0       0                 | 124528        |"
    assert row in text
    garbled = row.replace("0       0", "0       %s" % garbage) if cell == 0 else row.replace("124528", garbage.ljust(6))
    smi = ascend.parse_npu_smi_info(text.replace(row, garbled))
    assert smi["processes"] == [] and len(smi["npus"]) == 2
    assert len(smi["unreadable"]) == 1 and "NPU, chip or process id is not a number" in smi["unreadable"][0]
    result = ascend.summarize(smi=smi)
    assert any(p.startswith("npu-smi info: process row") and "garbled output" in p for p in result["problems"])


def test_npu_smi_device_cells_that_are_no_numbers_give_problems(fixture_text):
    text = fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt").replace("88.6        51", "ERR!        51")
    text = text.replace("20701/ 65536", "20701/ ERR! ")
    smi = ascend.parse_npu_smi_info(text)
    assert smi["npus"][0]["power_w"] is None and smi["npus"][0]["hbm_total_mb"] is None
    assert sorted(smi["unreadable"]) == ["NPU 0 chip 0 HBM total is 'ERR!', not a number",
                                         "NPU 0 chip 0 power is 'ERR!', not a number"]
    assert len([p for p in ascend.summarize(smi=smi)["problems"] if "garbled output" in p]) == 2


@pytest.mark.parametrize("fixture", NPU_FIXTURES)
def test_real_npu_smi_fixtures_have_nothing_unreadable(fixture, fixture_text):
    """The absent markers (NA, N/A, -) of real tables are not garbage."""
    assert ascend.parse_npu_smi_info(fixture_text("ascend", fixture))["unreadable"] == []


@pytest.mark.parametrize("garbage", ["N/A", "ERR!", "", "x"])
def test_npu_smi_list_garbled_is_a_problem_not_an_exception(garbage, fixture_text):
    text = fixture_text("ascend", "npu_smi_list_8.txt")
    for match in re.finditer(r"\d+", text):
        try:
            ascend.parse_npu_smi_list(text[:match.start()] + garbage + text[match.end():])
        except ascend.AscendParseError:
            pass
    for variant in _cut_variants(text):
        try:
            ascend.parse_npu_smi_list(variant)
        except ascend.AscendParseError:
            pass


@pytest.mark.parametrize("fixture", XML_FIXTURES)
def test_nvidia_smi_xml_truncated_or_garbled_is_a_problem_not_an_exception(fixture, fixture_text):
    text = fixture_text("nvidia", fixture)
    variants = list(_cut_variants(text))
    for match in list(re.finditer(r"\d+(?:\.\d+)?", text))[:60]:
        for garbage in ("N/A", "ERR!", "x"):
            variants.append(text[:match.start()] + garbage + text[match.end():])
    for variant in variants:
        try:
            nvidia.parse_nvidia_smi_xml(variant)
        except nvidia.NvidiaParseError:
            pass


def test_nvidia_smi_xml_with_a_garbled_encoding_is_a_problem(fixture_text):
    text = fixture_text("nvidia", "a100_mig_535.54.03_v12.xml")
    assert 'encoding="UTF-8"' in text or "encoding='UTF-8'" in text or "UTF-8" in text
    with pytest.raises(nvidia.NvidiaParseError, match="cannot be read"):
        nvidia.parse_nvidia_smi_xml(text.replace("UTF-8", "UTF-x", 1))


def test_nvidia_smi_garbage_through_the_module_is_a_problem(tmp_path):
    smi = script(tmp_path, "nvidia-smi", "echo '<?xml version=\"1.0\" encoding=\"bogus\"?><nvidia_smi_log>'")
    result, _took = run_module("nvidia_gpu_info", {"sysfs_root": str(tmp_path), "nvidia_smi": smi}, tmp_path)
    assert result["nvidia"]["problems"] and "nvidia-smi -q -x output" in result["nvidia"]["problems"][0]


def test_npu_smi_garbage_through_the_module_is_a_problem(tmp_path, fixture_text):
    text = fixture_text("ascend", "npu_smi_23.0.2.1_910B2C_hbm.txt").replace("| 0       0    ", "| 0       N/A  ")
    smi = script(tmp_path, "npu-smi", "cat <<'EOF'\n%sEOF" % text)
    result, _took = run_module("ascend_npu_info", {"sysfs_root": str(tmp_path), "npu_smi": smi,
                                                   "install_info_path": str(tmp_path / "none")}, tmp_path)
    assert any(p.startswith("npu-smi info: process row") for p in result["ascend"]["problems"])


# --- stage records: a probe or a path that hangs makes the stage run ------------------------------------------

def _stamp(tmp_path, state, probes=(), files=(), inputs="digest", limit=60):
    args = {"stage": "demo", "state": state, "inputs": inputs, "probes": list(probes), "files": list(files),
            "stamp_dir": str(tmp_path / "stages"), "timeout": 1}
    return run_module("stage_stamp", args, tmp_path, limit)


def test_stage_probe_that_hangs_makes_the_stage_run(tmp_path):
    probe = script(tmp_path, "probe", 'if [ -f "%s" ]; then sleep 60; fi; echo fine' % (tmp_path / "hang"))
    _stamp(tmp_path, "record", probes=[probe])
    result, _took = _stamp(tmp_path, "check", probes=[probe])
    assert result["current"] is True  # the probe answers: the stage is skipped
    (tmp_path / "hang").write_text("")
    result, took = _stamp(tmp_path, "check", probes=[probe])
    assert took < 10
    assert result["current"] is False
    assert result["reasons"] == ["`%s` did not answer within 1 s, so it cannot be compared" % probe]


def test_stage_recorded_while_a_probe_hung_never_skips(tmp_path):
    probe = script(tmp_path, "probe", "sleep 60")
    _stamp(tmp_path, "record", probes=[probe])
    record = json.loads((tmp_path / "stages" / "demo.json").read_text())
    assert record["probes"][probe] == "timeout: did not answer within 1 s"
    result, _took = _stamp(tmp_path, "check", probes=[probe])
    assert result["current"] is False and "did not answer within 1 s" in result["reasons"][0]


def test_stage_file_that_hangs_makes_the_stage_run():
    stamp = {"inputs": "d", "files": {"/mnt/share": {"/mnt/share": {"type": "directory", "mode": "0755"}},
                                      "/etc/x": {"/etc/x": {"type": "file"}}}, "probes": {}}
    now = {"/mnt/share": {"/mnt/share": stage_state.timed_out_file(30)}, "/etc/x": {"/etc/x": {"type": "file"}}}
    assert stage_state.differences(stamp, "d", {}, now, {}) == [
        "/mnt/share did not answer within 30 s (a hung mount?), so it cannot be compared"]
    # recorded while it hung, hung again now: still runs
    stamp["files"]["/mnt/share"]["/mnt/share"] = stage_state.timed_out_file(30)
    assert stage_state.differences(stamp, "d", {}, now, {}) != []


def test_stage_read_files_gives_up_on_a_path_that_blocks(monkeypatch):
    sys.path.insert(0, MODULES)
    try:
        import stage_stamp as module  # noqa: E402 - the module file, imported for its helpers
    finally:
        sys.path.remove(MODULES)
    calls = []

    def slow_state(path):
        calls.append(path)
        if path == "/hung":
            time.sleep(30)
        return {"type": "file"}

    monkeypatch.setattr(module, "file_state", slow_state)
    started = time.monotonic()
    out = module.read_files(["/a", "/hung", "/b"], timeout=0.5)
    assert time.monotonic() - started < 3
    assert out["/a"] == {"/a": {"type": "file"}}
    assert out["/hung"] == {"/hung": {"type": "timeout", "seconds": 0.5}}
    # after a hung path the rest is not read (the stage runs anyway)
    assert out["/b"] == {"/b": {"type": "timeout", "seconds": 0.5}} and "/b" not in calls


def test_hccn_tool_that_hangs_stops_the_node_with_the_reason(tmp_path):
    """roles/ascend_runtime/tasks/nics.yml for real on this machine (connection local) with an hccn_tool that
    sleeps: the run stops within the timeout naming the tool and the NPU, before anything is written."""
    tool = script(tmp_path, "hccn_tool", "sleep 60")
    conf = tmp_path / "hccn.conf"
    playbook = tmp_path / "nics.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: aiplatform.cluster.ascend_runtime\n"
        "        tasks_from: nics\n      vars:\n"
        "        ascend_runtime_hccn_tool: %s\n        ascend_runtime_hccn_conf: %s\n"
        "        ascend_runtime_command_timeout: 1\n"
        "        ascend_runtime_rank_table: %s/hccl.json\n"
        "        ascend_runtime_nics: [{device: 0, address: 192.168.10.13, netmask: 255.255.255.0}]\n"
        % (tool, conf, tmp_path))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false",
               ANSIBLE_NOCOLOR="true", ANSIBLE_LOCALHOST_WARNING="false")
    started = time.monotonic()
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    out = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0 and time.monotonic() - started < 60
    assert "localhost: %s did not answer within 1 s for NPU 0: the Ascend driver may be stuck" % tool in out, out[-2000:]
    assert not conf.exists()
