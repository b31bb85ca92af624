"""The offline plan: every artifact of a site computed from its config, and the bundle checked against it."""
import collections
import os
import re

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import platform_manifests as pm
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import offline_plan as op

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DLWS = os.path.join(ROOT, "tests", "unit", "fixtures", "configs", "dlws_apulis_atlas.yaml")


def _role_defaults(path):
    with open(os.path.join(ROOT, path)) as handle:
        return yaml.safe_load(handle)


def dlws_site(version="v1.31.4"):
    """The DLWS/Apulis fixture (2 Ascend 910 arm64 nodes, 2 NVIDIA amd64 nodes) as the offline role feeds it to
    the plan, with a Kubernetes version this collection deploys, the nodes' OS releases and the key checksums set."""
    with open(DLWS) as handle:
        text = handle.read().replace("k8s-gitbranch: v1.18.2", "k8s-gitbranch: " + version)
    model = parse(text, DLWS).model
    gv = model.group_vars["all"]
    hosts = dict((name, {"node_os": "ubuntu2204", "node_arch": hv["node_arch"],
                         "node_accelerator": hv["node_accelerator"]}) for name, hv in model.hosts.items())
    mirrors = dict(gv["platform_mirrors"], kubernetes_packages_key_sha256="0" * 64)
    return {
        "kubernetes_version": gv["platform_cluster"]["kubernetes_version"],
        "cluster": gv["platform_cluster"], "network": gv["platform_network"], "mirrors": mirrors,
        "accelerators": dict(gv["platform_accelerators"], nvidia_repo_key_sha256="1" * 64,
                             ascend_docker_runtime_package="/srv/ascend/Ascend-docker-runtime_6.0.0_linux-aarch64.run"),
        "services": dict(gv["platform_services"], npu_exporter_image="registry.example/ascend/npu-exporter:v26.0.0"),
        "hosts": hosts,
        "os_packages": {"node_init": _role_defaults("roles/node_init/defaults/main.yml")["node_init_packages"],
                        "container_runtime": ["containerd"]},
        "kubernetes_packages": _role_defaults("roles/kubeadm/defaults/main/main.yml")["kubeadm_packages"],
        "nvidia_packages": _role_defaults("roles/nvidia_runtime/defaults/main.yml")["nvidia_runtime_packages"],
        "sandbox_image": op.sandbox_image(gv["platform_cluster"]["kubernetes_version"]),
        "platform_settings": {"npu_exporter_image": "registry.example/ascend/npu-exporter:v26.0.0"},
    }


def _rows(plan, kind, name=None):
    return [r for r in plan["artifacts"] if r["kind"] == kind and (name is None or r["name"] == name)]


