"""What the stages need from the config, checked by the inventory plugin before the first change
(plugins/plugin_utils/config/prerequisites.py): sha256 pins, the Kubernetes range, docker, the OS,
the Ascend installer's architecture, and the customer template. Each table row fails when its check
is taken out."""

import copy
import os
import re
import sys

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config import prerequisites as prereq
from ansible_collections.aiplatform.cluster.plugins.module_utils.ascend import installer_arch
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import SCHEMA
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm import SUPPORTED_MINORS
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
TEMPLATE = os.path.join(ROOT, "inventories", "customer", "config.yaml")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from inventory_json import fill_template  # noqa: E402
PIN = "ab" * 32

# Every pin set, every stage on: no finding of this module.
BASE = {
    "cluster": {"name": "site", "kubernetes_version": "1.31.4", "cni": "calico"},
    "network": {"node_networks": ["10.1.0.0/24"]},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"], "os": "ubuntu2204"},
        {"hostname": "gpu-01", "ip": "10.1.0.21", "accelerator": {"vendor": "nvidia", "model": "A100", "count": 8}},
        {"hostname": "npu-01", "ip": "10.1.0.31", "arch": "arm64", "os": "ubuntu2204",
         "accelerator": {"vendor": "huawei", "model": "910B", "count": 8}},
    ],
    "mirrors": {"kubernetes_packages_key_sha256": PIN, "calico_operator_manifest_sha256": PIN},
    "accelerators": {"nvidia_repo_key_sha256": PIN,
                     "ascend_docker_runtime_package": "/srv/Ascend-docker-runtime_6.0.0_linux-aarch64.run"},
    "services": {"volcano": True, "volcano_manifest_sha256": PIN, "npu_exporter_image": "reg.example/npu-exporter:1"},
}


def run(config):
    return parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")


def changed(*edits):
    """A copy of BASE with ``(path, value)`` edits; value None deletes the key."""
    config = copy.deepcopy(BASE)
    for path, value in edits:
        node = config
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
        if value is None:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = value
    return config


def findings(result, key):
    return [p for p in result.problems if p.key == key]


def test_base_has_no_finding():
    result = run(BASE)
    assert [str(p) for p in result.problems] == []


# --- sha256 pins -------------------------------------------------------------------------------

K8S, CALICO, NVIDIA, VOLCANO = ("mirrors.kubernetes_packages_key_sha256", "mirrors.calico_operator_manifest_sha256",
                                "accelerators.nvidia_repo_key_sha256", "services.volcano_manifest_sha256")

PIN_CASES = [
    # case, edits, key, level (None: no finding), text in the message, text in the fix
    ("kubernetes key missing", [(("mirrors", "kubernetes_packages_key_sha256"), None)], K8S, "warning",
     "kubeadm stage stops on a node unless every node already has those packages", "Release.key"),
    ("kubernetes key not needed offline", [(("mirrors", "kubernetes_packages_key_sha256"), None),
                                           (("offline",), {"enabled": True, "bundle": "/srv/b.tar"}),
                                           (("registry",), {"local": {"enabled": True}})], K8S, None, "", ""),
    ("calico manifest pin missing", [(("mirrors", "calico_operator_manifest_sha256"), None)], CALICO, "error",
     "cluster.cni is calico", "cluster.cni: flannel"),
    ("flannel needs no calico pin", [(("mirrors", "calico_operator_manifest_sha256"), None),
                                     (("cluster", "cni"), "flannel")], CALICO, None, "", ""),
    ("nvidia key missing with a GPU node", [(("accelerators", "nvidia_repo_key_sha256"), None)], NVIDIA, "warning",
     "GPU nodes (gpu-01)", "gpgkey"),
    ("no GPU node, no nvidia key needed", [(("accelerators", "nvidia_repo_key_sha256"), None),
                                           (("nodes", 1, "accelerator"), {"vendor": "none"})], NVIDIA, None, "", ""),
    ("volcano pin missing", [(("services", "volcano_manifest_sha256"), None)], VOLCANO, "error",
     "services.volcano is on", "services.volcano: false"),
    ("volcano off needs no pin", [(("services", "volcano_manifest_sha256"), None), (("services", "volcano"), False)],
     VOLCANO, None, "", ""),
    ("a pin that is not a sha256", [(("mirrors", "kubernetes_packages_key_sha256"), "sha256:" + PIN)], K8S, "error",
     "is not a sha256", "Release.key"),
    ("a template placeholder", [(("accelerators", "nvidia_repo_key_sha256"), "<sha256 of the gpgkey>")], NVIDIA,
     "error", "still the template's placeholder", "replace it with the sha256 of the gpgkey"),
]


