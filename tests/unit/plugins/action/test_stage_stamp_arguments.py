"""The stage record's check validates the role's arguments where the stage runs (plugins/action/stage_stamp.py).

site.yml imports the stamped roles with ``rolespec_validate: false``: Ansible's own check (a task of its own on
every host, ahead of the role) would cost a worker per node and stage on every rerun, where the stage is unchanged.
The check of the record validates instead, against the same meta/argument_specs.yml, only where the stage runs;
a role loaded the usual way is validated by Ansible and not twice. docs/performance.md, docs/stages.md.
"""
import os
import re
import shutil
import subprocess
import sys

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template  # ansible-core 2.19: only trusted text is a template
except ImportError:  # 2.18 renders any text
    def trust_as_template(value):
        return value

from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
PKI = os.path.join(ROOT, "roles", "pki")


class _Role(object):
    """The parts of Ansible's Role the check reads; its specs from the role at ``path`` (the pki role's by default)."""

    def __init__(self, validated, params=None, tasks_from=None, name="aiplatform.cluster.pki", path=None):
        self._should_validate = validated
        self._role_params = params or {}
        self._from_files = {"tasks": tasks_from} if tasks_from else {}
        self._name = name
        self._path = path or PKI

    def get_name(self):
        return self._name

    def _get_role_argspecs(self):
        with open(os.path.join(self._path, "meta", "argument_specs.yml")) as handle:
            return yaml.safe_load(handle)["argument_specs"]


class _Task(object):
    def __init__(self, role, args=None):
        self._role = role
        self.args = args or {}


def _action(role, args=None):
    act = action.ActionModule.__new__(action.ActionModule)
    loader = DataLoader()
    act._task, act._loader, act._templar = _Task(role, args), loader, Templar(loader=loader)
    return act


def _vars(role_path, **values):
    return dict(values, role_path=role_path, inventory_hostname="cp-01")



def test_a_wrong_type_is_refused_naming_the_host_role_variable_and_where_it_is_described():
    errors = _action(_Role(False)).argument_errors(_vars(PKI, pki_ca_days="soon", pki_cert_days=825))
    assert len(errors) == 1, errors
    assert errors[0].startswith("cp-01: role aiplatform.cluster.pki (entry point main): ")
    assert "pki_ca_days" in errors[0] and "int" in errors[0]
    assert "ansible-doc -t role aiplatform.cluster.pki" in errors[0]


def test_every_problem_at_once_and_templated_values_are_checked_as_rendered():
    errors = _action(_Role(False)).argument_errors(_vars(
        PKI, pki_ca_days="soon", pki_cert_days=trust_as_template("{{ 'later' }}"),
        pki_renew_days=trust_as_template("{{ 10 + 20 }}")))
    assert sorted(re.findall(r"'(pki_\w+)'", " ".join(errors))) == ["pki_ca_days", "pki_cert_days"], errors


def test_values_that_hold_pass():
    assert _action(_Role(False)).argument_errors(_vars(PKI, pki_ca_days=3650, pki_cert_days="825")) == []


def test_a_role_ansible_validated_is_not_validated_again():
    """Loaded by ``roles:`` or include_role (rolespec_validate true): Ansible's task ran before the role."""
    assert _action(_Role(True)).argument_errors(_vars(PKI, pki_ca_days="soon")) == []


def test_the_role_parameters_are_validated_too():
    errors = _action(_Role(False, params={"pki_ca_days": "soon"})).argument_errors(_vars(PKI, pki_ca_days=3650))
    assert len(errors) == 1 and "pki_ca_days" in errors[0], errors


def test_an_entry_point_without_a_spec_validates_nothing():
    assert _action(_Role(False, tasks_from="stage")).argument_errors(_vars(PKI, pki_ca_days="soon")) == []


def test_a_secret_in_a_message_is_masked(tmp_path):
    """A message may quote the value it refused; a no_log option's value never reaches the output."""
    role = tmp_path / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {
        "short_description": "Demo", "options": {
            "demo_password": {"type": "str", "no_log": True, "description": "A secret.",
                              "choices": ["Right-Secret-1"]}}}}}))
    errors = _action(_Role(False, name="demo", path=str(role))).argument_errors(
        _vars(str(role), demo_password="Wrong-Secret-2"))
    assert len(errors) == 1 and "demo_password" in errors[0], errors
    assert "Wrong-Secret-2" not in errors[0], errors