def test_dlws_gpu_npu_plan_lists_the_whole_site():
    plan = op.plan(dlws_site())
    assert plan["problems"] == [], plan["problems"]
    assert plan["arches"] == ["amd64", "arm64"] and plan["targets"] == ["ubuntu2204-amd64", "ubuntu2204-arm64"]
    # The Kubernetes packages, per architecture, pinned, from the repository of the minor.
    for name, spec in (("kubeadm", "kubeadm=1.31.4-*"), ("kubelet", "kubelet=1.31.4-*"), ("kubectl", "kubectl=1.31.4-*"),
                       ("cri-tools", "cri-tools=1.31.*"), ("kubernetes-cni", "kubernetes-cni")):
        rows = _rows(plan, "deb", name)
        assert sorted(r["arch"] for r in rows) == ["amd64", "arm64"], name
        assert all(r["apt_spec"] == spec and r["source"].endswith("/v1.31/deb/") for r in rows), rows
        assert all("role kubeadm" in r["needed_by"][0] for r in rows)
    assert set(plan["packages"]["kubernetes"]) == {"kubeadm=1.31.4-*", "kubelet=1.31.4-*", "kubectl=1.31.4-*",
                                                   "cri-tools=1.31.*", "kubernetes-cni"}
    # The seven control-plane images at the tags kubeadm 1.31 uses.
    for ref in ("registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/kube-controller-manager:v1.31.4",
                "registry.k8s.io/kube-scheduler:v1.31.4", "registry.k8s.io/kube-proxy:v1.31.4",
                "registry.k8s.io/etcd:3.5.15-0", "registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/pause:3.10"):
        assert ref in plan["images"], ref
    # The pod network's, the device plugins' and the exporters' images, walked from the rendered manifests.
    for ref in ("ghcr.io/flannel-io/flannel:v0.27.4", "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1",
                pm.IMAGES["nvidia_device_plugin"], pm.IMAGES["ascend_device_plugin"], pm.IMAGES["dcgm_exporter"],
                pm.IMAGES["node_exporter"], "registry.example/ascend/npu-exporter:v26.0.0", pm.IMAGES["metrics_server"]):
        assert ref in plan["images"], ref
    # The NVIDIA container toolkit for the GPU nodes' architecture only; the Ascend installer for the NPU nodes'.
    toolkit = _rows(plan, "deb", "nvidia-container-toolkit")
    assert [r["arch"] for r in toolkit] == ["amd64"] and "atlas-gpu01" in toolkit[0]["needed_by"][0]
    assert [r["arch"] for r in _rows(plan, "installer")] == ["arm64"]
    assert plan["size"] > 0 and all(r["source"] for r in plan["artifacts"])


def test_nothing_is_listed_twice():
    plan = op.plan(dlws_site())
    keys = collections.Counter((r["kind"], r["name"], r["arch"]) for r in plan["artifacts"])
    assert [k for k, n in keys.items() if n > 1] == []
    # The pause image is needed by kubeadm and by containerd: one row saying both.
    pause = _rows(plan, "image", "registry.k8s.io/pause:3.10")[0]
    assert any("container_runtime" in n for n in pause["needed_by"]) and any("kubeadm" in n for n in pause["needed_by"])


def test_no_image_or_kubernetes_package_is_written_by_hand_in_the_roles():
    # The plan renders them: the offline role's defaults name no image, and no role hard-codes the pause tag.
    with open(os.path.join(ROOT, "roles/offline/defaults/main.yml")) as handle:
        text = "\n".join(line for line in handle if not line.lstrip().startswith("#"))
    assert not re.search(r"[a-z0-9.-]+\.(io|com)/[a-z0-9/_-]+:[\w.-]+", text), "an image is listed by hand"
    for role in os.listdir(os.path.join(ROOT, "roles")):
        for base, _dirs, files in os.walk(os.path.join(ROOT, "roles", role)):
            for name in files:
                with open(os.path.join(base, name)) as handle:
                    assert "pause:3." not in handle.read(), os.path.join(base, name)


def test_missing_key_checksums_and_os_stop_the_build():
    site = dlws_site()
    site["mirrors"] = dict(site["mirrors"], kubernetes_packages_key_sha256="")
    site["accelerators"] = dict(site["accelerators"], nvidia_repo_key_sha256="")
    site["hosts"]["atlas01"]["node_os"] = None
    problems = op.plan(site)["problems"]
    assert any("nodes atlas01 have no `os`" in p for p in problems)
    assert any("mirrors.kubernetes_packages_key_sha256" in p and "/v1.31/deb/Release.key" in p for p in problems)
    assert any("accelerators.nvidia_repo_key_sha256" in p for p in problems)


def test_no_toolkit_without_nvidia_nodes():
    site = dlws_site()
    site["hosts"] = dict((h, hv) for h, hv in site["hosts"].items() if "gpu" not in h)
    plan = op.plan(site)
    assert _rows(plan, "deb", "nvidia-container-toolkit") == [] and pm.IMAGES["dcgm_exporter"] not in plan["images"]
    assert plan["arches"] == ["arm64"] and plan["repositories"]["nvidia"] == {}


