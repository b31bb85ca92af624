"""Stage stamps (docs/stages.md): what a stage reads, how its record compares, and that every stamped
role records each file its tasks write.

Over 600 lines: the role scan (every stamped role's written files, probes and fact reads, with each
exemption and its reason) is one table that the action's tests and the scan's own tests read together.
"""
import fnmatch
import json
import os
import re

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import stage_state
from ansible_collections.aiplatform.cluster.plugins.modules import stage_stamp as module
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import stage_inputs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLES = os.path.join(ROOT, "roles")


# --- what a stage reads: facts by key, the roles it can run -------------------------------------

def facts_of(text):
    reads = stage_inputs.FactReads()
    stage_inputs.scan_template(text, reads, "t")
    return reads


@pytest.mark.parametrize("text, keys, names, unkeyed", [
    ("{{ ansible_facts['os_family'] }}-{{ ansible_facts.architecture }}", {"os_family", "architecture"}, set(), 0),
    ("{{ ansible_facts | aiplatform.cluster.os_name }}", {"distribution", "distribution_version"}, set(), 0),
    ("{{ ansible_os_family }} {{ ansible_check_mode }}", set(), {"os_family", "check_mode"}, 0),
    # without a key: the whole of the facts, another host's facts, the name in a string
    ("{{ ansible_facts | dict2items }}", set(), set(), 1),
    ("{{ ansible_facts[name] }}", set(), set(), 1),
    ("{{ hostvars[h].ansible_facts.os_family }}", set(), set(), 1),
    ("{{ lookup('vars', 'ansible_facts') }}", set(), set(), 1),
    ("{{ a }} {{ b | default(c) }}", set(), set(), 0),
])
def test_scan_facts_by_key(text, keys, names, unkeyed):
    reads = facts_of(text)
    assert reads.keys == keys
    assert reads.names == names
    assert len(reads.unkeyed) == unkeyed


def test_scan_facts_reads_tasks_templates_and_defaults_not_files():
    reads = stage_inputs.scan_facts({
        "r/tasks/main.yml": "- ansible.builtin.debug: {msg: x}\n  when: ansible_facts['distribution'] == 'Ubuntu'\n",
        "r/templates/x.j2": "{{ ansible_facts.architecture }}",
        "r/defaults/main.yml": "r_x: \"{{ ansible_facts['os_family'] }}\"\n",
        "r/files/x.j2": "{{ ansible_facts.kernel }}",
    })
    assert reads.keys == {"distribution", "architecture", "os_family"} and reads.unkeyed == []


def test_facts_read_by_key_and_everything_but_volatile_when_unkeyed():
    facts = {"os_family": "Debian", "hostname": "n1", "uptime_seconds": 5, "date_time": {"epoch": "1"}}
    assert stage_inputs.facts_read({"keys": ["os_family", "kernel"], "names": ["hostname", "check_mode"]}, facts) == \
        {"os_family": "Debian", "hostname": "n1", "kernel": stage_inputs.UNDEFINED}
    assert stage_inputs.facts_read({"keys": [], "unkeyed": ["x"]}, facts) == {"os_family": "Debian", "hostname": "n1"}


def test_registry_runs_pki_through_include_role():
    assert stage_inputs.stage_roles(ROLES, "registry") == ["registry", "pki"]
    assert stage_inputs.stage_roles(ROLES, "node_init") == ["node_init"]


def test_stage_roles_follow_dependencies_and_take_all_for_a_templated_name(tmp_path):
    for role, main in [("a", "- ansible.builtin.import_role: {name: aiplatform.cluster.b}\n"),
                       ("b", "- ansible.builtin.debug: {msg: b}\n"), ("c", "- ansible.builtin.debug: {msg: c}\n"),
                       ("d", "- ansible.builtin.include_role:\n    name: \"{{ which }}\"\n"),
                       ("e", "- ansible.builtin.include_role: {name: community.general.x}\n")]:
        (tmp_path / role / "tasks").mkdir(parents=True)
        (tmp_path / role / "tasks" / "main.yml").write_text(main)
    (tmp_path / "b" / "meta").mkdir()
    (tmp_path / "b" / "meta" / "main.yml").write_text("dependencies: [{role: c}]\n")
    assert stage_inputs.stage_roles(str(tmp_path), "a") == ["a", "b", "c"]
    assert stage_inputs.stage_roles(str(tmp_path), "d") == ["d", "a", "b", "c", "e"]
    assert stage_inputs.stage_roles(str(tmp_path), "e") == ["e"]


@pytest.mark.parametrize("role", ["ascend_runtime", "container_runtime", "etcd_backup", "kubeadm", "nfs",
                                  "node_init", "nvidia_runtime", "pki", "platform", "registry"])
def test_every_stamped_stage_reads_facts_by_key(role):
    """A read of the facts without a key would put every fact (but the volatile ones) in the digest: a gathering
    that differs (the host name node preparation sets, the free swap) would rerun the stage every time."""
    assert stage_inputs.stage_facts(ROLES, role)["unkeyed"] == []


