"""The inventory plugin end to end: `ansible-inventory -i <dir> --list` on sample directories."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "configs")
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from inventory_json import fill_template, run_inventory, unwrap  # noqa: E402


def inventory(source, *extra):
    return run_inventory(source, *extra)


def listed(result):
    assert result.returncode == 0, result.stderr
    return unwrap(json.loads(result.stdout))


def site(tmp_path, name, fixture, target):
    directory = tmp_path / name
    directory.mkdir()
    shutil.copy(os.path.join(FIXTURES, fixture), directory / target)
    return directory


def test_lab_inventory():
    data = listed(inventory(os.path.join(ROOT, "inventories", "lab")))
    assert sorted(data["kube_node"]["hosts"]) == ["lab-cpu-01", "lab-gpu-01", "lab-npu-01"]
    assert data["k8s_cluster"]["children"] == ["kube_control_plane", "kube_node"]
    cp = data["_meta"]["hostvars"]["lab-cp-01"]
    assert cp["ansible_port"] == 2222 and cp["ansible_user"] == "ops" and cp["node_ip"] == "172.31.240.11"
    assert data["accelerator_h100"]["hosts"] == ["lab-gpu-01"]


def test_artifacts_next_to_the_config_are_not_inventory(tmp_path):
    """The site CA and bundle build live in <config dir>/.aiplatform: Ansible must not parse them."""
    directory = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), directory, ignore=shutil.ignore_patterns(".aiplatform"))
    (directory / ".aiplatform" / "pki").mkdir(parents=True)
    (directory / ".aiplatform" / "pki" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n")
    data = listed(inventory(str(directory)))
    assert data["_meta"]["hostvars"]["lab-cp-01"]["platform_artifacts_dir"] == str(directory / ".aiplatform")


def test_customer_template_stops_with_one_report_of_every_value_to_fill_in():
    result = inventory(os.path.join(ROOT, "inventories", "customer"))
    assert result.returncode != 0
    report = result.stderr.split("4 problems in the platform config")[1].split("Origin:")[0]
    for key in ("mirrors.kubernetes_packages_key_sha256", "mirrors.calico_operator_manifest_sha256",
                "accelerators.nvidia_repo_key_sha256", "accelerators.ascend_docker_runtime_package"):
        assert report.count(key + ": '<") == 1 and "is still the template's placeholder. Fix: replace it" in report


def test_customer_template_filled_in_is_valid(tmp_path):
    directory = tmp_path / "acme"
    directory.mkdir()
    with open(os.path.join(ROOT, "inventories", "customer", "config.yaml")) as handle:
        (directory / "config.yaml").write_text(fill_template(handle.read()))
    data = listed(inventory(str(directory)))
    assert data["ascend_npu"]["hosts"] == ["npu-01"]
    assert len(data["_meta"]["hostvars"]["npu-01"]["node_npu_nics"]) == 8


def test_dlws_directory_with_host_vars_override(tmp_path):
    directory = site(tmp_path, "atlas", "dlws_apulis_atlas.yaml", "config.yaml")
    (directory / "host_vars").mkdir()
    (directory / "host_vars" / "atlas02.yml").write_text("ansible_host: 203.0.113.7\n")
    result = inventory(directory)
    data = listed(result)
    atlas02 = data["_meta"]["hostvars"]["atlas02"]
    assert atlas02["ansible_host"] == "203.0.113.7"  # reached through another address
    assert atlas02["node_ip"] == "192.168.3.2"  # the cluster address is unchanged
    assert data["scale_up"]["hosts"] == ["atlas01", "atlas-gpu01", "atlas-gpu02"]
    assert atlas02["platform_config_format"] == "dlws"  # group vars of all, merged by --list
    assert "obsolete DLWS key 'useclusterfile'" in result.stderr
    assert "not-a-real-password-1" not in result.stderr


def test_openpai_directory(tmp_path):
    directory = site(tmp_path, "pai-site", "openpai_layout.yaml", "layout.yaml")
    data = listed(inventory(directory))
    assert data["kube_control_plane"]["hosts"] == ["pai-master"]
    assert data["_meta"]["hostvars"]["pai-worker2"]["node_accelerator"]["count"] == 4


BROKEN = """cluster:
  name: Lab
nodes:
  - hostname: cp-01
    ip: 10.0.0.1
    roles: [control_plane]
  - hostname: cp-01
    ip: 10.0.0.1
    roles: [wroker]
