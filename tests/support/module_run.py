"""Run a module of the collection as Ansible runs it, for unit tests (tests/unit/conftest.py puts this folder on
sys.path): an args file, the collection importable, the module's JSON result. A traceback fails the test: a
module answers with a message, never a stack."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_module_file(name, args, tmp_path, limit=60):
    """``plugins/modules/<name>.py`` with ``args`` (the args file is written in ``tmp_path``); its result."""
    args_file = tmp_path / ("args-%s.json" % name)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".collections"))
    result = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "modules", name + ".py"), str(args_file)],
                            env=env, capture_output=True, text=True, timeout=limit, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)