def test_facts_of_node_init():
    reads = stage_inputs.stage_facts(ROLES, "node_init")
    assert {"os_family", "hostname", "distribution"} <= set(reads["keys"])


def test_digest_moves_with_each_part_and_only_with_its_parts():
    parts = dict((p, "a") for p in stage_inputs.PARTS)
    base = stage_inputs.digest(parts)
    assert base == stage_inputs.digest(dict(parts))
    moved = set(stage_inputs.digest(dict(parts, **{p: "b"}))[0] for p in stage_inputs.PARTS)
    assert len(moved) == len(stage_inputs.PARTS) and base[0] not in moved
    with pytest.raises(ValueError):
        stage_inputs.digest({"code": "a"})


def test_canonical_ignores_dict_and_set_order_and_never_decrypts_a_vault():
    assert stage_inputs.canonical({"b": [1, {"y": 1, "x": 2}], "a": None, "s": {3, 1}}) == \
        stage_inputs.canonical({"s": {1, 3}, "a": None, "b": [1, {"x": 2, "y": 1}]})

    class Vaulted(object):
        _ciphertext = "$ANSIBLE_VAULT;1.1;AES256\n6162"

        def __str__(self):
            raise AssertionError("decrypted")

    text = stage_inputs.canonical({"password": Vaulted()})
    assert "vault:" in text and "ANSIBLE_VAULT" not in text


# --- the record on the node ----------------------------------------------------------------------

FILE = {"type": "file", "mode": "0644", "owner": 0, "group": 0, "sha256": "aa"}


def stamp(files=None, probes=None, inputs="d1", parts=None):
    return stage_state.parse_stamp(stage_state.stamp_text("node_init", inputs, files or {}, probes or {},
                                                          parts or {"vars": "v1", "code": "c1"}))


def test_no_record_means_run():
    assert stage_state.differences(None, "d1", {}, {}, {}) == ["no record of an earlier run of this stage"]


def test_same_inputs_files_and_probes_means_unchanged():
    files = {"/etc/hosts": {"/etc/hosts": FILE}}
    probes = {"systemctl is-active chrony": "rc=0\nactive\n"}
    assert stage_state.differences(stamp(files, probes), "d1", {}, files, probes) == []
    assert stage_state.message("node_init", "n1", []).startswith("STAGE UNCHANGED: node_init on n1")


def test_changed_inputs_name_the_kind_of_input():
    reasons = stage_state.differences(stamp(), "d2", {"vars": "v2", "code": "c1"}, {}, {})
    assert reasons == ["inputs changed: the host's inventory variables (config, group/host vars, extra vars)"]


@pytest.mark.parametrize("now, reason", [
    ({}, "/etc/x is gone"),
    ({"/etc/x": {"type": "absent"}}, "/etc/x is gone"),
    ({"/etc/x": dict(FILE, sha256="bb")}, "/etc/x changed (content)"),
    ({"/etc/x": dict(FILE, mode="0600")}, "/etc/x changed (mode)"),
    ({"/etc/x": {"type": "link", "target": "/dev/null", "mode": "0777", "owner": 0, "group": 0}},
     "/etc/x changed (link, was file)"),
    ({"/etc/x": FILE, "/etc/y": FILE}, "/etc/y is new"),
])
def test_file_differences(now, reason):
    before = {"/etc/*": {"/etc/x": FILE}}
    assert stage_state.differences(stamp(before), "d1", {}, {"/etc/*": now}, {}) == [reason]


def test_probe_difference_quotes_both_outputs():
    reasons = stage_state.differences(stamp(probes={"swapon --show": "rc=0\n"}), "d1", {}, {},
                                      {"swapon --show": "rc=0\n/swapfile\n"})
    assert reasons == ["`swapon --show` now says 'rc=0 /swapfile' (was 'rc=0')"]


def test_message_shows_three_reasons_and_counts_the_rest():
    text = stage_state.message("nfs", "n1", ["a", "b", "c", "d", "e"])
    assert text == "stage nfs runs on n1: a; b; c; and 2 more"


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"format": 99, "inputs": "x", "files": {}, "probes": {}}',
                                  '{"format": 1, "inputs": 5, "files": {}, "probes": {}}'])
def test_parse_stamp_refuses_what_is_not_a_record(text):
    assert stage_state.parse_stamp(text) is None


def test_stamp_text_is_stable():
    one = stage_state.stamp_text("s", "d", {"b": {}, "a": {}}, {"p": "x"})
    assert one == stage_state.stamp_text("s", "d", {"a": {}, "b": {}}, {"p": "x"})