storage:
  nfs:
    shares:
      - {name: s, server: nas, export_path: /srv, mount_point: /mnt}
registry:
  company: {url: r.example, password: hunter2-secret}
  bogus: 1
"""


def test_broken_config_fails_with_every_problem(tmp_path):
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "platform.yml").write_text(BROKEN)
    result = inventory(directory)
    assert result.returncode != 0
    err = " ".join(result.stderr.split())  # Ansible wraps long lines
    for text in ("platform.yml:2: cluster.name: 'Lab' is not a valid lowercase host name",
                 "platform.yml:9: nodes[1].roles[0]: 'wroker' must be one of",
                 "nodes[1].hostname: host name 'cp-01' is used twice",
                 "nodes[1].ip: IP 10.0.0.1 of node cp-01 is also the IP of node cp-01",
                 "storage.nfs.shares[0].server: NFS server 'nas' is not a node",
                 "platform.yml:16: registry.bogus: unknown key"):
        assert text in err, result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert "Completely failed to parse inventory source" in result.stderr or "ERROR" in result.stderr


@pytest.mark.parametrize("content, text", [
    ("", "the file is empty"),
    ("cluster:\n  name: a\n nodes: []\n", "platform.yml:3: YAML syntax error"),
])
def test_unparsable_config_stops_the_run(tmp_path, content, text):
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "platform.yml").write_text(content)
    result = inventory(directory)
    assert result.returncode != 0
    assert text in " ".join(result.stderr.split())


def test_playbook_stops_on_a_bad_config(tmp_path):
    """A bad config must stop ansible-playbook, not run against an empty inventory."""
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "platform.yml").write_text("cluster: {name: a}\nnodes: []\n")
    environ = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    playbook = tmp_path / "noop.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  tasks: []\n")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(directory), str(playbook)], cwd=ROOT,
                            env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "lists no node" in result.stderr


def test_vault_encrypted_secret(tmp_path):
    directory = tmp_path / "vaulted"
    directory.mkdir()
    password_file = tmp_path / "vault-pass"
    password_file.write_text("test-vault-password\n")
    encrypted = subprocess.run(
        [os.path.join(BIN, "ansible-vault"), "encrypt_string", "--vault-password-file", str(password_file),
         "s3cr3t-registry-pass", "--name", "password"], capture_output=True, text=True, check=True, cwd=ROOT,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))).stdout
    block = "\n".join("    " + line for line in encrypted.strip().splitlines())
    (directory / "platform.yml").write_text(
        "cluster: {name: v}\nnodes:\n  - {hostname: a, ip: 10.0.0.1, roles: [control_plane, registry]}\n"
        "registry:\n  local:\n    enabled: true\n    username: admin\n" + block + "\n")
    result = inventory(directory, "--vault-password-file", str(password_file))
    assert result.returncode == 0, result.stderr
    assert "s3cr3t-registry-pass" not in result.stdout + result.stderr
    environ = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    shown = subprocess.run(
        [os.path.join(BIN, "ansible"), "a", "-i", str(directory), "--vault-password-file", str(password_file), "-m",
         "ansible.builtin.debug", "-a", "msg={{ platform_registry.local.password | length }}"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert 'msg: 20' in shown.stdout  # decrypted on use: len("s3cr3t-registry-pass")


def test_constructable_options(tmp_path):
    directory = tmp_path / "constructed"
    directory.mkdir()
    (directory / "platform.yml").write_text(
        "cluster: {name: c}\nnodes:\n"
        "  - {hostname: a, ip: 10.0.0.1, roles: [control_plane], os: ubuntu2204}\n"
        "  - {hostname: b, ip: 10.0.0.2, os: debian12, accelerator: {vendor: nvidia, model: A100, count: 8}}\n"
        "inventory:\n  keyed_groups:\n    - {key: node_os, prefix: os}\n"
        "  groups:\n    big_gpu: node_accelerator.count >= 8\n"
        "  compose:\n    gpu_total: node_accelerator.count * 1\n")
    data = listed(inventory(directory))
    assert data["os_ubuntu2204"]["hosts"] == ["a"] and data["os_debian12"]["hosts"] == ["b"]
    assert data["big_gpu"]["hosts"] == ["b"]
    assert data["_meta"]["hostvars"]["b"]["gpu_total"] == 8
    assert data["accelerator_a100"]["hosts"] == ["b"]


def test_unknown_constructable_option(tmp_path):
    directory = tmp_path / "badopt"
    directory.mkdir()
    (directory / "platform.yml").write_text("cluster: {name: c}\nnodes:\n  - {hostname: a, roles: [control_plane]}\n"
                                            "inventory:\n  keyed_group: []\n")
    result = inventory(directory)
    assert result.returncode != 0 and "unknown option(s) keyed_group" in " ".join(result.stderr.split())


def test_config_values_are_data_not_templates(tmp_path):
    """A value with template syntax (a Helm value, a password) reaches tasks as written, never rendered."""
    directory = tmp_path / "templated"
    directory.mkdir()
    (directory / "platform.yml").write_text(
        "cluster: {name: t}\nnodes:\n  - {hostname: a, ip: 10.0.0.1, roles: [control_plane]}\n"
        "platform:\n  release: '{{ .Release.Name }}'\n  secret: '{{ lookup(\"pipe\", \"id\") }}'\n  plain: web\n")
    environ = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    shown = subprocess.run(
        [os.path.join(BIN, "ansible"), "a", "-i", str(directory), "-m", "ansible.builtin.debug", "-a",
         "msg={{ platform_passthrough.release }}|{{ platform_passthrough.secret }}|{{ platform_passthrough.plain }}"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "{{ .Release.Name }}|{{ lookup(\"pipe\", \"id\") }}|web" in shown.stdout, shown.stdout
    assert "uid=" not in shown.stdout


@pytest.mark.parametrize("first, second", [
    ("platform.yml", "config.yaml"),             # native and DLWS names side by side
    ("layout.yaml", "platform.yaml"),            # OpenPAI and native
    ("config.yaml", "site-b.platform.yml"),      # a second site dropped next to the first
])
def test_two_configs_in_one_directory_stop_the_run(tmp_path, first, second):
    directory = tmp_path / "site"
    directory.mkdir()
    shutil.copy(os.path.join(ROOT, "inventories", "lab", "config.yaml"), directory / first)
    shutil.copy(os.path.join(ROOT, "inventories", "lab", "config.yaml"), directory / second)
    result = inventory(directory)
    assert result.returncode != 0
    err = " ".join(result.stderr.split())
    assert "holds 2 platform config files: %s and %s" % tuple(
        str(directory / n) for n in sorted([first, second])) in err, result.stderr
    assert "Fix: keep one platform config per inventory directory" in err
    assert "Traceback" not in result.stderr


def test_one_config_beside_other_files_is_fine(tmp_path):
    directory = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "inventories", "lab"), directory, ignore=shutil.ignore_patterns(".aiplatform"))
    (directory / "notes.yaml").write_text("not: an inventory\n")
    (directory / "config.yaml.orig").write_text("cluster: {}\n")
    from ansible_collections.aiplatform.cluster.plugins.inventory.platform_config import one_config_problem

    assert one_config_problem(str(directory), os.listdir(str(directory))) == ""
    (directory / "platform.yml").write_text("cluster: {}\n")
    assert "config.yaml and %s" % (directory / "platform.yml") in one_config_problem(
        str(directory), os.listdir(str(directory)))


def test_a_large_dlws_file_warns_once_per_kind_and_carries_no_per_node_list(tmp_path):
    """A DLWS file leaves the node networks unset: no host carries the list of every node (the inventory grew with
    the square of the node count), and the warning each accelerator node without a count gets comes as one line."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_config

    directory = tmp_path / "dlws"
    directory.mkdir()
    (directory / "config.yaml").write_text(gen_config.generate_dlws(60).replace("  gpu_count_per_node: 8\n", ""))
    result = inventory(str(directory))
    data = listed(result)
    warned = [line for line in result.stderr.splitlines() if line.startswith("[WARNING]")]
    accelerators = [line for line in warned if "accelerator count" in line]
    assert len(accelerators) == 1 and "45 accelerator nodes have no accelerator count" in accelerators[0], warned
    assert len(warned) <= 5, warned
    host = data["_meta"]["hostvars"]["node-0010"]
    assert host["platform_network"]["node_networks"] == []
    assert [s["clients"] for s in host["platform_storage"]["nfs"]["shares"]] == [[], []]
    assert "/32" not in json.dumps(host)
