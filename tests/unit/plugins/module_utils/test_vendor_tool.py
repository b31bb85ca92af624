"""One step for both vendors' tools: find it, run a command with a time limit, parse or say why not.

The tools are small shell scripts standing in for nvidia-smi and npu-smi (they print real captures)."""

import stat

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import ascend, nvidia, vendor_tool

TOOLS = {"nvidia-smi": nvidia.NVIDIA_SMI, "npu-smi": ascend.NPU_SMI}


def fake_tool(tmp_path, name, script):
    """An executable ``name`` in ``tmp_path`` running ``script`` (sh), which sees its arguments in ``$*``."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n%s\n" % script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def printing(tmp_path, name, expected_args, text, rc=0):
    """A tool that prints ``text`` and exits ``rc`` when called with ``expected_args``, else says so and exits 99."""
    (tmp_path / "out.txt").write_text(text)
    return fake_tool(tmp_path, name, '[ "$*" = "%s" ] || { echo "called with $*"; exit 99; }\ncat %s\nexit %d'
                     % (expected_args, tmp_path / "out.txt", rc))


class Which(object):
    """A stand-in for AnsibleModule.get_bin_path that records how it was asked."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def __call__(self, name, opt_dirs=None):
        self.calls.append((name, opt_dirs))
        return self.answer


@pytest.mark.parametrize("name, opt_dirs", [("nvidia-smi", ["/usr/bin"]),
                                            ("npu-smi", ["/usr/local/bin", "/usr/local/sbin"])])
def test_find_searches_path_and_the_tables_dirs(tmp_path, name, opt_dirs):
    program = fake_tool(tmp_path, name, "exit 0")
    which = Which(program)
    assert vendor_tool.find(TOOLS[name], None, which) == (program, None)
    assert which.calls == [(name, opt_dirs)]
    assert vendor_tool.find(TOOLS[name], None, Which(None)) == (None, "%s is not installed" % name)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_find_takes_the_given_path_and_checks_it(tmp_path, name):
    program = fake_tool(tmp_path, name, "exit 0")
    which = Which("/elsewhere/" + name)
    assert vendor_tool.find(TOOLS[name], program, which) == (program, None)
    assert which.calls == []
    plain = tmp_path / "not-executable"
    plain.write_text("")
    for path in (str(tmp_path / "none"), str(plain)):
        assert vendor_tool.find(TOOLS[name], path, which) == (None, "%s not found at %s" % (name, path))


def test_nvidia_smi_parsed(tmp_path, fixture_text):
    program = printing(tmp_path, "nvidia-smi", "-q -x", fixture_text("nvidia", "h100_nvidia-smi-q-x.xml"))
    value, problem, kind = vendor_tool.run(program, nvidia.NVIDIA_SMI, nvidia.NVIDIA_SMI_XML, timeout=20)
    assert (problem, kind) == (None, None)
    assert value["driver_version"] == "580.159.04" and len(value["gpus"]) == 1


def test_npu_smi_info_and_list_parsed(tmp_path, fixture_text):
    program = printing(tmp_path, "npu-smi", "info", fixture_text("ascend", "npu_smi_24.1.0_910B_8x_hugepages.txt"))
    value, problem, kind = vendor_tool.run(program, ascend.NPU_SMI, ascend.NPU_SMI_INFO, timeout=20)
    assert (problem, kind) == (None, None) and len(value["npus"]) == 8
    program = printing(tmp_path, "npu-smi", "info -l", fixture_text("ascend", "npu_smi_list_8.txt"))
    value, problem, kind = vendor_tool.run(program, ascend.NPU_SMI, ascend.NPU_SMI_LIST, timeout=20)
    assert (problem, kind) == (None, None) and value["total"] == 8


@pytest.mark.parametrize("name, command, args, output, rc, kind, start", [
    ("nvidia-smi", nvidia.NVIDIA_SMI_XML, "-q -x", "smi_mismatch_580.178.txt", 18, "driver_mismatch",
     "nvidia-smi: the NVIDIA kernel module and the user-space library differ (NVML library 580.178)"),
    ("nvidia-smi", nvidia.NVIDIA_SMI_XML, "-q -x", "smi_no_devices.txt", 6, "no_devices", "nvidia-smi found no GPU"),
    ("npu-smi", ascend.NPU_SMI_INFO, "info", "dcmi module initialize failed. ret is -8005\n", 1, "driver_not_loaded",
     "npu-smi cannot initialise DCMI"),
    ("npu-smi", ascend.NPU_SMI_INFO, "info", "Segmentation fault\n", 139, "failed",
     "npu-smi info failed (rc=139): Segmentation fault"),
])
def test_a_failed_run_is_classified_by_the_tools_table(tmp_path, fixture_text, name, command, args, output, rc, kind,
                                                       start):
    text = fixture_text("nvidia", output) if output.endswith(".txt") else output
    program = printing(tmp_path, name, args, text, rc)
    value, problem, got = vendor_tool.run(program, TOOLS[name], command, timeout=20)
    assert value is None and got == kind and problem.startswith(start), problem


@pytest.mark.parametrize("name, command, label", [("nvidia-smi", nvidia.NVIDIA_SMI_XML, "nvidia-smi"),
                                                  ("npu-smi", ascend.NPU_SMI_INFO, "npu-smi info"),
                                                  ("npu-smi", ascend.NPU_SMI_LIST, "npu-smi info -l")])
def test_a_hung_run_is_a_problem_with_the_tools_hint(tmp_path, name, command, label):
    program = fake_tool(tmp_path, name, "exec sleep 60")
    value, problem, kind = vendor_tool.run(program, TOOLS[name], command, timeout=0.5)
    assert (value, kind) == (None, vendor_tool.TIMED_OUT)
    assert problem == "%s did not answer within 0.5 s: %s" % (label, TOOLS[name].hint)


def test_unreadable_output_says_so_as_each_table_words_it(tmp_path, fixture_text):
    program = printing(tmp_path, "nvidia-smi", "-q -x", "<nvidia_smi_log><driver_version>")
    _value, problem, kind = vendor_tool.run(program, nvidia.NVIDIA_SMI, nvidia.NVIDIA_SMI_XML, timeout=20)
    assert kind == vendor_tool.UNREADABLE and problem.startswith("nvidia-smi -q -x output is not valid XML")
    head = "\n".join(fixture_text("ascend", "npu_smi_24.1.0_910B_8x_hugepages.txt").splitlines()[:7]) + "\n"
    program = printing(tmp_path, "npu-smi", "info", head)
    _value, problem, kind = vendor_tool.run(program, ascend.NPU_SMI, ascend.NPU_SMI_INFO, timeout=20)
    assert kind == vendor_tool.UNREADABLE
    assert problem.startswith("npu-smi info: npu-smi info device rows are incomplete"), problem


def test_a_missing_program_is_not_installed(tmp_path):
    for name, command in (("nvidia-smi", nvidia.NVIDIA_SMI_XML), ("npu-smi", ascend.NPU_SMI_INFO)):
        answer = vendor_tool.run(str(tmp_path / name), TOOLS[name], command, timeout=20)
        assert answer == vendor_tool.Answer(None, "%s is not installed" % name, "not_installed")