@pytest.mark.parametrize("case, edits, key, level, text, fix", PIN_CASES, ids=[c[0] for c in PIN_CASES])
def test_pins_the_enabled_stages_need(case, edits, key, level, text, fix):
    found = findings(run(changed(*edits)), key)
    if level is None:
        assert found == []
        return
    assert [p.level for p in found] == [level], [str(p) for p in found]  # one finding, never two
    assert text in found[0].message and fix in found[0].fix, str(found[0])


def test_every_missing_pin_is_reported_at_once():
    config = changed(*[(pin.path, None) for pin in prereq.PINS])
    result = run(config)
    assert sorted(p.key for p in result.problems if p.key in [pin.key for pin in prereq.PINS]) == sorted(
        pin.key for pin in prereq.PINS)
    assert sorted(p.key for p in result.errors) == sorted([CALICO, VOLCANO])


def test_every_pin_the_roles_check_is_in_the_table():
    """The roles' own asserts on a pin (the second line of defence) read a key of the table."""
    keys = set()
    for directory, _dirs, files in os.walk(os.path.join(ROOT, "roles")):
        for name in files:
            if name.endswith(".yml"):
                with open(os.path.join(directory, name)) as handle:
                    keys.update(re.findall(r"platform_(?:mirrors|accelerators|services)\.(\w+_sha256)", handle.read()))
    assert keys and keys == set(pin.path[-1] for pin in prereq.PINS)


def test_a_dlws_site_is_told_the_role_variable():
    text = ("cluster_name: cl\nk8s-gitbranch: v1.31.4\nmachines:\n  cl-cp-01:\n    role: infrastructure\n"
            "    private-ip: 10.0.0.1\n  cl-gpu-01:\n    role: worker\n    private-ip: 10.0.0.2\n    type: gpu\n"
            "    vendor: nvidia\n    gpu_count: 8\n")
    result = parse(text, "config.yaml")
    assert result.model is not None
    fixes = dict((p.key, p.fix) for p in result.problems if p.level == "warning")
    assert "set kubeadm_repo_key_sha256 in the inventory's group_vars" in fixes[K8S]
    assert "set nvidia_runtime_repo_key_sha256 in the inventory's group_vars" in fixes[NVIDIA]


# --- Kubernetes version range --------------------------------------------------------------------

RANGE = "%d.%d to %d.%d" % (SUPPORTED_MINORS[0] + SUPPORTED_MINORS[1])
VERSIONS = [("1.20.0", "older than 1.22"), ("1.21.14", "older than 1.22"), ("1.40.0", "newer than 1.36"),
            ("1.37.0", "newer than 1.36"), ("2.0.0", "newer than 1.36"),
            ("1.22.0", None), ("1.31.4", None), ("v1.36.2", None)]


@pytest.mark.parametrize("version, text", VERSIONS)
def test_native_version_outside_the_range_is_an_error_naming_it(version, text):
    result = run(changed((("cluster", "kubernetes_version"), version)))
    found = [p for p in result.errors if p.key == "cluster.kubernetes_version"]
    if text is None:
        assert found == []
    else:
        assert len(found) == 1 and text in found[0].message and RANGE in found[0].message, found
        assert RANGE in found[0].fix


DLWS = ("cluster_name: cl\nadmin_username: ops\nk8s-gitbranch: %s\nmachines:\n  cl-cp-01:\n    role: infrastructure\n"
        "    private-ip: 10.0.0.1\n")


@pytest.mark.parametrize("branch, used, warned", [("v1.15.2", "1.31.4", "older than 1.22"),
                                                  ("v1.40.0", "1.31.4", "newer than 1.36"),
                                                  ("v1.30.1", "1.30.1", None)])
def test_legacy_version_outside_the_range_warns_and_the_file_loads(branch, used, warned):
    result = parse(DLWS % branch, "config.yaml")
    assert result.errors == [] and result.model is not None
    assert result.model.group_vars["all"]["platform_cluster"]["kubernetes_version"] == used
    found = [str(p) for p in result.problems if p.key == "k8s-gitbranch"]
    if warned is None:
        assert found == []
    else:
        assert found == ["config.yaml:3: k8s-gitbranch: Kubernetes %s is %s, %s; this file describes the old "
                         "deployment, so Kubernetes %s (the default) is installed instead. Fix: to install another "
                         "version, set k8s-gitbranch to one in the supported range (or delete the key to keep %s)"
                         % (branch, warned, found[0].split(warned + ", ")[1].split("; this file")[0], used, used)]
        assert RANGE in found[0]


def test_the_range_is_in_the_config_reference():
    assert RANGE in SCHEMA.fields["cluster"].fields["kubernetes_version"].doc


# --- docker ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime, version, refused", [
    ("docker", "1.31.4", True), ("docker", "1.24.0", True), ("docker", "1.23.17", False),
    ("containerd", "1.31.4", False), ("containerd", "1.22.0", False)])
