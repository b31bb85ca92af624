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


def _conditional(path, action):
    """The files that the task file at ``path`` loads with ``action`` (import_tasks, include_tasks) under a ``when``."""
    with open(path) as handle:
        data = stage_inputs.load_yaml(handle.read()) or []
    found = []
    for task in _tasks(data):
        target = task.get("ansible.builtin." + action, task.get(action))
        if target and task.get("when") is not None:
            found.append(str(target))
    return found


def conditional_imports(role, roles=ROLES):
    """(file, imported file) of every import_tasks that carries a ``when`` in the role's tasks."""
    tasks_dir = os.path.join(roles, role, "tasks")
    return [(name, target) for name in sorted(os.listdir(tasks_dir))
            for target in _conditional(os.path.join(tasks_dir, name), "import_tasks")]


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


# --- an unchanged node leaves a stamped stage in one step ---------------------------------------------------------

def stage_entry(role, roles=ROLES):
    """(the stage record's register name, the tasks of tasks/main.yml after it) of a role whose main.yml checks
    its stage record (aiplatform.cluster.stage_stamp, state check) before including stage.yml; None otherwise."""
    with open(os.path.join(roles, role, "tasks", "main.yml")) as handle:
        tasks = stage_inputs.load_yaml(handle.read()) or []
    for index, task in enumerate(tasks):
        stamp = task.get("aiplatform.cluster.stage_stamp")
        if isinstance(stamp, dict) and stamp.get("state", "check") == "check" and task.get("when") is None:
            return task.get("register"), tasks[index + 1:]
    return None


def stamped_roles(roles=ROLES):
    return [role for role in sorted(os.listdir(roles))
            if os.path.isfile(os.path.join(roles, role, "tasks", "stage.yml")) and stage_entry(role, roles)]


def test_the_stamped_stages_are_found():
    # Every role whose tasks live in stage.yml behind a record (docs/stages.md, "Which stages").
    assert stamped_roles() == ["ascend_runtime", "common", "container_runtime", "etcd_backup", "nfs", "node_init",
                               "nvidia_runtime", "pki", "registry"]


@pytest.mark.parametrize("role", stamped_roles())
def test_an_unchanged_node_leaves_the_role_at_once(role):
    """Right after the record's check: ``meta: end_role`` when the stage is current (run by ansible-playbook itself,
    no worker per node), and no task that only prints the record's message (the stage_summary callback prints it
    under the check's line): an unchanged node costs the check and nothing else."""
    register, rest = stage_entry(role)
    assert register, "%s: the stage record's check must be registered" % role
    first = rest[0]
    assert first.get("ansible.builtin.meta") == "end_role", "%s: the task after the check is %r" % (role, first)
    assert first.get("when") == "%s.current" % register, first
    printing = [t.get("name") for t in rest if "ansible.builtin.debug" in t
                and "%s.msg" % register in str(t["ansible.builtin.debug"])]
    assert not printing, "%s: a debug task repeats the record's message: %s" % (role, printing)


def test_the_end_role_check_fails_without_it(tmp_path):
    tasks = tmp_path / "roles" / "demo" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "stage.yml").write_text("- name: Work\n  ansible.builtin.command: true\n")
    (tasks / "main.yml").write_text(
        "- name: Check\n  aiplatform.cluster.stage_stamp:\n    stage: demo\n  register: __demo_stamp\n"
        "- name: Say\n  ansible.builtin.debug:\n    msg: '{{ __demo_stamp.msg }}'\n"
        "- name: Run\n  ansible.builtin.include_tasks: stage.yml\n  when: not __demo_stamp.current\n")
    assert stamped_roles(str(tmp_path / "roles")) == ["demo"]
    register, rest = stage_entry("demo", str(tmp_path / "roles"))
    assert register == "__demo_stamp" and rest[0].get("ansible.builtin.meta") is None


# --- task lists most nodes skip, in one step ----------------------------------------------------------------------

# (role, file, included file): skipped on most nodes (the NFS server's tasks on every node that serves no share, the
# docker tasks with containerd, the firewall's with network.firewall unmanaged), so one skipped include per node
# rather than a worker per task (docs/performance.md).
SKIPPED_ON_MOST_NODES = [("nfs", "stage.yml", "server.yml"), ("container_runtime", "stage.yml", "docker.yml"),
                         ("node_init", "firewall.yml", "firewall_site.yml")]


def includes_with_a_condition(role, name, roles=ROLES):
    """The files that ``name`` of the role includes (include_tasks) under a ``when``."""
    return _conditional(os.path.join(roles, role, "tasks", name), "include_tasks")


@pytest.mark.parametrize("role, name, target", SKIPPED_ON_MOST_NODES)
def test_what_most_nodes_skip_is_one_include(role, name, target):
    assert target in includes_with_a_condition(role, name), (
        "roles/%s/tasks/%s: include %s under its condition (an import is skipped task by task on every node)"
        % (role, name, target))


def test_the_include_check_sees_an_import(tmp_path):
    tasks = tmp_path / "roles" / "demo" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text("- name: A\n  ansible.builtin.import_tasks: a.yml\n  when: x\n"
                                    "- name: B\n  ansible.builtin.include_tasks: b.yml\n  when: y\n"
                                    "- name: C\n  ansible.builtin.include_tasks: c.yml\n")
    assert includes_with_a_condition("demo", "main.yml", str(tmp_path / "roles")) == ["b.yml"]
