"""Stage stamps (docs/stages.md): what a stage reads, how its record compares, and that every stamped
role records each file its tasks write."""
import fnmatch
import os
import re

import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import stage_state
from ansible_collections.aiplatform.cluster.plugins.modules import stage_stamp as module
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import stage_inputs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLES = os.path.join(ROOT, "roles")


def refs_of(text):
    refs = stage_inputs.References()
    stage_inputs.scan_template(text, refs)
    return refs


# --- what a role reads ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, names, facts, hostvars, whole", [
    ("{{ a }} {{ b | default(c) }}", {"a", "b", "c"}, set(), set(), set()),
    ("{{ ansible_facts['os_family'] }}-{{ ansible_facts.architecture }}", set(), {"os_family", "architecture"},
     set(), set()),
    ("{% for h in groups['all'] %}{{ hostvars[h].node_ip }} {{ hostvars[h]['node_fqdn'] }}{% endfor %}",
     {"groups"}, set(), {"node_ip", "node_fqdn"}, set()),
    ("{{ ansible_facts | dict2items }}", set(), set(), set(), {"ansible_facts"}),
    ("{{ hostvars[inventory_hostname] | to_json }}", {"inventory_hostname"}, set(), set(), {"hostvars"}),
    ("{% set x = y %}{{ x }}", {"y"}, set(), set(), set()),
])
def test_scan_template(text, names, facts, hostvars, whole):
    refs = refs_of(text)
    assert refs.names - refs.defined == names
    assert refs.facts == facts
    assert refs.hostvars == hostvars
    assert refs.whole == whole


def test_scan_role_reads_expressions_and_leaves_out_what_it_sets():
    files = {
        "tasks/main.yml": "\n".join([
            "- name: probe",
            "  ansible.builtin.command: cat {{ probe_path }}",
            "  register: __r_probe",
            "- name: fact",
            "  ansible.builtin.set_fact:",
            "    __r_fact: \"{{ __r_probe.stdout }}\"",
            "- name: loop",
            "  ansible.builtin.debug: {msg: \"{{ one.name }}\"}",
            "  loop: \"{{ r_items }}\"",
            "  loop_control: {loop_var: one}",
            "  when: r_enabled and __r_fact | length > 0",
            "- name: block",
            "  block:",
            "    - ansible.builtin.assert: {that: [r_count > 1]}",
            "  vars: {__r_local: 1}",
        ]),
        "templates/x.conf.j2": "{{ r_template_only }} {{ ansible_facts['distribution'] }}",
        "defaults/main.yml": "r_enabled: \"{{ platform_r.enabled | default(true) }}\"\n",
        "files/ignored.txt": "{{ not_a_template }}",
    }
    refs = stage_inputs.scan_role(files)
    names = set(refs.as_dict()["names"])
    assert {"probe_path", "r_items", "r_enabled", "r_count", "r_template_only", "platform_r"} <= names
    assert not names & {"__r_probe", "__r_fact", "one", "__r_local", "not_a_template"}
    assert refs.facts == {"distribution"}
    assert refs.errors == []


def test_scan_role_reports_broken_templates():
    refs = stage_inputs.scan_role({"tasks/main.yml": "- ansible.builtin.debug: {msg: \"{{ a b }}\"}\n"})
    assert refs.errors and "tasks/main.yml" in refs.errors[0]


def test_closure_follows_raw_values_and_leaves_out_magic():
    refs = refs_of("{{ r_x }} {{ omit }} {{ ansible_check_mode }}")
    variables = {"r_x": "{{ platform_x | default(r_y) }}", "platform_x": {"a": 1}, "r_y": 2,
                 "omit": "__omit_place_holder__1234", "ansible_check_mode": True, "unrelated": 3}
    values = stage_inputs.closure(refs, variables)
    assert set(values) == {"r_x", "platform_x", "r_y"}
    assert values["platform_x"] == '{"a":1}'


def test_closure_marks_undefined_names():
    values = stage_inputs.closure(refs_of("{{ nowhere }}"), {})
    assert values == {"nowhere": stage_inputs.canonical(stage_inputs.UNDEFINED)}


def test_closure_collects_facts_and_hostvars_read_by_defaults():
    refs = refs_of("{{ r_x }}")
    stage_inputs.closure(refs, {"r_x": "{{ ansible_facts.os_family }} {{ hostvars[h].node_ip }}"})
    assert refs.facts == {"os_family"} and refs.hostvars == {"node_ip"}


def test_digest_moves_with_each_input_and_only_with_inputs():
    base = stage_inputs.digest("code1", {"a": "1"}, {"os_family": "Debian"}, {"n1": {"node_ip": "1"}}, {})
    assert base == stage_inputs.digest("code1", {"a": "1"}, {"os_family": "Debian"}, {"n1": {"node_ip": "1"}}, {})
    others = [
        stage_inputs.digest("code2", {"a": "1"}, {"os_family": "Debian"}, {"n1": {"node_ip": "1"}}, {}),
        stage_inputs.digest("code1", {"a": "2"}, {"os_family": "Debian"}, {"n1": {"node_ip": "1"}}, {}),
        stage_inputs.digest("code1", {"a": "1"}, {"os_family": "RedHat"}, {"n1": {"node_ip": "1"}}, {}),
        stage_inputs.digest("code1", {"a": "1"}, {"os_family": "Debian"}, {"n1": {"node_ip": "2"}}, {}),
        stage_inputs.digest("code1", {"a": "1"}, {"os_family": "Debian"}, {"n1": {"node_ip": "1"}}, {"/ca": "x"}),
    ]
    assert len(set(d for d, _parts in others + [base])) == 6
    assert [k for k in base[1] if base[1][k] != others[1][1][k]] == ["vars"]