def _run_action(monkeypatch, current, errors):
    """run() of a check whose module answers ``current``, with argument_errors() answering ``errors``."""
    act = _action(_Role(False), {"stage": "pki"})
    asked = []
    monkeypatch.setattr(action.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(act, "timeout", lambda args, task_vars: 30.0, raising=False)
    monkeypatch.setattr(act, "inputs", lambda role_path, task_vars, files: ("d", {"code": "c"}), raising=False)
    monkeypatch.setattr(act, "_execute_module", lambda **kwargs: {"current": current, "reasons": [] if current
                                                                  else ["no record"]}, raising=False)

    def argument_errors(task_vars):
        asked.append(True)
        return list(errors)

    monkeypatch.setattr(act, "argument_errors", argument_errors, raising=False)
    return act.run(task_vars=_vars(PKI)), asked


def test_an_unchanged_stage_is_not_validated(monkeypatch):
    result, asked = _run_action(monkeypatch, True, ["x"])
    assert not result.get("failed") and result["current"] is True and not asked


def test_a_stage_that_runs_is_validated_and_stops_on_every_problem(monkeypatch):
    result, asked = _run_action(monkeypatch, False, ["one", "two"])
    assert asked and result["failed"] and result["argument_errors"] == ["one", "two"]
    assert result["msg"] == "2 problems:\none\ntwo"
    result, asked = _run_action(monkeypatch, False, [])
    assert asked and not result.get("failed") and result["current"] is False


# --- the playbooks: what site.yml does, run for real ----------------------------------------------------------------

def _site_plays():
    with open(os.path.join(ROOT, "playbooks", "site.yml")) as handle:
        return yaml.safe_load(handle)


def _stamped_roles():
    sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "roles"))
    try:
        from test_always_run_stages import stamped_roles
    finally:
        sys.path.pop(0)
    return stamped_roles()


def test_site_imports_every_stamped_role_without_ansibles_check():
    imported, by_roles = {}, []
    for play in _site_plays():
        by_roles.extend(str(r.get("role") if isinstance(r, dict) else r) for r in play.get("roles") or [])
        for task in play.get("tasks") or []:
            spec = task.get("ansible.builtin.import_role")
            if spec:
                imported[spec["name"].split(".")[-1]] = spec.get("rolespec_validate", True)
    stamped = _stamped_roles()
    assert sorted(imported) == stamped, imported
    assert all(value is False for value in imported.values()), imported
    assert not [r for r in by_roles if r.split(".")[-1] in stamped], by_roles


def _playbook(tmp_path, role_entry, extra):
    site = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), str(site), ignore=shutil.ignore_patterns(".aiplatform"))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([dict({"name": "Site CA", "hosts": "all", "gather_facts": False}, **role_entry)]))
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(site), "--check", "--limit", "lab-cp-01",
               "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + sys.executable] + list(extra)
    command.append(str(playbook))
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1"))


def test_as_site_imports_it_a_wrong_value_stops_the_stage_at_its_check(tmp_path):
    """Real ansible-playbook, the role imported as site.yml imports it: no task of Ansible's own, and the check of the
    record (in check mode it only reads) stops the host naming the variable; nothing after it runs."""
    result = _playbook(tmp_path, {"tasks": [{"name": "Site CA", "ansible.builtin.import_role": {
        "name": "aiplatform.cluster.pki", "rolespec_validate": False}}]}, ["-e", "pki_ca_days=soon"])
    out = result.stdout
    assert result.returncode != 0, out[-3000:]
    assert "Validating arguments" not in out, out[-3000:]
    tasks = re.findall(r"^TASK \[(.*?)\]", out, re.M)
    assert tasks[-1] == "aiplatform.cluster.pki : Is the node as the last run of the site CA left it?", tasks
    assert re.search(r"^fatal: \[lab-cp-01\]", out, re.M), out[-3000:]
    assert "role aiplatform.cluster.pki (entry point main)" in out and "pki_ca_days" in out, out[-3000:]


def test_loaded_the_usual_way_ansible_checks_it_first(tmp_path):
    """The other side of the test above: with ``roles:``, Ansible's own task stops the host before the check."""
    result = _playbook(tmp_path, {"roles": ["aiplatform.cluster.pki"]}, ["-e", "pki_ca_days=soon"])
    out = result.stdout
    assert result.returncode != 0, out[-3000:]
    tasks = re.findall(r"^TASK \[(.*?)\]", out, re.M)
    assert tasks[-1].startswith("aiplatform.cluster.pki : Validating arguments against arg spec 'main'"), tasks
    assert re.search(r"^fatal: \[lab-cp-01\]", out, re.M) and "pki_ca_days" in out, out[-3000:]