@pytest.mark.parametrize("version, etcd, coredns, pause", [
    ("1.29.3", "3.5.10-0", "v1.11.1", "3.9"),
    ("1.32.1", "3.5.16-0", "v1.11.3", "3.10"),
    ("1.34.0", "3.6.4-0", "v1.12.1", "3.10.1"),
])
def test_control_plane_tags_follow_the_minor(version, etcd, coredns, pause):
    images = op.control_plane_images({"kubernetesVersion": version, "imageRepository": "registry.k8s.io"})
    assert images["etcd"] == "registry.k8s.io/etcd:" + etcd
    assert images["coredns"] == "registry.k8s.io/coredns/coredns:" + coredns
    assert images["pause"] == "registry.k8s.io/pause:" + pause
    assert images["kube-apiserver"] == "registry.k8s.io/kube-apiserver:v" + version
    assert op.sandbox_image(version) == images["pause"]


def test_control_plane_images_follow_the_rendered_cluster_configuration():
    # Another image repository: CoreDNS directly under it (kubeadm's rule); etcd's own repository and tag win.
    doc = {"kubernetesVersion": "v1.31.4", "imageRepository": "registry.example/k8s",
           "etcd": {"local": {"imageRepository": "registry.example/etcd", "imageTag": "3.5.16-0"}}}
    images = op.control_plane_images(doc)
    assert images["coredns"] == "registry.example/k8s/coredns:v1.11.3"
    assert images["etcd"] == "registry.example/etcd/etcd:3.5.16-0"
    site = dlws_site()
    site["kubeadm_overrides"] = {"ClusterConfiguration": {"dns": {"imageTag": "v1.11.4"}}}
    assert "registry.k8s.io/coredns/coredns:v1.11.4" in op.plan(site)["images"]


def test_kubeadm_binary_list_wins_over_the_table():
    # `kubeadm config images list --kubernetes-version v1.31.4` output shape (one reference a line).
    listed = ["registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/kube-controller-manager:v1.31.4",
              "registry.k8s.io/kube-scheduler:v1.31.4", "registry.k8s.io/kube-proxy:v1.31.4",
              "registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/pause:3.10", "registry.k8s.io/etcd:3.5.24-0"]
    site = dlws_site()
    site["kubeadm_images_list"] = listed
    plan = op.plan(site)
    assert "registry.k8s.io/etcd:3.5.24-0" in plan["images"] and "registry.k8s.io/etcd:3.5.15-0" not in plan["images"]
    assert "kubeadm config images list" in _rows(plan, "image", "registry.k8s.io/etcd:3.5.24-0")[0]["needed_by"][0]


def test_unknown_minor_says_how_to_fix():
    with pytest.raises(ValueError, match="kubeadm 1.40.0 binary"):
        op.control_plane_images({"kubernetesVersion": "1.40.0"})


def _manifest_of(plan, drop=()):
    """A bundle manifest holding the plan (what offline_bundle.yml records), less ``drop``."""
    artifacts = []
    for row in plan["artifacts"]:
        if row["name"] in drop:
            continue
        if row["kind"] == "image":
            artifacts.append({"kind": "image", "name": row["name"]})
        elif row["kind"] in op.FILE_KINDS:
            artifacts.append({"kind": row["kind"], "name": row["name"], "arch": row["arch"], "path": row["path"],
                              "sha256": "0" * 64})
        elif row["kind"] == "deb":
            version = {"kubeadm": "1.31.4-1.1", "kubelet": "1.31.4-1.1", "kubectl": "1.31.4-1.1",
                       "cri-tools": "1.31.1-1.1"}.get(row["name"], "1.0-1")
            for target in plan["targets"]:
                if target.endswith(row["arch"]):
                    artifacts.append({"kind": "package", "name": row["name"], "version": version, "target": target})
    return {"artifacts": artifacts}


