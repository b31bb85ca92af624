"""Where the bundle build copies each image from: a node's pull order (company registry, mirrors, upstream),
offline_image_sources per image; and which images a rebuild copies again."""
import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.model import image_pull_order
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import offline_plan as op

REGISTRY = {"local": {"enabled": True}, "company": {"url": "harbor.corp.example:443"},
            "public": ["docker.io", "registry.k8s.io", "ghcr.io"]}
MIRRORS = {"images": {"registry.k8s.io": ["http://10.0.0.5:5001"], "docker.io": ["https://mirror.example"]}}


def _sources(ref, registry=REGISTRY, mirrors=MIRRORS, **kw):
    return op.image_sources(ref, image_pull_order(registry, mirrors), **kw)


def test_company_registry_then_mirrors_then_upstream_never_the_site_registry():
    assert _sources("registry.k8s.io/kube-apiserver:v1.31.4", company_auth=True) == [
        {"source": "docker://harbor.corp.example:443/kube-apiserver:v1.31.4", "tls_verify": True, "auth": True},
        {"source": "docker://10.0.0.5:5001/kube-apiserver:v1.31.4", "tls_verify": False, "auth": False},
        {"source": "docker://registry.k8s.io/kube-apiserver:v1.31.4", "tls_verify": True, "auth": False}]


def test_docker_hub_images_keep_their_library_path_under_a_mirror():
    # containerd asks a mirror for /v2/library/busybox/...: the build reads the same path.
    assert [s["source"] for s in _sources("busybox:1.36", registry=dict(REGISTRY, company={}))] == [
        "docker://mirror.example/library/busybox:1.36", "docker://docker.io/library/busybox:1.36"]


def test_insecure_company_registry_and_no_credentials():
    registry = dict(REGISTRY, company={"url": "harbor.corp.example", "insecure": True})
    first = _sources("ghcr.io/flannel-io/flannel:v0.27.4", registry=registry, mirrors={})[0]
    assert first == {"source": "docker://harbor.corp.example/flannel-io/flannel:v0.27.4", "tls_verify": False,
                     "auth": False}


def test_an_offline_image_sources_entry_is_the_only_source():
    overrides = {"registry.k8s.io/pause:3.10": "oci-archive:/srv/pause.tar"}
    assert _sources("registry.k8s.io/pause:3.10", overrides=overrides) == [
        {"source": "oci-archive:/srv/pause.tar", "tls_verify": True, "auth": False}]
    # Other images keep the pull order.
    assert len(_sources("registry.k8s.io/etcd:3.5.15-0", overrides=overrides)) == 3


def test_a_registry_without_pull_order_is_read_from_upstream():
    assert op.image_sources("quay.io/prometheus/node-exporter:v1.8.2", {}) == [
        {"source": "docker://quay.io/prometheus/node-exporter:v1.8.2", "tls_verify": True, "auth": False}]


@pytest.mark.parametrize("have, recorded, copied", [
    ([], {}, True),                                                              # not in the bundle yet
    (["registry.k8s.io/pause:3.10"], {"registry.k8s.io/pause:3.10": "docker://10.0.0.5:5001/pause:3.10"}, False),
    (["registry.k8s.io/pause:3.10"], {}, True),                                  # source unknown (an older build)
    (["registry.k8s.io/pause:3.10"], {"registry.k8s.io/pause:3.10": "oci-archive:/old/pause.tar"}, True),  # dropped
])
def test_a_rebuild_copies_what_is_missing_or_came_from_a_source_the_config_no_longer_names(have, recorded, copied):
    order = image_pull_order(dict(REGISTRY, company={}), MIRRORS)
    out = op.image_copies(["registry.k8s.io/pause:3.10"], have, recorded, order)
    assert [c["name"] for c in out] == (["registry.k8s.io/pause:3.10"] if copied else [])
    if copied:
        assert out[0]["sources"][0]["source"] == "docker://10.0.0.5:5001/pause:3.10"


def test_the_plan_names_where_each_image_comes_from():
    site = {"kubernetes_version": "1.31.4", "hosts": {"n1": {"node_os": "debian12", "node_arch": "amd64"}},
            "mirrors": {"kubernetes_packages_key_sha256": "0" * 64},
            "image_pull_order": image_pull_order(dict(REGISTRY, company={}), MIRRORS),
            "image_sources": {"ghcr.io/flannel-io/flannel:v0.27.4": "oci-archive:/srv/flannel.tar"}}
    rows = dict((r["name"], r) for r in op.plan(site)["artifacts"] if r["kind"] == "image")
    assert rows["registry.k8s.io/kube-apiserver:v1.31.4"]["source"] == (
        "docker://10.0.0.5:5001/kube-apiserver:v1.31.4, then docker://registry.k8s.io/kube-apiserver:v1.31.4")
    assert rows["ghcr.io/flannel-io/flannel:v0.27.4"]["source"] == "oci-archive:/srv/flannel.tar"
    # Without a pull order (a caller that does not say), the upstream.
    del site["image_pull_order"]
    rows = dict((r["name"], r) for r in op.plan(site)["artifacts"] if r["kind"] == "image")
    assert rows["registry.k8s.io/kube-apiserver:v1.31.4"]["source"] == "docker://registry.k8s.io/kube-apiserver:v1.31.4"