def test_docker_from_kubernetes_1_24_is_refused(runtime, version, refused):
    result = run(changed((("container_runtime",), {"name": runtime}), (("cluster", "kubernetes_version"), version)))
    found = [p for p in result.errors if p.key == "container_runtime.name"]
    assert bool(found) == refused
    if refused:
        assert "cri-dockerd" in found[0].message and "containerd" in found[0].fix


# --- OS family ------------------------------------------------------------------------------------

@pytest.mark.parametrize("os_name, refused", [("openeuler2203", True), ("openeuler2403", True),
                                              ("ubuntu2204", False), ("debian12", False)])
def test_a_node_os_the_roles_cannot_install_on_is_refused(os_name, refused):
    result = run(changed((("nodes", 0, "os"), os_name)))
    found = [p for p in result.errors if p.key == "nodes[0].os"]
    assert bool(found) == refused
    if refused:
        assert "node cp-01 runs openEuler" in found[0].message and "apt" in found[0].message
        assert "ubuntu2204" in found[0].fix


def test_supported_os_may_not_list_openeuler():
    result = run(changed((("requirements",), {"supported_os": {"huawei": ["ubuntu2204", "openeuler2203"]}})))
    found = [p for p in result.errors if p.key == "requirements.supported_os.huawei"]
    assert len(found) == 1 and "openeuler2203" in found[0].message


def test_default_supported_os_lists_no_openeuler():
    supported = run(BASE).model.group_vars["all"]["platform_requirements"]["supported_os"]
    assert supported["huawei"] and all(not n.startswith("openeuler") for names in supported.values() for n in names)


def test_a_dlws_openeuler_node_is_refused():
    text = "cluster_name: cl\nmachines:\n  cl-cp-01:\n    role: infrastructure\n    os: openeuler2203\n"
    result = parse(text, "config.yaml")
    assert any("runs openEuler 22.03" in str(p) and p.line == 5 for p in result.errors), result.problems


# --- the Ascend installer's architecture -----------------------------------------------------------

@pytest.mark.parametrize("name, arch", [
    ("Ascend-docker-runtime_6.0.0_linux-aarch64.run", "arm64"), ("Ascend-docker-runtime_5.0.RC1_linux-x86_64.run",
                                                                 "amd64"),
    ("/srv/x/Ascend-docker-runtime_24.1.0_linux-AARCH64.run", "arm64"), ("ascend-runtime-amd64.run", "amd64"),
    ("Ascend-docker-runtime_6.0.0.run", None), ("/srv/aarch64/Ascend-docker-runtime.run", None)])
def test_installer_arch_from_its_file_name(name, arch):
    assert installer_arch(name) == arch


@pytest.mark.parametrize("installer, node_arch, level", [
    ("/srv/Ascend-docker-runtime_6.0.0_linux-aarch64.run", "arm64", None),
    ("/srv/Ascend-docker-runtime_6.0.0_linux-x86_64.run", "arm64", "error"),
    ("/srv/Ascend-docker-runtime_6.0.0_linux-aarch64.run", "amd64", "error"),
    ("/srv/Ascend-docker-runtime_6.0.0_linux-x86_64.run", None, None),  # arch not stated: preflight compares facts
    ("/srv/Ascend-docker-runtime_6.0.0.run", "arm64", "warning"),
])
def test_installer_arch_against_each_npu_node(installer, node_arch, level):
    config = changed((("accelerators", "ascend_docker_runtime_package"), installer), (("nodes", 2, "arch"), node_arch))
    result = run(config)
    found = [p for p in result.problems if p.key in ("nodes[2].arch", "accelerators.ascend_docker_runtime_package")]
    assert [p.level for p in found] == ([level] if level else []), [str(p) for p in found]
    if level == "error":
        text = str(found[0])
        assert "node npu-01 is %s" % node_arch in text and os.path.basename(installer) in text
        assert "built for %s" % ("amd64" if node_arch == "arm64" else "arm64") in text


# --- the customer template ------------------------------------------------------------------------

def test_customer_template_lists_every_value_to_fill_in_at_once():
    with open(TEMPLATE) as handle:
        result = parse(handle.read(), TEMPLATE)
    assert result.model is None
    assert sorted(p.key for p in result.errors) == sorted([
        K8S, CALICO, NVIDIA, "accelerators.ascend_docker_runtime_package"])
    for problem in result.errors:
        assert "still the template's placeholder" in problem.message and problem.line
        assert problem.fix.startswith("replace it with the ") and len(problem.fix) > 40


def test_customer_template_filled_in_loads_without_an_error():
    with open(TEMPLATE) as handle:
        result = parse(fill_template(handle.read()), TEMPLATE)
    assert [str(p) for p in result.errors] == []
    assert result.model.groups["ascend_npu"] == ["npu-01"]