def test_a_manifest_naming_an_image_the_bundle_lacks_stops_the_build_naming_it():
    site = dlws_site()
    site["application"] = {"manifests": {"app.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
        "      initContainers: [{name: init, image: 'registry.example/apulis/init:1.9'}]\n"
        "      containers: [{name: web, image: 'registry.example/apulis/web:1.9'}]\n")}}
    plan = op.plan(site)
    assert op.problems(_manifest_of(plan), plan) == []
    missing = op.problems(_manifest_of(plan, drop=["registry.example/apulis/web:1.9"]), plan)
    assert missing == ["the bundle lacks image registry.example/apulis/web:1.9 (needed by services.application (app.yaml))"]


def test_bundle_without_the_pinned_kubernetes_packages_is_named():
    plan = op.plan(dlws_site())
    manifest = _manifest_of(plan, drop=["kubectl"])
    for item in manifest["artifacts"]:
        if item["name"] == "kubeadm":
            item["version"] = "1.31.3-1.1"
    found = op.problems(manifest, plan)
    assert any(p.startswith("the bundle's ubuntu2204-arm64 repository lacks kubectl (needed by role kubeadm") for p in found)
    assert any("has kubeadm 1.31.3-1.1, not 1.31.4-*" in p for p in found)
    assert any("lacks image" not in p for p in found)


def test_plan_markdown_lists_every_artifact():
    plan = op.plan(dlws_site())
    text = op.markdown(plan)
    assert "Estimated size" in text
    assert all(row["name"] in text for row in plan["artifacts"])


def test_repositories():
    assert op.kubernetes_repo_url("https://mirror.example/k8s/", "1.31.4") == "https://mirror.example/k8s/v1.31/deb/"
    assert op.kubernetes_repo_url("", "v1.30.2").endswith("/v1.30/deb/")
    assert op.parse_images_list("W0101 warning\nregistry.k8s.io/pause:3.10\n") == ["registry.k8s.io/pause:3.10"]


def test_offline_every_image_resolves_through_the_site_registry():
    # The config's registry section as the inventory plugin turns it into containerd's pull order.
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.model import image_pull_order
    site = dlws_site()
    registry = {"local": {"enabled": True}, "public": ["docker.io", "registry.k8s.io", "quay.io", "nvcr.io", "ghcr.io"]}
    site["pull_order"] = image_pull_order(registry, {})
    found = op.plan(site)["problems"]
    # Without the collection's own images, the Ascend device plugin's registry is not an upstream:
    # its pulls would leave the site.
    assert [p for p in found if "swr.cn-south-1.myhuaweicloud.com" in p and "registry.public" in p]
    assert not [p for p in found if "images of registry.k8s.io" in p]
    # As the inventory plugin calls it: the registries of the collection's own images are upstreams.
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.platform_manifests import IMAGES
    site["pull_order"] = image_pull_order(registry, {}, IMAGES.values())
    assert "swr.cn-south-1.myhuaweicloud.com" not in registry["public"]
    site["extra_images"] = []
    assert [p for p in op.plan(site)["problems"] if "not resolved through the site registry" in p] == \
        ["images of registry.example are not resolved through the site registry (registry.public lacks it, or "
         "registry.local is off): nodes would pull them from registry.example. Fix: add registry.example to "
         "registry.public and enable registry.local"]


def test_site_yml_stops_on_an_unrouted_registry_even_with_a_complete_bundle():
    # offline_plan_problems (roles/offline, site.yml) compares the bundle with the plan: a bundle that holds
    # every artifact still stops the run when nodes would pull an image from outside; a missing key pin
    # (a problem of the download only) does not.
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.model import image_pull_order
    site = dlws_site()
    site["pull_order"] = image_pull_order({"local": {"enabled": True}, "public": ["docker.io"]}, {})
    plan = op.plan(site)
    assert plan["site_problems"] and set(plan["site_problems"]) <= set(plan["problems"])
    found = op.problems(_manifest_of(plan), plan)
    assert found == plan["site_problems"]
    assert any("images of registry.k8s.io are not resolved through the site registry" in p for p in found)
    assert not any("key_sha256" in p for p in found)


FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "offline")
CALICO_V3_31_1 = ["quay.io/calico/%s:v3.31.1" % c for c in ("node", "cni", "pod2daemon-flexvol", "typha", "kube-controllers",
                                                              "csi", "node-driver-registrar")]


def _fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def calico_site(**cni):
    site = dlws_site()
    site["cluster"] = dict(site["cluster"], cni="calico")
    site["cni"] = dict({"name": "calico", "calico_version": _role_defaults("roles/kubeadm/defaults/main/cni.yml")[
        "kubeadm_calico_version"]}, **cni)
    return site


def test_the_tables_cover_the_releases_the_roles_pin():
    assert _role_defaults("roles/kubeadm/defaults/main/cni.yml")["kubeadm_calico_version"] in op.CALICO_RELEASES
    assert _role_defaults("roles/platform/defaults/main.yml")["platform_volcano_version"] in op.VOLCANO_RELEASES


def test_calico_images_come_from_the_table_without_the_manifest():
    plan = op.plan(calico_site())
    assert plan["problems"] == [], plan["problems"]
    for ref in CALICO_V3_31_1:
        assert ref in plan["images"], ref
        assert "Calico operator v1.40.1 deploys it" in _rows(plan, "image", ref)[0]["needed_by"][0]
    operator = _rows(plan, "image", "quay.io/tigera/operator:v1.40.1")
    assert operator and "from table CALICO_RELEASES" in operator[0]["needed_by"][0]
    # Not deployed for the Installation the role applies: no API server, Goldmane or Whisker resource.
    assert not [i for i in plan["images"] if re.search(r"/calico/(apiserver|goldmane|whisker)", i)]
    assert not [i for i in plan["images"] if "flannel" in i]
    # Not a note any more: the plan knows them.
    assert not [n for n in plan["notes"] if "Calico" in n]


def test_calico_rows_follow_the_operators_default_registry():
    # The operator's default registry moved from docker.io to quay.io within 3.30 (operator v1.38.7).
    assert op.calico_images("v3.30.3")["components"][0] == "docker.io/calico/node:v3.30.3"
    assert op.calico_images("v3.30.4")["components"][0] == "quay.io/calico/node:v3.30.4"
    assert op.calico_images("v3.29.7")["operator"] == "quay.io/tigera/operator:v1.36.16"


def test_calico_honours_the_installations_registry():
    plan = op.plan(calico_site(calico_registry="registry.example/mirror/"))
    assert "registry.example/mirror/calico/node:v3.31.1" in plan["images"]
    assert "registry.example/mirror/calico/csi:v3.31.1" in plan["images"]
    assert not [i for i in plan["images"] if i.startswith("quay.io/calico/")]
    # The operator's own image is named by its manifest, not by the Installation.
    assert "quay.io/tigera/operator:v1.40.1" in plan["images"]


def test_calico_downloaded_manifest_gives_the_operator_and_must_match_the_release():
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tigera-operator}\nspec:\n  template:\n    spec:\n"
                "      containers: [{name: tigera-operator, image: 'quay.io/tigera/operator:v1.40.1'}]\n")
    plan = op.plan(calico_site(calico_manifest=manifest))
    assert plan["problems"] == []
    assert "role kubeadm (manifest cni/tigera-operator.yaml)" in _rows(plan, "image", "quay.io/tigera/operator:v1.40.1")[0]["needed_by"]
    assert all(ref in plan["images"] for ref in CALICO_V3_31_1)
    # A manifest of another release: the operator would deploy other images than the bundle's.
    plan = op.plan(calico_site(calico_manifest=manifest.replace("v1.40.1", "v1.38.13")))
    assert [p for p in plan["problems"] if "runs tigera/operator:v1.38.13" in p and "kubeadm_calico_version" in p]