def test_read_files_expands_globs_and_reads_state(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "one.conf").write_text("one")
    (tmp_path / "d" / "sub").mkdir()
    (tmp_path / "d" / "sub" / "two.conf").write_text("two")
    os.symlink("/dev/null", str(tmp_path / "masked.timer"))
    state = module.read_files([str(tmp_path / "d" / "**"), str(tmp_path / "masked.timer"), str(tmp_path / "none")])
    tree = state[str(tmp_path / "d" / "**")]
    assert sorted(os.path.relpath(p, str(tmp_path)) for p in tree) == ["d", "d/one.conf", "d/sub", "d/sub/two.conf"]
    assert tree[str(tmp_path / "d" / "one.conf")]["type"] == "file"
    assert tree[str(tmp_path / "d" / "sub")]["type"] == "directory"
    assert state[str(tmp_path / "masked.timer")][str(tmp_path / "masked.timer")] == dict(
        type="link", target="/dev/null", mode="0777", owner=os.getuid(), group=os.getgid())
    assert state[str(tmp_path / "none")] == {str(tmp_path / "none"): {"type": "absent"}}
    (tmp_path / "d" / "one.conf").write_text("changed")
    again = module.read_files([str(tmp_path / "d" / "**")])
    assert again[str(tmp_path / "d" / "**")][str(tmp_path / "d" / "one.conf")]["sha256"] != \
        tree[str(tmp_path / "d" / "one.conf")]["sha256"]


# --- every stamped role records what it writes ---------------------------------------------------

# Modules that write a file, and the argument naming it.
WRITERS = {
    "copy": "dest", "template": "dest", "file": "path", "lineinfile": "path", "blockinfile": "path",
    "replace": "path", "get_url": "dest", "unarchive": "dest", "sysctl": "sysctl_file", "mount": "path",
    "htpasswd": "path", "openssl_privatekey": "path", "x509_certificate": "path", "openssl_csr": "path",
    "data_dir": "path", "file_tree": "path", "sysctl_apply": "path",
}
# Paths a task writes that the record covers in another form, with the reason (reviewed by hand).
COVERED_OTHERWISE = {
    ("nfs", "{{ item.export_path }}"): "__nfs_stamp_dirs: export_path of every share this node serves",
    ("nfs", "{{ item.export_path }}/**"): "__nfs_stamp_dirs: default folders of those shares (file_tree)",
    ("nfs", "{{ item.item.mount_point }}"): "__nfs_stamp_dirs: mount_point of every share",
    ("nfs", "{{ item.mount_point }}"): "__nfs_stamp_dirs, and the nfs lines of /etc/fstab and /proc/mounts (probes)",
    ("ascend_runtime", "/root/{{ ascend_runtime_package | basename }}"):
        "the installer copy; what it installs ({{ ascend_runtime_dir }}/ascend-docker-runtime) is recorded",
    ("node_init", "/etc/apt/sources.list.d/{{ item }}"): "the deb822 sources set aside: ubuntu/debian.sources*",
    ("node_init", "/etc/fstab"): "its swap lines (probe); the rest of fstab belongs to the nfs stage and the site",
    ("pki", "{{ pki_dir }}/{{ pki_issue_name }}.key"):
        "issue.yml runs in the registry stage (tasks_from: issue), whose record names the issued files",
    ("pki", "{{ pki_dir }}/{{ pki_issue_name }}.crt"): "as above",
    # platform's record covers only what it renders on the node; its work on the control machine and in the
    # cluster runs on every run, never skipped by the record
    ("platform", "{{ platform_grafana_password_file | dirname }}"): "secrets.yml runs with every apply (not skipped)",
    ("platform", "{{ platform_grafana_password_file }}"): "as above",
    ("platform", "{{ platform_volcano_file | dirname }}"):
        "volcano_manifest.yml runs on every run; the file itself is a controller_file of the check",
    # kubeadm's record covers only what render.yml renders on the first control-plane node (and the pod network's
    # manifests). The rest of the role is never skipped by the record: the HA endpoint (prepare.yml: local proxy,
    # kube-vip) and the lifecycle (lifecycle.yml, kubeadm_lifecycle true) run on every run and read the node or
    # the cluster each time (docs/kubeadm.md).
    ("kubeadm", "/etc/haproxy/haproxy.cfg"): "the local proxy (prepare.yml) runs on every run",
    ("kubeadm", "/etc/kubernetes/manifests"): "kube-vip (prepare.yml) runs on every run",
    ("kubeadm", "/etc/kubernetes/manifests/kube-vip.yaml"): "as above",
    ("kubeadm", "/etc/apt/keyrings"): "the lifecycle's packages.yml runs on every run",
    ("kubeadm", "/etc/apt/keyrings/kubernetes-apt-keyring.asc"): "as above",
    ("kubeadm", "{{ kubeadm_artifacts_dir }}/kubeadm-join.yaml"):
        "the lifecycle's join.yml, on every run; the file lives only during a join (removed after it)",
    ("kubeadm", "{{ '/root' if item == 'root' else '~' ~ item }}/.kube"): "the lifecycle's kubeconfig.yml, on every run",
    ("kubeadm", "{{ '/root' if item == 'root' else '~' ~ item }}/.kube/config"): "as above",
    ("kubeadm", "{{ kubeadm_local_kubeconfig | dirname }}"): "as above (on the control machine)",
    ("kubeadm", "{{ kubeadm_local_kubeconfig }}"): "as above (on the control machine)",
    ("kubeadm", "{{ platform_artifacts_dir | default(playbook_dir ~ '/.aiplatform') }}/downloads"):
        "calico_manifest.yml runs in the lifecycle on every run (checked against its pinned sha256, an input)",
    ("kubeadm", "{{ platform_artifacts_dir | default(playbook_dir ~ '/.aiplatform') }}/downloads/"
                "tigera-operator-{{ kubeadm_calico_version }}.yaml"): "as above",
}
# Packages and services a stamped role manages outside what its record covers, with the reason (reviewed by hand).
NOT_PROBED = {
    ("kubeadm", "haproxy"): "the local proxy (prepare.yml) installs, configures and starts it on every run: kubeadm's "
                            "record covers only the files rendered on the first control-plane node",
}
# Files written on the control machine (delegate_to: localhost): the record names them as controller_files.
_ITEM = re.compile(r"{{\s*item[^}]*}}")
_LOOP_PATH = re.compile(r"^{{ item(?:\.(dest|path))? }}$")