def test_canonical_ignores_dict_order():
    assert stage_inputs.canonical({"b": [1, {"y": 1, "x": 2}], "a": None}) == \
        stage_inputs.canonical({"a": None, "b": [1, {"x": 2, "y": 1}]})


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
    assert reasons == ["inputs changed: the variables it reads (config, group/host vars, extra vars)"]


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
    "data_dir": "path",
}
# Paths a task writes that the record covers in another form, with the reason (reviewed by hand).
COVERED_OTHERWISE = {
    ("nfs", "{{ item.export_path }}"): "__nfs_stamp_dirs: export_path of every share this node serves",
    ("nfs", "{{ item.0.export_path }}/{{ item.1 }}"): "__nfs_stamp_dirs: default folders of those shares",
    ("nfs", "{{ item.item.mount_point }}"): "__nfs_stamp_dirs: mount_point of every share",
    ("nfs", "{{ item.mount_point }}"): "__nfs_stamp_dirs, and the nfs lines of /etc/fstab and /proc/mounts (probes)",
    ("ascend_runtime", "/root/{{ ascend_runtime_package | basename }}"):
        "the installer copy; what it installs ({{ ascend_runtime_dir }}/ascend-docker-runtime) is recorded",
    ("node_init", "/etc/apt/sources.list.d/{{ item }}"): "the deb822 sources set aside: ubuntu/debian.sources*",
    ("node_init", "/etc/fstab"): "its swap lines (probe); the rest of fstab belongs to the nfs stage and the site",
    ("pki", "{{ pki_dir }}/{{ pki_issue_name }}.key"):
        "issue.yml runs in the registry stage (tasks_from: issue), whose record names the issued files",
    ("pki", "{{ pki_dir }}/{{ pki_issue_name }}.crt"): "as above",
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
    assert stamped_roles() == ["ascend_runtime", "container_runtime", "etcd_backup", "nfs", "node_init",
                               "nvidia_runtime", "pki", "registry"]


@pytest.mark.parametrize("role", stamped_roles())
def test_every_written_file_is_in_the_record(role):
    record = record_of(role)
    assert record, "%s: main.yml checks a stamp but no task records one" % role
    node = [str(p) for p in record.get("files", [])]
    controller = [str(p) for p in record.get("controller_files", [])]
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
                if str(args["name"]) not in probes:
                    missing.append("service %s (task %r)" % (args["name"], task.get("name")))
            if kind == "apt" and isinstance(args, dict) and args.get("name"):
                for package in re.findall(r"'([a-z0-9][a-z0-9.+-]+)'|^([a-z0-9][a-z0-9.+-]+)$|{{ (\w+) }}",
                                          str(args["name"])):
                    word = next(p for p in package if p)
                    if word not in probes:
                        missing.append("package %s (task %r)" % (word, task.get("name")))
    assert not missing, "add probes (dpkg-query, systemctl is-active/is-enabled) for:\n" + "\n".join(missing)


# --- the action's inputs digest, on a real role ------------------------------------------------

def test_inputs_digest_of_node_init(tmp_path, monkeypatch):
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    act = action.ActionModule.__new__(action.ActionModule)
    role = os.path.join(ROLES, "node_init")
    ca = tmp_path / "ca.crt"
    base = {"node_init_packages": ["chrony"], "inventory_hostname": "n1", "groups": {"all": ["n1", "n2"]},
            "hostvars": {"n1": {"node_ip": "10.0.0.1"}, "n2": {"node_ip": "10.0.0.2"}},
            "ansible_facts": {"os_family": "Debian", "uptime_seconds": 5}, "omit": "__omit_place_holder__1"}

    runs = iter(range(100))

    def parts(variables, files=()):
        # each call is another ansible-playbook run: its own local temporary directory (the per-run cache)
        run = tmp_path / ("run-%d" % next(runs))
        run.mkdir()
        monkeypatch.setattr(action.C, "DEFAULT_LOCAL_TMP", str(run))
        return act.inputs(role, variables, list(files))

    digest, first = parts(base)
    # per-run and volatile values, and variables the role never reads, leave the digest alone
    same, _parts = parts(dict(base, omit="__omit_place_holder__2", unrelated_var=1,
                              ansible_facts={"os_family": "Debian", "uptime_seconds": 99}))
    assert same == digest

    def moved(variables, files=()):
        new_digest, new = parts(variables, files)
        assert new_digest != digest
        return sorted(k for k in new if new[k] != first[k])

    assert moved(dict(base, node_init_packages=["chrony", "jq"])) == ["vars"]
    assert moved(dict(base, ansible_facts={"os_family": "RedHat", "uptime_seconds": 5})) == ["facts"]
    assert moved(dict(base, hostvars={"n1": {"node_ip": "10.0.0.1"}, "n2": {"node_ip": "10.0.0.9"}})) == ["hostvars"]
    ca.write_text("one")
    assert moved(base, [str(ca)]) == ["controller_files"]
    with_ca, _parts = parts(base, [str(ca)])
    ca.write_text("two")
    assert parts(base, [str(ca)])[0] != with_ca


def test_flat_lists_of_the_record():
    from ansible_collections.aiplatform.cluster.plugins.action import stage_stamp as action

    assert action._flat(["/a", ["/b", ["/c"]], "", None, "/d"]) == ["/a", "/b", "/c", "/d"]