def test_calico_release_outside_the_table_is_a_problem_naming_the_key_and_the_fix():
    plan = op.plan(calico_site(calico_version="v3.99.0"))
    found = [p for p in plan["problems"] if p.startswith("kubeadm_calico_version v3.99.0")]
    assert found and "offline.extra_images" in found[0] and "add the release's row" in found[0]
    assert "v3.31.1" in found[0] and "tigera/operator" in found[0]
    assert not [i for i in plan["images"] if "/calico/" in i]
    # Listing the release's images is the fix.
    site = calico_site(calico_version="v3.99.0")
    site["extra_images"] = ["quay.io/calico/node:v3.99.0", "quay.io/calico/cni:v3.99.0", "quay.io/tigera/operator:v1.99.0"]
    plan = op.plan(site)
    assert not [p for p in plan["problems"] if "kubeadm_calico_version" in p]
    assert "quay.io/calico/cni:v3.99.0" in plan["images"]


def volcano_site(**extra):
    site = dlws_site()
    site["services"] = dict(site["services"], volcano=True)
    site["volcano_version"] = _role_defaults("roles/platform/defaults/main.yml")["platform_volcano_version"]
    site.update(extra)
    return site


def test_volcano_table_and_installer_manifest_agree():
    # The sample has the shape of installer/volcano-development.yaml at the version the platform role pins: the
    # images the plan walks from a downloaded manifest are the ones its table gives without one.
    walked = op.plan(volcano_site(volcano_manifest=_fixture("volcano-installer-sample.txt")))
    table = op.plan(volcano_site())
    pick = lambda plan: sorted(i for i in plan["images"] if "volcanosh" in i)
    assert pick(walked) == pick(table) == sorted(op.volcano_images("v1.12.0")) == [
        "docker.io/volcanosh/vc-controller-manager:v1.12.0", "docker.io/volcanosh/vc-scheduler:v1.12.0",
        "docker.io/volcanosh/vc-webhook-manager:v1.12.0"]
    assert "from table VOLCANO_RELEASES" in _rows(table, "image", "docker.io/volcanosh/vc-scheduler:v1.12.0")[0]["needed_by"][0]
    assert _rows(walked, "image", "docker.io/volcanosh/vc-scheduler:v1.12.0")[0]["needed_by"] == ["role platform (manifest volcano/)"]
    assert walked["problems"] == table["problems"] == []


def test_volcano_downloaded_manifest_wins_and_unknown_release_is_a_problem():
    manifest = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: 'registry.example/vc-scheduler:custom'}]\n"
    plan = op.plan(volcano_site(volcano_manifest=manifest))
    assert "registry.example/vc-scheduler:custom" in plan["images"] and "docker.io/volcanosh/vc-scheduler:v1.12.0" not in plan["images"]
    plan = op.plan(volcano_site(volcano_version="v9.0.0"))
    found = [p for p in plan["problems"] if p.startswith("platform_volcano_version v9.0.0")]
    assert found and "offline.extra_images" in found[0] and "volcanosh/vc-scheduler:v9.0.0" in found[0]
    plan = op.plan(volcano_site(volcano_version="v9.0.0", extra_images=["docker.io/volcanosh/vc-scheduler:v9.0.0"]))
    assert not [p for p in plan["problems"] if "platform_volcano_version" in p]
    # Volcano off: none of it.
    site = volcano_site()
    site["services"]["volcano"] = False
    assert not [i for i in op.plan(site)["images"] if "volcanosh" in i]


INDEX = """apiVersion: v1
entries:
  aiplatform:
    - name: aiplatform
      version: 2.1.0
      digest: %s
      urls: [charts/aiplatform-2.1.0.tgz]
    - name: aiplatform
      version: 2.0.0
      digest: %s
      urls: ["https://other.example/aiplatform-2.0.0.tgz"]
  nodigest:
    - {name: nodigest, version: 1.0.0, urls: [nodigest-1.0.0.tgz]}
""" % ("a" * 64, "B" * 64)