def stamped_roles():
    out = []
    for role in sorted(os.listdir(ROLES)):
        main = os.path.join(ROLES, role, "tasks", "main.yml")
        if os.path.exists(main) and "aiplatform.cluster.stage_stamp" in open(main).read():
            out.append(role)
    return out


def walk_tasks(data, delegate=None):
    """Every task of a task list, blocks opened; a block's delegate_to passes to its tasks."""
    if isinstance(data, list):
        for item in data:
            for task in walk_tasks(item, delegate):
                yield task
    elif isinstance(data, dict):
        if "block" in data:
            for key in ("block", "rescue", "always"):
                for task in walk_tasks(data.get(key) or [], data.get("delegate_to", delegate)):
                    yield task
        else:
            yield dict(data, delegate_to=data.get("delegate_to", delegate))


def module_of(task):
    for key, value in task.items():
        short = key.split(".")[-1]
        if short in WRITERS or short in ("systemd_service", "service", "apt", "stage_stamp"):
            return short, value
    return None, None


def check_of(role):
    """Arguments of the stage's check (state=check, in main.yml): where controller_files are listed."""
    data = stage_inputs.load_yaml(open(os.path.join(ROLES, role, "tasks", "main.yml")).read())
    for task in walk_tasks(data or []):
        kind, args = module_of(task)
        if kind == "stage_stamp" and args.get("state", "check") == "check":
            return args
    return None


def record_of(role):
    for name in sorted(os.listdir(os.path.join(ROLES, role, "tasks"))):
        data = stage_inputs.load_yaml(open(os.path.join(ROLES, role, "tasks", name)).read())
        for task in walk_tasks(data or []):
            kind, args = module_of(task)
            if kind == "stage_stamp" and args.get("state") == "record":
                return args
    return None


def written_paths(role):
    for name in sorted(os.listdir(os.path.join(ROLES, role, "tasks"))):
        if name == "main.yml":
            continue
        data = stage_inputs.load_yaml(open(os.path.join(ROLES, role, "tasks", name)).read())
        for task in walk_tasks(data or []):
            kind, args = module_of(task)
            if kind not in WRITERS or not isinstance(args, dict):
                continue
            path = args.get(WRITERS[kind])
            if path is None:
                continue
            local = task.get("delegate_to") == "localhost"
            if kind == "file_tree":
                # the directory (when the task manages it) and each entry; entries worked out by an expression:
                # everything under the directory
                entries = args.get("entries")
                if args.get("mode"):
                    yield name, task.get("name"), str(path), local
                if isinstance(entries, list):
                    for entry in entries:
                        yield name, task.get("name"), "%s/%s" % (path, entry["name"]), local
                else:
                    yield name, task.get("name"), "%s/**" % path, local
                continue
            loop = task.get("loop")
            # a literal loop over paths (or dicts of them): each item is a path the task writes
            field = _LOOP_PATH.match(str(path).strip())
            if field and isinstance(loop, list):
                for item in loop:
                    yield name, task.get("name"), str(item[field.group(1)] if field.group(1) else item), local
            else:
                yield name, task.get("name"), str(path), local


def covered(path, patterns):
    """``path`` (raw, as the task has it) is one of ``patterns``, matches one of their globs, or is the quoted
    path of a conditional entry (``{{ '/etc/docker' if ... else '' }}``)."""
    starred = _ITEM.sub("*", path)
    return any(path == p or fnmatch.fnmatchcase(starred, p) or fnmatch.fnmatchcase(path, p) or "'%s'" % path in p
               for p in patterns)


