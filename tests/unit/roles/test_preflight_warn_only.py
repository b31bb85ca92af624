"""preflight_warn_only as an operator gives it on the command line (`-e preflight_warn_only=true`, a string): the
report tasks (roles/preflight/tasks/report.yml) run by Ansible on a judged failing node. ansible-core 2.19 refused
the string in a conditional ("Conditional result was derived from value of type 'str'") and the documented
command failed instead of going on."""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FAILED = [{"check": "driver", "status": "fail", "detail": "NVIDIA driver missing", "fix": "install it"}]


def _run(tmp_path, value):
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars": {"__preflight_by_host": {"gpu-01": FAILED}, "platform_cluster": {"name": "t"},
                      "preflight_report_dir": str(tmp_path / "reports")},
             "tasks": [{"name": "report", "ansible.builtin.import_tasks":
                        os.path.join(ROOT, "roles", "preflight", "tasks", "report.yml")}]}]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", str(path), "-e", "preflight_warn_only=%s" % value], env=env,
                         capture_output=True, text=True, timeout=300, check=False, cwd=str(tmp_path))
    with open(str(tmp_path / "reports" / "t-preflight.json")) as handle:
        return run, json.load(handle)


@pytest.mark.parametrize("value, rc, downgraded", [("true", 0, True), ("false", 2, False)])
def test_warn_only_from_the_command_line(tmp_path, value, rc, downgraded):
    run, report = _run(tmp_path, value)
    assert run.returncode == rc, run.stdout[-3000:] + run.stderr[-2000:]
    assert "derived from value of type" not in run.stdout + run.stderr
    assert report["ready"] is False and report["downgraded"] is downgraded
    assert ("Unmet requirements (set preflight_warn_only=true" in run.stdout) is (not downgraded)