def test_chart_entry_of_a_repository_index():
    entry = op.chart_entry(INDEX, "aiplatform", "2.1.0", "https://charts.example/apulis/")
    assert entry == {"url": "https://charts.example/apulis/charts/aiplatform-2.1.0.tgz", "digest": "a" * 64,
                     "version": "2.1.0"}
    assert op.chart_entry(INDEX, "aiplatform", "v2.0.0", "file:///srv/repo")["url"] == "https://other.example/aiplatform-2.0.0.tgz"
    assert op.chart_entry(INDEX, "aiplatform", "2.0.0", "file:///srv/repo")["digest"] == "b" * 64
    with pytest.raises(ValueError, match=r"no version 3.0.0 of chart aiplatform \(it has 2.0.0, 2.1.0\). Fix: set "
                                         r"services.application.chart_version"):
        op.chart_entry(INDEX, "aiplatform", "3.0.0", "https://charts.example")
    with pytest.raises(ValueError, match="has no chart web. Fix"):
        op.chart_entry(INDEX, "web", "1.0.0", "https://charts.example")
    with pytest.raises(ValueError, match="no sha256 digest for nodigest 1.0.0"):
        op.chart_entry(INDEX, "nodigest", "1.0.0", "https://charts.example")
    with pytest.raises(ValueError, match="is not YAML"):
        op.chart_entry("entries: [", "x", "1", "https://charts.example")


def test_chart_rows_and_their_images():
    site = dlws_site()
    site["application"] = {"chart": "aiplatform", "chart_repo": "https://charts.example/apulis", "chart_version": "2.1.0",
                           "rendered": _fixture("chart-rendered-sample.txt")}
    plan = op.plan(site)
    chart = _rows(plan, "chart")[0]
    assert chart["path"] == "charts/aiplatform-2.1.0.tgz" and chart["version"] == "2.1.0"
    assert chart["source"] == "https://charts.example/apulis/index.yaml (aiplatform 2.1.0)"
    for ref in ("registry.example/apulis/migrate:2.1.0", "registry.example/apulis/web:2.1.0", "docker.io/library/busybox:1.36"):
        assert _rows(plan, "image", ref)[0]["needed_by"] == ["services.application.chart (aiplatform)"]
    assert not [n for n in plan["notes"] if "chart" in n]
    # Without a rendering (no helm, or the chart not downloaded yet): a note says how to fill the gap.
    del site["application"]["rendered"]
    plan = op.plan(site)
    assert [n for n in plan["notes"] if "chart's images are not in the plan" in n and "offline.extra_images" in n]
    # No version: a bundle cannot carry "newest".
    site["application"]["chart_version"] = ""
    assert [p for p in op.plan(site)["problems"] if p.startswith("services.application.chart_version is empty")]
    # repo/chart of the build machine's helm cannot be fetched.
    site["application"] = {"chart": "apulis/aiplatform", "chart_version": "2.1.0"}
    assert [p for p in op.plan(site)["problems"] if "services.application.chart_repo" in p and "(aiplatform)" in p]
    # A local chart: a directory is packed as <name>.tgz, an archive keeps its name.
    site["application"] = {"chart": "/srv/charts/aiplatform/"}
    assert _rows(op.plan(site), "chart")[0]["path"] == "charts/aiplatform.tgz"
    site["application"] = {"chart": "file:///srv/charts/aiplatform-2.1.0.tgz"}
    assert _rows(op.plan(site), "chart")[0]["path"] == "charts/aiplatform-2.1.0.tgz"
    assert op.problems(_manifest_of(op.plan(site)), op.plan(site)) == []