def test_the_stages_are_stamped():
    assert stamped_roles() == ["ascend_runtime", "common", "container_runtime", "etcd_backup", "kubeadm", "nfs",
                               "node_init", "nvidia_runtime", "pki", "platform", "registry"]


@pytest.mark.parametrize("role", stamped_roles())
def test_every_written_file_is_in_the_record(role):
    record = record_of(role)
    assert record, "%s: main.yml checks a stamp but no task records one" % role
    # The record only reads again the files its check listed (as the stage left them), never lists its own.
    assert record.get("controller_files") in (None, "{{ __%s_stamp.controller_files }}" % role), (
        "%s: controller_files are listed by the check in main.yml; the record takes the check's" % role)
    if (check_of(role) or {}).get("controller_files"):
        assert record.get("controller_files") == "{{ __%s_stamp.controller_files }}" % role, (
            "%s: the record must read the check's controller_files again, or a file the stage rewrites (a certificate "
            "issued again) makes the next run rerun the stage" % role)
    node = [str(p) for p in record.get("files", [])]
    controller = [str(p) for p in (check_of(role) or {}).get("controller_files", [])]
    missing = []
    for name, task, path, local in written_paths(role):
        if (role, path) in COVERED_OTHERWISE:
            continue
        if not covered(path, controller if local else node):
            missing.append("%s: task %r writes %s (%s)" % (name, task, path, "control machine" if local else "node"))
    assert not missing, "add to the record's files/controller_files:\n" + "\n".join(missing)


@pytest.mark.parametrize("role", stamped_roles())
def test_every_managed_service_and_package_is_probed(role):
    record = record_of(role)
    probes = " ".join(str(p) for p in record.get("probes", []))
    missing = []
    for name in sorted(os.listdir(os.path.join(ROLES, role, "tasks"))):
        data = stage_inputs.load_yaml(open(os.path.join(ROLES, role, "tasks", name)).read())
        for task in walk_tasks(data or []):
            kind, args = module_of(task)
            if kind in ("systemd_service", "service") and isinstance(args, dict) and "state" in args \
                    and "restarted" != args.get("state") and "{{ item" not in str(args.get("name")):
                if str(args["name"]) not in probes and (role, str(args["name"])) not in NOT_PROBED:
                    missing.append("service %s (task %r)" % (args["name"], task.get("name")))
            if kind == "apt" and isinstance(args, dict) and args.get("name"):
                for package in re.findall(r"'([a-z0-9][a-z0-9.+-]+)'|^([a-z0-9][a-z0-9.+-]+)$|{{ (\w+) }}",
                                          str(args["name"])):
                    word = next(p for p in package if p)
                    if word not in probes and (role, word) not in NOT_PROBED:
                        missing.append("package %s (task %r)" % (word, task.get("name")))
    assert not missing, "add probes (dpkg-query, systemctl is-active/is-enabled) for:\n" + "\n".join(missing)


# --- the action's inputs digest: a copy of the collection, a real inventory -----------------------

COPIED = ("roles", "plugins", "playbooks", "meta", "docs", "galaxy.yml")
INVENTORY = {
    "hosts.yml": "\n".join([
        "all:",
        "  vars:",
        "    platform_cluster: {name: c1, domain: c1.internal}",
        "  children:",
        "    k8s_cluster:",
        "      hosts:",
        "        n1: {node_ip: 10.0.0.1}",
        "        n2: {node_ip: 10.0.0.2}",
        "    registry:",
        "      hosts:",
        "        n1: {}",
        "",
    ]),
    "group_vars/k8s_cluster.yml": "site_rack: r1\n",
    "host_vars/n1.yml": "site_note: first\n",
}
FACTS = {"os_family": "Debian", "distribution": "Ubuntu", "distribution_version": "24.04",
         "distribution_release": "noble", "architecture": "x86_64", "hostname": "n1", "uptime_seconds": 5}
_RUNS = iter(range(1000))
# Computes the inputs of a stage as the action does in a run, in a process of its own (argv: the directory holding
# ansible_collections/, the role, the inventory directory, the host): the installed collection, or a checkout
# elsewhere.
_ANOTHER_PROCESS = r"""
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[1])
from ansible import constants as C
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager
from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action
assert action.__file__.startswith(sys.argv[1]), action.__file__
C.DEFAULT_LOCAL_TMP = tempfile.mkdtemp()
C.INVENTORY_ENABLED = ["yaml"]
loader = DataLoader()
loader.set_basedir(sys.argv[3])
inventory = InventoryManager(loader=loader, sources=[os.path.join(sys.argv[3], "hosts.yml")])
class Task(object):
    def get_variable_manager(self):
        return VariableManager(loader=loader, inventory=inventory)
act = action.ActionModule.__new__(action.ActionModule)
act._task, act._loader = Task(), loader
facts = json.loads(os.environ["STAGE_FACTS"])
print(json.dumps(act.inputs(sys.argv[2], {"inventory_hostname": sys.argv[4], "ansible_facts": facts}, [])))
"""


