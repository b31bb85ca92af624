# -*- coding: utf-8 -*-
"""The stages that run on every rerun (common, kubeadm, platform) skip what is off in one step.

A task list imported with a ``when`` is expanded task by task: every task of it is evaluated and skipped on
every host, one worker of the control machine per task and host (the kubeadm lifecycle with
``kubeadm_lifecycle: false`` was ~65 tasks on every node of every rerun). ``include_tasks`` with the same
``when`` is one evaluation per host. docs/kubeadm.md, docs/stages.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import stage_inputs

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")
ALWAYS_RUN = ("common", "kubeadm", "platform")
# Imports with a condition that stay imports, with the reason (reviewed by hand).
ALLOWED = {
    ("kubeadm", "node_list.yml", "local_proxy_config.yml"): "one task, shared with scale.yml and remove_node.yml",
}


def _tasks(data):
    if isinstance(data, list):
        for item in data:
            for task in _tasks(item):
                yield task
    elif isinstance(data, dict):
        yield data
        for key in ("block", "rescue", "always"):
            for task in _tasks(data.get(key) or []):
                yield task


def conditional_imports(role, roles=ROLES):
    """(file, imported file) of every import_tasks that carries a ``when`` in the role's tasks."""
    tasks_dir = os.path.join(roles, role, "tasks")
    found = []
    for name in sorted(os.listdir(tasks_dir)):
        with open(os.path.join(tasks_dir, name)) as handle:
            data = stage_inputs.load_yaml(handle.read())
        for task in _tasks(data or []):
            target = task.get("ansible.builtin.import_tasks", task.get("import_tasks"))
            if target and task.get("when") is not None:
                found.append((name, str(target)))
    return found


@pytest.mark.parametrize("role", ALWAYS_RUN)
def test_what_is_off_is_skipped_in_one_step(role):
    imports = [(name, target) for name, target in conditional_imports(role) if (role, name, target) not in ALLOWED]
    assert not imports, ("%s: use include_tasks for a task list that runs only sometimes (an import with a when is "
                         "skipped task by task on every host): %s" % (role, imports))


def test_the_check_sees_an_import_with_a_condition(tmp_path):
    role = tmp_path / "roles" / "demo" / "tasks"
    role.mkdir(parents=True)
    (role / "main.yml").write_text("- name: Off\n  ansible.builtin.import_tasks: other.yml\n  when: false\n"
                                   "- name: Block\n  block:\n    - name: Inner\n      import_tasks: x.yml\n"
                                   "      when: x\n- name: On\n  ansible.builtin.include_tasks: y.yml\n  when: y\n")
    assert conditional_imports("demo", str(tmp_path / "roles")) == [("main.yml", "other.yml"), ("main.yml", "x.yml")]
