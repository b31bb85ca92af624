"""The repository node: verified bundle in place, repository served, images in the registry."""
import json
import os

testinfra_hosts = ["off-repo-01"]


def test_bundle_verified_and_served(host):
    assert host.file("/var/lib/aiplatform/offline/bundle/SHA256SUMS").exists
    check = host.run("cd /var/lib/aiplatform/offline/bundle && sha256sum -c --quiet SHA256SUMS")
    assert check.rc == 0, check.stdout
    assert not host.file("/var/lib/aiplatform/offline/staging").exists
    service = host.service("aiplatform-offline-repo")
    assert service.is_running and service.is_enabled


def test_manifest_lists_every_artifact_with_sha256(host):
    manifest = json.loads(host.file("/var/lib/aiplatform/offline/bundle/manifest.json").content_string)
    assert manifest["targets"] == ["debian12-amd64"]
    kinds = {a["kind"] for a in manifest["artifacts"]}
    assert kinds == {"package", "image"}
    assert all(len(a["sha256"]) == 64 and a["name"] and a["source"] for a in manifest["artifacts"])
    names = {a["name"] for a in manifest["artifacts"]}
    assert {"containerd", "docker-registry", "chrony", "haproxy", "docker.io/aiplatform/hello:1"} <= names
    # The Kubernetes packages at the pinned version (the stand-in repository also has 1.31.0), the control-plane images.
    versions = {a["name"]: a["version"] for a in manifest["artifacts"] if a["kind"] == "package"}
    assert versions["kubeadm"] == versions["kubelet"] == versions["kubectl"] == "1.31.4-1.1", versions
    assert {"cri-tools", "kubernetes-cni"} <= set(versions)
    assert {"registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/etcd:3.5.15-0",
            "registry.k8s.io/coredns/coredns:v1.11.3"} <= names
    # The pod network's images come with the bundle (cluster.cni defaults to flannel).
    assert {"ghcr.io/flannel-io/flannel:v0.27.4", "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1"} <= names
    kubeadm = sorted(a["version"] for a in manifest["artifacts"] if a["name"] == "kubeadm")
    assert kubeadm == ["1.31.4-1.1"], kubeadm


def test_manifest_names_the_stand_in_upstreams_as_sources(host):
    # Built from the stand-ins served on the test network (molecule/offline/vars/standin.yml): the Kubernetes
    # packages from the repository's HTTP server, each image from the registry standing in for its upstream
    # (the mirror named in mirrors.images), except the one offline_image_sources names.
    manifest = json.loads(host.file("/var/lib/aiplatform/offline/bundle/manifest.json").content_string)
    sources = dict((a["name"], a["source"]) for a in manifest["artifacts"])
    for name in ("kubeadm", "kubelet", "kubectl", "cri-tools", "kubernetes-cni"):
        assert sources[name].startswith("http://172.31.244.10:8080/v1.31/deb/"), sources[name]
    mirror = {"registry.k8s.io": 5001, "docker.io": 5002, "ghcr.io": 5003}
    images = [a for a in manifest["artifacts"] if a["kind"] == "image"]
    assert len(images) == 10, images
    for image in images:
        if image["name"] == "docker.io/aiplatform/hello:1":
            assert image["source"].startswith("oci-archive:") and image["source"].endswith("/images/hello.tar")
            continue
        upstream, path = image["name"].split("/", 1)
        assert image["source"] == "docker://172.31.244.10:%d/%s" % (mirror[upstream], path), image


def test_images_are_in_the_registry(host):
    catalog = host.check_output(
        "curl -sf --cacert /etc/aiplatform/pki/ca.crt -u pusher:not-a-real-password-6 https://172.31.243.11:5000/v2/_catalog")
    repositories = json.loads(catalog)["repositories"]
    assert "docker.io/aiplatform/hello" in repositories and "registry.k8s.io/pause" in repositories
    assert "ghcr.io/flannel-io/flannel" in repositories
    assert {"registry.k8s.io/kube-apiserver", "registry.k8s.io/etcd", "registry.k8s.io/coredns/coredns"} <= set(repositories)


def test_the_plan_was_written_before_the_build():
    artifacts = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "artifacts", "offline")
    with open(os.path.join(artifacts, "plan.json")) as handle:
        plan = json.load(handle)
    assert plan["problems"] == [] and plan["targets"] == ["debian12-amd64"]
    assert "kubeadm=1.31.4-*" in plan["packages"]["kubernetes"] and "registry.k8s.io/pause:3.10" in plan["images"]
    rows = dict((r["name"], r) for r in plan["artifacts"] if r["kind"] == "image")
    assert rows["registry.k8s.io/kube-apiserver:v1.31.4"]["source"] == (
        "docker://172.31.244.10:5001/kube-apiserver:v1.31.4, then docker://registry.k8s.io/kube-apiserver:v1.31.4")
    with open(os.path.join(artifacts, "plan.md")) as handle:
        assert "registry.k8s.io/kube-apiserver:v1.31.4" in handle.read()