def copy_collection(where):
    import shutil

    root = where / "ansible_collections" / "aiplatform" / "cluster"
    root.mkdir(parents=True)
    for name in COPIED:
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, str(root / name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, str(root / name))
    return str(root)


def write_inventory(directory, changes=None):
    """The inventory above in ``directory``, with the files of ``changes`` ({path: text}) instead."""
    files = dict(INVENTORY, **(changes or {}))
    for relative, text in files.items():
        path = os.path.join(str(directory), relative)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "w") as handle:
            handle.write(text)
    return str(directory)


class _Task(object):
    def __init__(self, manager):
        self._manager = manager

    def get_variable_manager(self):
        return self._manager

    def get_play(self):
        return _Play(getattr(self, "play_vars", {}))

    def get_include_params(self):
        return getattr(self, "include_params", {})


class _Play(object):
    def __init__(self, play_vars):
        self._vars = play_vars

    def get_vars(self):
        return dict(self._vars)


def inputs_of(monkeypatch, tmp_path, root, stage, inventory_dir, host="n1", facts=None, extra_vars=(),
              prepare=None, controller_files=(), play_vars=None, include_params=None):
    """(digest, parts) of ``stage`` for ``host``, as the action computes it at the top of the stage in a new run."""
    from ansible import context
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    from ansible.utils.vars import load_extra_vars

    monkeypatch.setattr(context, "CLIARGS", ImmutableDict(extra_vars=tuple(extra_vars)))
    monkeypatch.setattr(load_extra_vars, "extra_vars", None, raising=False)  # Ansible parses -e once per process
    monkeypatch.setattr(action.C, "INVENTORY_ENABLED", ["yaml"])  # the checkout's ansible.cfg enables ours only
    loader = DataLoader()
    loader.set_basedir(inventory_dir)
    manager = VariableManager(loader=loader, inventory=InventoryManager(
        loader=loader, sources=[os.path.join(inventory_dir, "hosts.yml")]))
    if prepare:
        prepare(manager)
    act = action.ActionModule.__new__(action.ActionModule)
    act._task, act._loader = _Task(manager), loader
    act._task.play_vars, act._task.include_params = play_vars or {}, include_params or {}
    run = tmp_path / ("run-%d" % next(_RUNS))  # each call is another run: its own local temporary directory
    run.mkdir()
    monkeypatch.setattr(action.C, "DEFAULT_LOCAL_TMP", str(run))
    digest, parts = act.inputs(os.path.join(root, "roles", stage), {
        "inventory_hostname": host, "ansible_facts": dict(FACTS, **(facts or {}))}, list(controller_files))
    assert action.UNREADABLE not in parts.values()
    return digest, parts


def moved_parts(before, after):
    return sorted(k for k in after[1] if after[1][k] != before[1][k])


def test_editing_a_role_the_stage_includes_reruns_it_and_a_doc_does_not(tmp_path, monkeypatch):
    root = copy_collection(tmp_path / "copy")
    inventory = write_inventory(tmp_path / "inventory")
    base = inputs_of(monkeypatch, tmp_path, root, "registry", inventory)
    assert inputs_of(monkeypatch, tmp_path, root, "registry", inventory) == base
    # the registry stage runs roles/pki/tasks/issue.yml through include_role (roles/registry/tasks/tls.yml)
    issue = os.path.join(root, "roles", "pki", "tasks", "issue.yml")
    with open(issue) as handle:
        text = handle.read()
    assert "pki_issue_name" in text
    with open(issue, "w") as handle:
        handle.write(text.replace("pki_issue_name", "pki_issue_name ", 1))
    edited = inputs_of(monkeypatch, tmp_path, root, "registry", inventory)
    assert edited[0] != base[0] and moved_parts(base, edited) == ["code"]
    # a page of the documentation runs nowhere
    with open(os.path.join(root, "docs", "stages.md"), "a") as handle:
        handle.write("\nAn edit.\n")
    assert inputs_of(monkeypatch, tmp_path, root, "registry", inventory) == edited


@pytest.mark.parametrize("change", [
    {"hosts.yml": INVENTORY["hosts.yml"].replace("name: c1,", "name: c2,")},          # a group var of all
    {"hosts.yml": INVENTORY["hosts.yml"].replace("n1: {node_ip: 10.0.0.1}", "n1: {node_ip: 10.0.0.9}")},
    {"group_vars/k8s_cluster.yml": "site_rack: r2\n"},                                  # a var no role reads
    {"host_vars/n1.yml": "site_note: second\n"},
    {"host_vars/n1.yml": "site_note: first\nansible_user: admin\n"},                    # a new one
    {"group_vars/registry.yml": "registry_port: 5001\n"},                               # a new file
])
def test_any_inventory_variable_of_the_host_reruns_its_stages(tmp_path, monkeypatch, change):
    root = copy_collection(tmp_path / "copy")
    base = inputs_of(monkeypatch, tmp_path, root, "node_init", write_inventory(tmp_path / "one"))
    other = inputs_of(monkeypatch, tmp_path, root, "node_init",
                      write_inventory(tmp_path / "two", change))
    assert other[0] != base[0]
    assert moved_parts(base, other) == ["hostvars", "vars"]