def test_installers_and_charts_are_files_of_the_bundle_checked_against_the_plan():
    site = dlws_site()
    site["application"] = {"chart": "aiplatform", "chart_repo": "https://charts.example", "chart_version": "2.1.0"}
    plan = op.plan(site)
    installer = _rows(plan, "installer")[0]
    assert installer["path"] == "installers/arm64/Ascend-docker-runtime_6.0.0_linux-aarch64.run"
    stats = [{"item": row, "stat": {"exists": True, "checksum": "c" * 64, "size": 1234}}
             for row in plan["artifacts"] if row["kind"] in ("installer", "chart")]
    entries = op.file_artifacts(stats + [{"item": installer, "stat": {"exists": False}}])
    assert [e["path"] for e in entries] == ["charts/aiplatform-2.1.0.tgz", installer["path"]]
    assert all(e["sha256"] == "c" * 64 and e["size"] == 1234 for e in entries)
    manifest = _manifest_of(plan)
    manifest["artifacts"] = [a for a in manifest["artifacts"] if a["kind"] not in ("installer", "chart")] + entries
    assert op.problems(manifest, plan) == []
    manifest["artifacts"] = [a for a in manifest["artifacts"] if a.get("kind") not in ("installer", "chart")]
    assert op.problems(manifest, plan) == [
        "the bundle lacks chart aiplatform (needed by services.application.chart)",
        "the bundle lacks installer Ascend-docker-runtime_6.0.0_linux-aarch64.run for arm64 (needed by role "
        "ascend_runtime (NPU nodes atlas01, atlas02))"]
    # A later plan takes the sizes of the last build's files.
    site["previous_manifest"] = {"artifacts": entries}
    assert _rows(op.plan(site), "installer")[0]["size"] == 1234


def test_chart_repo_without_chart_is_a_config_error():
    config = {
        "schema_version": 1,
        "cluster": {"name": "site", "domain": "ai.example", "kubernetes_version": "1.31.4"},
        "network": {"node_networks": ["10.1.0.0/24"]},
        "nodes": [{"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"], "os": "debian12"}],
        "services": {"application": {"chart_repo": "https://charts.example/apulis"}},
    }
    errors = [p for p in parse(yaml.safe_dump(config), "platform.yml").errors
              if p.key == "services.application.chart_repo"]
    assert errors and "Fix: set services.application.chart to the chart's name" in str(errors[0])
    config["services"]["application"]["chart"] = "aiplatform"
    assert not [p for p in parse(yaml.safe_dump(config), "platform.yml").errors if "chart" in p.key]


def test_pinned_manifests_are_carried_as_files_of_the_bundle():
    """Calico's operator manifest and Volcano's installer are downloaded by the roles at a site with access; the
    air-gapped site's roles take them from the bundle, so the plan lists them (URL and pin) and a bundle without
    them is named."""
    site = volcano_site(volcano_manifest_url="https://volcano.example/v.yaml", volcano_manifest_sha256="AB" * 32)
    site["cluster"] = dict(site["cluster"], cni="calico")
    site["cni"] = {"name": "calico", "calico_version": "v3.31.1", "calico_manifest_url": "file:///srv/op.yaml",
                   "calico_manifest_sha256": "cd" * 32}
    plan = op.plan(site)
    rows = {r["name"]: r for r in _rows(plan, "manifest")}
    assert sorted(rows) == ["tigera-operator-v3.31.1.yaml", "volcano-%s.yaml" % site["volcano_version"]]
    calico = rows["tigera-operator-v3.31.1.yaml"]
    assert (calico["path"], calico["source"], calico["sha256"], calico["arch"]) == (
        "manifests/tigera-operator-v3.31.1.yaml", "file:///srv/op.yaml", "cd" * 32, "all")
    assert rows["volcano-%s.yaml" % site["volcano_version"]]["sha256"] == "ab" * 32
    assert "role kubeadm" in calico["needed_by"][0]
    assert op.problems(_manifest_of(plan), plan) == []
    missing = op.problems(_manifest_of(plan, drop=["tigera-operator-v3.31.1.yaml"]), plan)
    assert missing == ["the bundle lacks manifest tigera-operator-v3.31.1.yaml (needed by role kubeadm "
                       "(cni/tigera-operator.yaml, applied by the Calico stage))"]
    # Flannel and no Volcano: nothing of the kind.
    assert _rows(op.plan(dlws_site()), "manifest") == []