def test_other_hosts_extra_vars_facts_and_runtime_variables(tmp_path, monkeypatch):
    root = copy_collection(tmp_path / "copy")
    inventory = write_inventory(tmp_path / "inventory")
    base = inputs_of(monkeypatch, tmp_path, root, "node_init", inventory)
    # another host's variable (its address goes to /etc/hosts), a new host
    n2 = inputs_of(monkeypatch, tmp_path, root, "node_init", write_inventory(
        tmp_path / "n2", {"hosts.yml": INVENTORY["hosts.yml"].replace("10.0.0.2", "10.0.0.3")}))
    assert moved_parts(base, n2) == ["hostvars"]
    n3 = inputs_of(monkeypatch, tmp_path, root, "node_init", write_inventory(
        tmp_path / "n3", {"hosts.yml": INVENTORY["hosts.yml"].replace("        n2: {", "        n3: {}\n        n2: {")}))
    assert moved_parts(base, n3) == ["hostvars"]
    # extra vars are the config too, but not the per-run switches nor AWX's job metadata
    assert moved_parts(base, inputs_of(monkeypatch, tmp_path, root, "node_init", inventory,
                                       extra_vars=["node_init_swap=true"])) == ["hostvars", "vars"]
    assert moved_parts(base, inputs_of(monkeypatch, tmp_path, root, "node_init", inventory, extra_vars=[
        "aiplatform_skip_unchanged=false", "aiplatform_command_timeout=60", "awx_job_id=7", "tower_job_id=7"])) == []

    # what a run registers or gathers is not inventory; facts count by the keys the stage reads
    def runtime(manager):
        manager.set_nonpersistent_facts("n1", {"__node_init_stamp": {"rc": 0}, "site_note": "set_fact"})
        manager.set_host_facts("n1", {"ansible_uptime_seconds": 99, "ansible_kernel": "6.8"})
    assert inputs_of(monkeypatch, tmp_path, root, "node_init", inventory, prepare=runtime,
                     facts={"uptime_seconds": 99, "lvm": {"vgs": {}}}) == base
    assert moved_parts(base, inputs_of(monkeypatch, tmp_path, root, "node_init", inventory,
                                       facts={"os_family": "RedHat"})) == ["facts"]


def test_files_from_the_control_machine(tmp_path, monkeypatch):
    root = copy_collection(tmp_path / "copy")
    inventory = write_inventory(tmp_path / "inventory")
    ca = tmp_path / "ca.crt"
    base = inputs_of(monkeypatch, tmp_path, root, "pki", inventory, controller_files=[str(ca)])
    ca.write_text("one")
    one = inputs_of(monkeypatch, tmp_path, root, "pki", inventory, controller_files=[str(ca)])
    assert moved_parts(base, one) == ["controller_files"]
    ca.write_text("two")
    assert inputs_of(monkeypatch, tmp_path, root, "pki", inventory, controller_files=[str(ca)])[0] != one[0]


def test_the_same_site_gives_the_same_digest_in_any_process_and_directory(tmp_path):
    """The checkout, and two copies elsewhere (an installed collection, another checkout), each in a process with
    its own hash seed and the inventory in another directory: one digest."""
    import json
    import subprocess
    import sys

    homes = [os.path.join(ROOT, ".collections"), os.path.dirname(os.path.dirname(os.path.dirname(
        copy_collection(tmp_path / "a")))), os.path.dirname(os.path.dirname(os.path.dirname(
            copy_collection(tmp_path / "b"))))]
    results = []
    for seed, home in enumerate(homes):
        inventory = write_inventory(tmp_path / ("inventory-%d" % seed))
        role = os.path.join(home, "ansible_collections", "aiplatform", "cluster", "roles", "registry")
        env = dict(os.environ, PYTHONHASHSEED=str(seed + 1), STAGE_FACTS=json.dumps(FACTS))
        out = subprocess.run([sys.executable, "-c", _ANOTHER_PROCESS, home, role, inventory, "n1"], env=env,
                             cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        assert out.returncode == 0, out.stderr.decode()
        results.append(json.loads(out.stdout.decode().strip().splitlines()[-1]))
    assert results[0] == results[1] == results[2]
    assert "unreadable" not in results[0][1].values()


def test_an_unreadable_inventory_runs_the_stage(tmp_path, monkeypatch):
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    act = action.ActionModule.__new__(action.ActionModule)
    act._task, act._loader = _Task(None), None
    monkeypatch.setattr(action.C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    _digest, parts = act.inputs(os.path.join(ROOT, "roles", "nfs"), {"inventory_hostname": "n1"}, [])
    assert parts["vars"] == parts["hostvars"] == action.UNREADABLE
    # and run() passes force to the module: the stage runs whatever the record says
    sent = {}
    monkeypatch.setattr(act, "timeout", lambda *args: 30.0, raising=False)
    monkeypatch.setattr(act, "_execute_module", lambda **kwargs: sent.update(kwargs["module_args"]) or {},
                        raising=False)
    monkeypatch.setattr(action.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    act._task.args = {"stage": "nfs"}
    act.run(task_vars={"role_path": os.path.join(ROOT, "roles", "nfs"), "inventory_hostname": "n1"})
    assert sent["force"] is True


def test_flat_lists_of_the_record():
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    assert action._flat(["/a", ["/b", ["/c"]], "", None, "/d"]) == ["/a", "/b", "/c", "/d"]


def test_what_the_play_sets_is_an_input_too(tmp_path, monkeypatch):
    """A play's vars and an include's vars reach the stage like inventory variables (molecule registry's side
    effect converges the registry again with another password in the play's vars): another value reruns it; the
    same play gives the same digest; the per-run switches do not count."""
    root = copy_collection(tmp_path / "copy")
    inventory = write_inventory(tmp_path / "inventory")
    password = {"platform_registry": {"local": {"password": "one"}}}
    base = inputs_of(monkeypatch, tmp_path, root, "registry", inventory, play_vars=password)
    assert inputs_of(monkeypatch, tmp_path, root, "registry", inventory, play_vars=password)[0] == base[0]
    other = inputs_of(monkeypatch, tmp_path, root, "registry", inventory,
                      play_vars={"platform_registry": {"local": {"password": "two"}}})
    assert moved_parts(base, other) == ["vars"]
    included = inputs_of(monkeypatch, tmp_path, root, "registry", inventory, play_vars=password,
                         include_params={"registry_port": 5001})
    assert moved_parts(base, included) == ["vars"]
    switch = inputs_of(monkeypatch, tmp_path, root, "registry", inventory,
                       play_vars=dict(password, aiplatform_skip_unchanged=False))
    assert switch[0] == base[0]


def _compute_in_a_worker(run_dir, calls, out):
    """One worker of a task: the value of _cached, and one line in ``calls`` each time it computes."""
    import time

    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    action.C.DEFAULT_LOCAL_TMP = run_dir

    def compute():
        with open(calls, "a") as handle:
            handle.write("computed\n")
        time.sleep(0.3)  # long enough for every worker to ask while the first computes
        return {"digest": "abc"}

    with open(out, "w") as handle:
        json.dump(action._cached("facts:registry", compute), handle)


def test_workers_starting_together_compute_a_shared_value_once(tmp_path):
    """The workers of one task (one per host) start at once: one computes, the others wait and read its result
    (without the lock each computed it: the facts a stage reads cost ~0.1 s of CPU per worker)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    calls = str(tmp_path / "calls")
    workers = [context.Process(target=_compute_in_a_worker, args=(str(tmp_path), calls, str(tmp_path / ("out%d" % n))))
               for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert open(calls).read() == "computed\n"
    for n in range(6):
        assert json.load(open(str(tmp_path / ("out%d" % n)))) == {"digest": "abc"}


def test_a_cache_that_cannot_be_locked_or_written_still_computes(tmp_path, monkeypatch):
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    monkeypatch.setattr(action.C, "DEFAULT_LOCAL_TMP", str(tmp_path / "gone"))  # no such directory
    assert action._cached("code:x", lambda: "value") == "value"
    assert action._cached("code:x", lambda: "again") == "again"  # nothing was kept


def test_every_exemption_still_names_what_a_task_does():
    """kubeadm's exemptions (COVERED_OTHERWISE, NOT_PROBED) name paths, packages and services its tasks still have:
    a stale one would silently cover a new task that happens to write the same path. (node_init's
    sources.list.d entry names a command's path, which written_paths does not read.)"""
    written = set((role, path) for role in stamped_roles() for _, _, path, _ in written_paths(role))
    assert sorted(key for key in set(COVERED_OTHERWISE) - written if key[0] == "kubeadm") == []
    managed = set()
    for role in stamped_roles():
        for name in sorted(os.listdir(os.path.join(ROLES, role, "tasks"))):
            for task in walk_tasks(stage_inputs.load_yaml(open(os.path.join(ROLES, role, "tasks", name)).read()) or []):
                kind, args = module_of(task)
                if kind in ("systemd_service", "service", "apt") and isinstance(args, dict) and args.get("name"):
                    managed.update((role, word) for word in re.findall(r"[a-z0-9][a-z0-9.+-]+", str(args["name"])))
    assert sorted(set(NOT_PROBED) - managed) == []
