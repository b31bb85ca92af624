# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The offline bundle's plan: every artifact a site needs, computed from its config. Pure: no I/O.

The plan is the one list the bundle build downloads and checks, and the one site.yml checks a
bundle against (docs/offline.md, "The plan"). Images are not listed by hand: they are collected by
walking every ``image:`` of what site.yml applies, rendered here by the same builders the roles use
(the kubeadm ClusterConfiguration, the pod network's objects, the platform services' manifests) and
of the manifests the site supplies (Calico's operator, Volcano's installer, the application).

Control-plane images: ``kubeadm config images list`` output when the build machine has a kubeadm of
the config's version, else ``CONTROL_PLANE_TAGS``.

Why one file of ~750 lines: the plan, its release tables (control plane, Calico, Volcano), the image
sources of the build and the check of a bundle against the plan work on one row format; the tables are
data read together with the code that turns a release into images.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import yaml
except ImportError:  # the controller (ansible-core) always has PyYAML
    yaml = None

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import cni as cni_objects
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import kubeadm as kubeadm_docs
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import platform_manifests as pm
from ansible_collections.aiplatform.cluster.plugins.module_utils.offline import canonical_image, image_ref

DEFAULT_IMAGE_REPOSITORY = kubeadm_docs.DEFAULT_IMAGE_REPOSITORY

# Tags kubeadm gives the images it does not version with Kubernetes, per minor: (etcd, coredns, pause).
# Source: kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go at the tag v<minor>.0
# (SupportedEtcdVersion[minor], CoreDNSVersion, PauseVersion). Patch releases may move the etcd tag
# (later 1.29-1.32 patches carry 3.5.24-0): a kubeadm binary of the exact version on the build machine
# wins over this table (offline_bundle.yml runs `kubeadm config images list`).
CONTROL_PLANE_TAGS = {
    "1.28": ("3.5.9-0", "v1.10.1", "3.9"),
    "1.29": ("3.5.10-0", "v1.11.1", "3.9"),
    "1.30": ("3.5.12-0", "v1.11.1", "3.9"),
    "1.31": ("3.5.15-0", "v1.11.3", "3.10"),
    "1.32": ("3.5.16-0", "v1.11.3", "3.10"),
    "1.33": ("3.5.21-0", "v1.12.0", "3.10"),
    "1.34": ("3.6.4-0", "v1.12.1", "3.10.1"),
}
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")

# The Kubernetes packages (one repository per minor, the same files for every Debian and Ubuntu
# release): role kubeadm installs kubeadm_packages; kubernetes-cni comes as their dependency.
KUBERNETES_CNI = "kubernetes-cni"
UPSTREAM_KUBERNETES_PACKAGES = "https://pkgs.k8s.io/core:/stable:/v%s/deb/"
UPSTREAM_NVIDIA_PACKAGES = "https://nvidia.github.io/libnvidia-container/stable/deb/%s"
UPSTREAM_NVIDIA_KEY = "https://nvidia.github.io/libnvidia-container/gpgkey"

# Rough sizes (bytes) for the estimate where neither a file nor a previous build knows better:
# a compressed image of one architecture, a Kubernetes or toolkit package, an OS package with its share
# of dependencies, a chart.
TYPICAL_SIZES = {"image": 60 * 2 ** 20, "deb": 10 * 2 ** 20, "os-package": 2 * 2 ** 20, "chart": 2 ** 20,
                 "manifest": 2 ** 20}
# Kinds of artifact that are one file of the bundle, recorded with its path and sha256.
FILE_KINDS = ("installer", "chart", "manifest")

# Calico through the Tigera operator: the operator chooses Calico's images at run time, so the plan takes them
# from this table, one row per Calico release the kubeadm role can pin (kubeadm_calico_version):
# (the operator release that deploys it, the operator's default registry for Calico's images).
# Source: tigera/operator at that operator tag: config/calico_versions.yml (its `title` is the Calico release;
# the row's operator is the first tag whose title names it) and pkg/components/images.go (CalicoRegistry).
# The images are those the operator deploys for the Installation resource role kubeadm applies (module_utils/
# cni.py): calico/node with its cni and pod2daemon-flexvol init containers (flexvol: the operator's default
# FlexVolumePath is set), typha, kube-controllers, and the CSI driver (csi, node-driver-registrar: the default
# kubeletVolumePluginPath is set), all at the Calico release's tag. Not deployed, so not listed: the API server,
# Goldmane and Whisker (3.30+: each needs its own resource, which the role does not create), key-cert-provisioner
# (certificate management off), the Windows and FIPS variants.
CALICO_RELEASES = {
    "v3.29.0": ("v1.36.0", "docker.io"), "v3.29.1": ("v1.36.2", "docker.io"), "v3.29.2": ("v1.36.5", "docker.io"),
    "v3.29.3": ("v1.36.7", "docker.io"), "v3.29.4": ("v1.36.9", "docker.io"), "v3.29.5": ("v1.36.12", "docker.io"),
    "v3.29.6": ("v1.36.14", "docker.io"), "v3.29.7": ("v1.36.16", "docker.io"),
    "v3.30.0": ("v1.38.0", "docker.io"), "v3.30.1": ("v1.38.1", "docker.io"), "v3.30.2": ("v1.38.3", "docker.io"),
    "v3.30.3": ("v1.38.6", "docker.io"), "v3.30.4": ("v1.38.7", "quay.io"), "v3.30.5": ("v1.38.9", "quay.io"),
    "v3.30.6": ("v1.38.11", "quay.io"), "v3.30.7": ("v1.38.13", "quay.io"),
    "v3.31.0": ("v1.40.0", "quay.io"), "v3.31.1": ("v1.40.1", "quay.io"), "v3.31.2": ("v1.40.2", "quay.io"),
    "v3.31.3": ("v1.40.3", "quay.io"), "v3.31.4": ("v1.40.7", "quay.io"), "v3.31.5": ("v1.40.8", "quay.io"),
    "v3.31.6": ("v1.40.13", "quay.io"), "v3.31.7": ("v1.40.15", "quay.io"),
}
CALICO_COMPONENTS = ("node", "cni", "pod2daemon-flexvol", "typha", "kube-controllers", "csi", "node-driver-registrar")
# The operator's own image (its manifest, manifests/tigera-operator.yaml of the Calico release, names it).
CALICO_OPERATOR_IMAGE = "quay.io/tigera/operator"

# Volcano's installer manifest (installer/volcano-development.yaml of volcano-sh/volcano at the tag) runs these
# images, the same three in every release listed; one row per release the platform role can pin
# (platform_volcano_version): the repository they come from. A downloaded manifest is walked instead.
VOLCANO_RELEASES = dict(("v%s" % v, "docker.io/volcanosh") for v in (
    "1.10.0", "1.10.1", "1.10.2", "1.11.0", "1.11.1", "1.11.2", "1.12.0", "1.12.1", "1.12.2", "1.12.3", "1.12.4",
    "1.13.0", "1.13.1", "1.13.2", "1.13.3", "1.14.0", "1.14.1", "1.14.2", "1.14.3", "1.14.4"))
VOLCANO_COMPONENTS = ("vc-webhook-manager", "vc-controller-manager", "vc-scheduler")


def minor_of(version):
    major, minor, _patch = kubeadm_docs.parse_version(version)
    return "%d.%d" % (major, minor)


def kubernetes_repo_url(mirror, version):
    """The Kubernetes package repository of ``version``'s minor: ``<mirror>/v1.31/deb/`` or upstream's."""
    minor = minor_of(version)
    if mirror:
        return "%s/v%s/deb/" % (mirror.rstrip("/"), minor)
    return UPSTREAM_KUBERNETES_PACKAGES % minor


def nvidia_repo_url(mirror, arch):
    """The NVIDIA container toolkit repository for ``arch`` (amd64, arm64): the site's mirror or NVIDIA's."""
    return mirror if mirror else UPSTREAM_NVIDIA_PACKAGES % arch


def nvidia_key_url(mirror):
    return mirror.rstrip("/") + "/gpgkey" if mirror else UPSTREAM_NVIDIA_KEY


def parse_images_list(text):
    """Image references of `kubeadm config images list` output (one per line; other lines ignored)."""
    lines = text.splitlines() if isinstance(text, str) else list(text or [])
    return [line.strip() for line in lines if re.match(r"^[a-z0-9.:-]+(/[A-Za-z0-9._-]+)+:[A-Za-z0-9._-]+$", line.strip())]


def _component(ref):
    return image_ref(ref)[1].rsplit("/", 1)[-1]


def control_plane_images(cluster_configuration, listed=None):
    """{component: image} kubeadm pulls for a rendered ClusterConfiguration.

    ``listed``: `kubeadm config images list` output of a kubeadm of that version (it wins). Otherwise
    from ``CONTROL_PLANE_TAGS``, with kubeadm's naming: ``<imageRepository>/<component>:<version>``;
    CoreDNS under ``coredns/coredns`` in the default repository; etcd's and CoreDNS's own
    imageRepository/imageTag when the document sets them.
    """
    if listed:
        refs = parse_images_list(listed)
        if refs:
            return dict((_component(ref), ref) for ref in refs)
    version = cluster_configuration["kubernetesVersion"]
    minor = minor_of(version)
    if minor not in CONTROL_PLANE_TAGS:
        raise ValueError("Kubernetes %s: the collection's table of control-plane image tags covers %s. Fix: put a "
                         "kubeadm %s binary on the build machine's PATH (its `kubeadm config images list` is used), "
                         "or choose a covered version" % (version, ", ".join(sorted(CONTROL_PLANE_TAGS)), version))
    etcd_tag, dns_tag, pause_tag = CONTROL_PLANE_TAGS[minor]
    repo = (cluster_configuration.get("imageRepository") or DEFAULT_IMAGE_REPOSITORY).rstrip("/")
    tag = "v%d.%d.%d" % kubeadm_docs.parse_version(version)
    out = dict((name, "%s/%s:%s" % (repo, name, tag)) for name in CONTROL_PLANE)
    etcd = (cluster_configuration.get("etcd") or {}).get("local") or {}
    out["etcd"] = "%s/etcd:%s" % ((etcd.get("imageRepository") or repo).rstrip("/"), etcd.get("imageTag") or etcd_tag)
    dns = cluster_configuration.get("dns") or {}
    dns_repo = dns.get("imageRepository") or (repo + "/coredns" if repo == DEFAULT_IMAGE_REPOSITORY else repo)
    out["coredns"] = "%s/coredns:%s" % (dns_repo.rstrip("/"), dns.get("imageTag") or dns_tag)
    out["pause"] = "%s/pause:%s" % (repo, pause_tag)
    return out


def sandbox_image(version, image_repository=None):
    """The pause image kubeadm of ``version`` uses: containerd's sandbox image (role container_runtime)."""
    doc = {"kubernetesVersion": version, "imageRepository": image_repository or DEFAULT_IMAGE_REPOSITORY}
    return control_plane_images(doc)["pause"]


def calico_images(version, registry=None):
    """{"operator": image, "components": [images]} the Tigera operator runs for Calico ``version`` (``CALICO_RELEASES``).

    ``registry``: the Installation's ``spec.registry`` (role kubeadm's kubeadm_calico_registry): the operator then
    pulls Calico's images from ``<registry>/calico/...`` instead of its default. KeyError for a release the table
    does not cover.
    """
    operator, default_registry = CALICO_RELEASES[version]
    base = (registry or default_registry).rstrip("/")
    return {"operator": "%s:%s" % (CALICO_OPERATOR_IMAGE, operator),
            "components": ["%s/calico/%s:%s" % (base, name, version) for name in CALICO_COMPONENTS]}


def volcano_images(version):
    """The images of Volcano's installer manifest of ``version`` (``VOLCANO_RELEASES``); KeyError when not covered."""
    return ["%s/%s:%s" % (VOLCANO_RELEASES[version], name, version) for name in VOLCANO_COMPONENTS]


def chart_file_name(chart, version=None):
    """The chart's file under the bundle's ``charts/``: ``<name>-<version>.tgz`` for a chart of a repository,
    the file's own name for a local ``.tgz``, ``<directory>.tgz`` for a local chart directory."""
    base = chart.rstrip("/").rsplit("/", 1)[-1]
    if is_local_chart(chart):
        return base if base.endswith(".tgz") else base + ".tgz"
    return "%s-%s.tgz" % (base, version)


def is_local_chart(chart):
    return chart.startswith("/") or chart.startswith(".") or chart.startswith("file://")


def chart_entry(index_text, name, version, repo_url, where="index.yaml"):
    """The entry of chart ``name`` at ``version`` in a Helm repository's index.yaml text: {"url" (absolute),
    "digest" (sha256, lower case), "version"}. ValueError naming what is missing and the fix."""
    if yaml is None:
        raise ValueError("PyYAML is needed to read %s" % where)
    try:
        index = yaml.safe_load(index_text) or {}
    except yaml.YAMLError as exc:
        raise ValueError("%s is not YAML: %s" % (where, str(exc).splitlines()[0]))
    entries = (index.get("entries") or {}).get(name) if isinstance(index, dict) else None
    if not entries:
        raise ValueError("%s has no chart %s. Fix: correct services.application.chart (the chart's name in the "
                         "repository) or services.application.chart_repo" % (where, name))
    wanted = str(version or "").lstrip("v")
    found = [e for e in entries if str(e.get("version", "")).lstrip("v") == wanted]
    if not found:
        have = ", ".join(sorted(str(e.get("version")) for e in entries)[-8:])
        raise ValueError("%s has no version %s of chart %s (it has %s). Fix: set services.application.chart_version "
                         "to one of them" % (where, version, name, have))
    entry = found[0]
    digest = str(entry.get("digest") or "").lower()
    if not re.match(r"^[0-9a-f]{64}$", digest):
        raise ValueError("%s gives no sha256 digest for %s %s: the download could not be verified. Fix: use a "
                         "repository whose index has digests, or a local chart (services.application.chart: a path)"
                         % (where, name, version))
    urls = entry.get("urls") or []
    if not urls:
        raise ValueError("%s gives no URL for %s %s" % (where, name, version))
    url = str(urls[0])
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url):
        url = repo_url.rstrip("/") + "/" + url.lstrip("/")
    return {"url": url, "digest": digest, "version": str(entry.get("version"))}


def walk_images(objects):
    """Every ``image:`` string in Kubernetes objects (any depth: containers, initContainers, CR specs)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str) and value:
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(objects)
    return found


def manifest_images(text, where):
    """``image:`` references of a YAML manifest text (several documents); ValueError naming ``where``."""
    if yaml is None:
        raise ValueError("PyYAML is needed to read %s" % where)
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise ValueError("%s is not YAML: %s" % (where, str(exc).splitlines()[0]))
    return walk_images(docs)


def _site_arches(hosts):
    return sorted(set((hv or {}).get("node_arch") or "amd64" for hv in hosts.values())) or ["amd64"]


def _vendor_hosts(hosts, vendor):
    return sorted(h for h, hv in hosts.items() if ((hv or {}).get("node_accelerator") or {}).get("vendor") == vendor)


class _Plan(object):
    def __init__(self, previous):
        self.rows = {}
        self.problems = []
        # The problems that also matter where the bundle is used (site.yml stops on them too): the
        # others concern the download only.
        self.site_problems = []
        self.notes = []
        self.previous = previous or {}

    def add(self, kind, name, version, arch, source, needed_by, size=None, size_basis=None, **extra):
        key = (kind, name, arch)
        row = self.rows.get(key)
        if row is None:
            if size is None:
                size, size_basis = self.previous.get(key), "last build"
                if size is None:
                    size, size_basis = TYPICAL_SIZES.get("os-package" if extra.get("os_package") else kind), "typical"
            row = {"kind": kind, "name": name, "version": version, "arch": arch, "source": source,
                   "needed_by": [], "size": size, "size_basis": size_basis if size is not None else "unknown"}
            row.update((k, v) for k, v in extra.items() if k != "os_package")
            self.rows[key] = row
        if needed_by not in row["needed_by"]:
            row["needed_by"].append(needed_by)
        return row


def _previous_sizes(manifest):
    """(kind, name, arch) -> bytes of the artifacts a previous bundle build recorded."""
    sizes = {}
    for item in (manifest or {}).get("artifacts", []):
        if item.get("size") is None:
            continue
        kind = item.get("kind") if item.get("kind") in ("image",) + FILE_KINDS else "deb"
        arch = {"image": "all", "chart": "all", "manifest": "all", "installer": item.get("arch")}.get(kind) or \
            item.get("target", "").rsplit("-", 1)[-1]
        key = (kind, item.get("name"), arch)
        sizes[key] = sizes.get(key, 0) + int(item["size"])
    return sizes


def plan(site):
    """The artifacts of a site (see ``offline_plan`` filter docs for ``site``'s keys).

    Returns {"kubernetes_version", "arches", "targets", "artifacts": [...], "images": [...],
    "packages": {"os": [...], "kubernetes": [...], "nvidia": [...]}, "size": bytes, "problems": [...],
    "site_problems": [...], "notes": [...]}. ``problems`` stop the build; ``site_problems`` (a part of them:
    an image registry the nodes would reach out to, an installer of another architecture) stop site.yml too;
    ``notes`` say what the plan could not see.
    """
    hosts = site.get("hosts") or {}
    version = site.get("kubernetes_version") or "1.31.4"
    mirrors = site.get("mirrors") or {}
    cluster = dict(site.get("cluster") or {}, kubernetes_version=version)
    network = site.get("network") or {}
    out = _Plan(_previous_sizes(site.get("previous_manifest")))
    arches = _site_arches(hosts)
    no_os = sorted(h for h, hv in hosts.items() if not (hv or {}).get("node_os"))
    targets = sorted(set("%s-%s" % (hv["node_os"], hv.get("node_arch") or "amd64")
                         for hv in hosts.values() if (hv or {}).get("node_os")))
    if no_os:
        out.problems.append("nodes %s have no `os`: the bundle carries packages per OS release. Fix: set nodes[].os "
                            "(debian12, ubuntu2204, ...) for each" % ", ".join(no_os))

    # --- packages ---------------------------------------------------------------------------------
    os_source = mirrors.get("apt") or "the OS archive of each release"
    for role, names in sorted((site.get("os_packages") or {}).items()):
        for name in names:
            for arch in arches:
                out.add("deb", name, "archive", arch, os_source, "role " + role, os_package=True, repository="os",
                        apt_spec=name)
    k8s_repo = kubernetes_repo_url(mirrors.get("kubernetes_packages"), version)
    minor = minor_of(version)
    k8s_packages = list(site.get("kubernetes_packages") or ["kubeadm", "kubelet", "kubectl", "cri-tools"])
    if KUBERNETES_CNI not in k8s_packages:
        k8s_packages.append(KUBERNETES_CNI)
    for name in k8s_packages:
        pin = {"kubeadm": version, "kubelet": version, "kubectl": version}.get(name)
        wanted = (pin + "-*") if pin else (minor + ".*" if name == "cri-tools" else "newest of the v%s repository" % minor)
        for arch in arches:
            out.add("deb", name, wanted, arch, k8s_repo, "role kubeadm (packages.yml)", repository="kubernetes",
                    apt_spec=("%s=%s-*" % (name, pin)) if pin else (("%s=%s.*" % (name, minor)) if name == "cri-tools" else name))
    if not mirrors.get("kubernetes_packages_key_sha256"):
        out.problems.append("mirrors.kubernetes_packages_key_sha256 is not set: the key of %s cannot be trusted. Fix: "
                            "set it to the sha256 of %sRelease.key (downloads are checksummed)" % (k8s_repo, k8s_repo))
    gpu_hosts = _vendor_hosts(hosts, "nvidia")
    npu_hosts = _vendor_hosts(hosts, "huawei")
    accelerators = site.get("accelerators") or {}
    nvidia_packages = list(site.get("nvidia_packages") or ["nvidia-container-toolkit"]) if gpu_hosts else []
    for name in nvidia_packages:
        for arch in sorted(set((hosts[h] or {}).get("node_arch") or "amd64" for h in gpu_hosts)):
            out.add("deb", name, "newest of the repository", arch, nvidia_repo_url(mirrors.get("nvidia_packages"), arch),
                    "role nvidia_runtime (GPU nodes %s)" % ", ".join(gpu_hosts), repository="nvidia", apt_spec=name)
    if gpu_hosts and not accelerators.get("nvidia_repo_key_sha256"):
        out.problems.append("accelerators.nvidia_repo_key_sha256 is not set: the key of the NVIDIA container toolkit "
                            "repository (%s) cannot be trusted. Fix: set it to that key's sha256"
                            % nvidia_key_url(mirrors.get("nvidia_packages")))
    for name in site.get("extra_packages") or []:
        for arch in arches:
            out.add("deb", name, "archive", arch, os_source, "offline.extra_packages", os_package=True, repository="os",
                    apt_spec=name)

    # --- images: rendered, then walked ---------------------------------------------------------------
    config = kubeadm_docs.cluster_configuration(cluster, network, mirrors, {}, cluster.get("control_plane_endpoint"))
    config = _merge(config, (site.get("kubeadm_overrides") or {}).get("ClusterConfiguration") or {})
    listed = site.get("kubeadm_images_list")
    basis = "kubeadm config images list" if listed and parse_images_list(listed) else \
        "table CONTROL_PLANE_TAGS (kubeadm v%s.0)" % minor
    for component, ref in sorted(control_plane_images(config, listed).items()):
        out.add("image", canonical_image(ref), ref.rsplit(":", 1)[-1], "all", "docker://" + ref,
                "role kubeadm (kubeadm init: %s, from %s)" % (component, basis))
    if site.get("sandbox_image"):
        ref = site["sandbox_image"]
        out.add("image", canonical_image(ref), ref.rsplit(":", 1)[-1], "all", "docker://" + ref,
                "role container_runtime (containerd's sandbox image)")
    cni = site.get("cni") or {}
    cni_name = cni.get("name") or cluster.get("cni") or "flannel"
    if cni_name == "flannel":
        objects = cni_objects.flannel_objects(network.get("pod_network", "10.244.0.0/16"),
                                              images=cni.get("flannel_images") or None)
        _add_images(out, walk_images(objects), "role kubeadm (manifest cni/flannel.yaml)")
    elif cni_name == "calico":
        _calico(out, cni, site.get("extra_images") or [])
        pinned_manifest(out, "tigera-operator-%s.yaml" % (cni.get("calico_version") or "unknown"),
                        cni.get("calico_version") or "", cni.get("calico_manifest_url"), cni.get("calico_manifest_sha256"),
                        "role kubeadm (cni/tigera-operator.yaml, applied by the Calico stage)")
    if site.get("kube_vip_image"):
        _add_images(out, [site["kube_vip_image"]], "role kubeadm (static pod kube-vip.yaml)")
    services = site.get("services") or {}
    settings = dict(site.get("platform_settings") or {})
    if "npu_exporter_image" in settings:
        settings["npu_exporter_image"] = settings["npu_exporter_image"] or None
    settings.setdefault("nodes_have_gpu", bool(gpu_hosts))
    settings.setdefault("nodes_have_npu", bool(npu_hosts))
    for service, objects in sorted(pm.manifests(services, **settings).items()):
        _add_images(out, walk_images(objects), "role platform (manifest %s/)" % service)
    if services.get("volcano"):
        _volcano(out, site.get("volcano_version") or "", site.get("volcano_manifest"), site.get("extra_images") or [])
        pinned_manifest(out, "volcano-%s.yaml" % (site.get("volcano_version") or "unknown"), site.get("volcano_version") or "",
                        site.get("volcano_manifest_url"), site.get("volcano_manifest_sha256"),
                        "role platform (manifest volcano/)")
    if services.get("monitoring") and npu_hosts and not (settings.get("npu_exporter_image") or services.get("npu_exporter_image")):
        out.notes.append("services.npu_exporter_image is empty: no NPU exporter runs, so none is in the plan")
    application = site.get("application") or {}
    for name, text in sorted((application.get("manifests") or {}).items()):
        _add_images(out, manifest_images(text, name), "services.application (%s)" % name)
    if application.get("chart"):
        _chart(out, application)
    _add_images(out, site.get("extra_images") or [], "offline.extra_images")

    # --- installers the config names -------------------------------------------------------------------
    installer = accelerators.get("ascend_docker_runtime_package")
    if installer and npu_hosts:
        for arch in sorted(set((hosts[h] or {}).get("node_arch") or "amd64" for h in npu_hosts)):
            out.add("installer", installer.rsplit("/", 1)[-1], _installer_version(installer), arch, "file://" + installer,
                    "role ascend_runtime (NPU nodes %s)" % ", ".join(npu_hosts), size=site.get("installer_size"),
                    size_basis="file" if site.get("installer_size") else None,
                    path="installers/%s/%s" % (arch, installer.rsplit("/", 1)[-1]))
        word = {"amd64": "x86_64", "arm64": "aarch64"}
        wrong = [a for a in _installer_arches(npu_hosts, hosts) if word[a] not in installer and a not in installer]
        if wrong and any(w in installer for w in ("x86_64", "aarch64", "amd64", "arm64")):
            out.site_problems.append("accelerators.ascend_docker_runtime_package %s is not built for %s, the architecture "
                                     "of NPU nodes. Fix: provide the installer of that architecture"
                                     % (installer, ", ".join(wrong)))

    # Nodes never reach out: every image keeps its upstream name and containerd resolves it through the
    # site registry (hosts.toml per upstream, local registry first). An upstream without such an entry
    # would be pulled from the internet.
    pull_order = site.get("pull_order")
    if pull_order is not None:
        for registry in sorted(set(image_ref(r["name"])[0] for r in out.rows.values() if r["kind"] == "image")):
            endpoints = pull_order.get(registry) or []
            if not endpoints or endpoints[0].get("kind") != "local":
                out.site_problems.append("images of %s are not resolved through the site registry (registry.public "
                                         "lacks it, or registry.local is off): nodes would pull them from %s. Fix: add "
                                         "%s to registry.public and enable registry.local" % (registry, registry, registry))
    artifacts = sorted(out.rows.values(), key=lambda r: (r["kind"], r["name"], r["arch"]))
    for row in artifacts:
        if row["kind"] == "image" and row["arch"] == "all" and row["size"] is not None and row["size_basis"] == "typical":
            row["size"] = row["size"] * len(arches)
        if row["kind"] == "image" and site.get("image_pull_order") is not None:
            # Where the build copies it from: the node's pull order (company registry, mirrors, upstream).
            row["source"] = ", then ".join(s["source"] for s in image_sources(
                row["name"], site["image_pull_order"], site.get("image_sources")))
    return {
        "kubernetes_version": version,
        "arches": arches,
        "targets": targets,
        "artifacts": artifacts,
        "images": sorted(r["name"] for r in artifacts if r["kind"] == "image"),
        "packages": dict((repo, sorted(set(r.get("apt_spec") or r["name"] for r in artifacts
                                           if r["kind"] == "deb" and r.get("repository") == repo)))
                         for repo in ("os", "kubernetes", "nvidia")),
        "repositories": {"kubernetes": k8s_repo, "kubernetes_key": k8s_repo + "Release.key",
                         "nvidia_key": nvidia_key_url(mirrors.get("nvidia_packages")) if gpu_hosts else "",
                         "nvidia": dict((a, nvidia_repo_url(mirrors.get("nvidia_packages"), a)) for a in arches)
                         if gpu_hosts else {}},
        "size": sum(r["size"] or 0 for r in artifacts),
        "problems": out.problems + out.site_problems,
        "site_problems": out.site_problems,
        "notes": out.notes,
    }


def _listed(extra_images, name, tag):
    """Whether offline.extra_images lists an image ``.../<name>:<tag>`` (the fix for a release the tables lack)."""
    for ref in extra_images:
        try:
            path, ref_tag = canonical_image(ref).rsplit(":", 1)
        except ValueError:
            continue
        if path.endswith("/" + name) and ref_tag == tag:
            return True
    return False


def _calico(out, cni, extra_images):
    """Calico: the operator's image (its downloaded manifest walked, else the table's) and the images it deploys
    (the table: the operator chooses them at run time), in the Installation's registry when it sets one."""
    version = cni.get("calico_version") or ""
    manifest = cni.get("calico_manifest")
    row = CALICO_RELEASES.get(version)
    if manifest:
        operator_images = manifest_images(manifest, "Calico's operator manifest (tigera-operator-%s.yaml)" % version)
        _add_images(out, operator_images, "role kubeadm (manifest cni/tigera-operator.yaml)")
        tags = sorted(set(r.rsplit(":", 1)[-1] for r in operator_images if r.rsplit(":", 1)[0].endswith("tigera/operator")))
        if row and tags and row[0] not in tags:
            out.problems.append("Calico's operator manifest on the build machine runs tigera/operator:%s, but Calico %s "
                                "(kubeadm_calico_version) comes with operator %s (table CALICO_RELEASES in "
                                "offline_plan.py): the images the operator deploys would not be the bundle's. Fix: set "
                                "kubeadm_calico_version to the manifest's Calico release, or download the manifest "
                                "of %s (mirrors.calico_operator_manifest)" % (", ".join(tags), version, row[0], version))
    if row is None:
        if not _listed(extra_images, "calico/node", version):
            out.problems.append("kubeadm_calico_version %s: the collection's table of the images the Calico operator "
                                "deploys (CALICO_RELEASES in plugins/plugin_utils/offline_plan.py) covers %s. Fix: list "
                                "Calico's images of that release in offline.extra_images (calico/node, cni, "
                                "pod2daemon-flexvol, typha, kube-controllers, csi, node-driver-registrar%s), or add "
                                "the release's row to the table" % (
                                    version or "(not set)", ", ".join(sorted(CALICO_RELEASES, key=_release_key)),
                                    "" if manifest else ", and tigera/operator"))
        return
    images = calico_images(version, cni.get("calico_registry"))
    if not manifest:
        _add_images(out, [images["operator"]], "role kubeadm (manifest cni/tigera-operator.yaml, Calico %s; operator "
                                               "%s from table CALICO_RELEASES)" % (version, row[0]))
    _add_images(out, images["components"], "role kubeadm (Calico operator %s deploys it, table CALICO_RELEASES)" % row[0])


def pinned_manifest(out, name, version, source, sha256, needed_by):
    """A manifest a role applies, downloaded against a sha256 pin: the bundle carries the file under manifests/
    (the site's control machine cannot download it), the role takes it from there offline."""
    out.add("manifest", name, version, "all", source or "(the role's default URL)", needed_by,
            path="manifests/" + name, sha256=(sha256 or "").lower() or None)


def _volcano(out, version, manifest, extra_images):
    """Volcano: its downloaded installer manifest walked, else the table's images of ``version``."""
    if manifest:
        _add_images(out, manifest_images(manifest, "Volcano's installer manifest (volcano-%s.yaml)" % version),
                    "role platform (manifest volcano/)")
    elif version in VOLCANO_RELEASES:
        _add_images(out, volcano_images(version), "role platform (manifest volcano/, Volcano %s from table "
                                                  "VOLCANO_RELEASES)" % version)
    elif not _listed(extra_images, "vc-scheduler", version):
        out.problems.append("platform_volcano_version %s: its installer manifest is not on the build machine and the "
                            "collection's table of Volcano's images (VOLCANO_RELEASES in plugins/plugin_utils/"
                            "offline_plan.py) covers %s. Fix: list its images in offline.extra_images (%s), run "
                            "site.yml's platform stage once where it can download the manifest, or add the release's "
                            "row to the table" % (version or "(not set)", ", ".join(sorted(VOLCANO_RELEASES, key=_release_key)),
                                                  ", ".join("volcanosh/%s:%s" % (c, version) for c in VOLCANO_COMPONENTS)))


def _chart(out, application):
    """The application's chart: fetched from services.application.chart_repo at chart_version, or a local chart
    copied; its images walked from ``rendered`` (`helm template` output on the build machine) when given."""
    chart = application["chart"]
    version = application.get("chart_version") or ""
    repo = application.get("chart_repo") or ""
    local = is_local_chart(chart)
    if repo:
        if not version:
            out.problems.append("services.application.chart_version is empty: a bundle cannot carry the newest version "
                                "of %s from %s. Fix: set services.application.chart_version" % (chart, repo))
        source = repo.rstrip("/") + "/index.yaml (%s %s)" % (chart, version or "?")
    elif local:
        source = chart if chart.startswith("file://") else "file://" + chart
    else:
        out.problems.append("services.application.chart %s names a chart through a repository of the build machine's "
                            "helm, which the bundle cannot fetch. Fix: set services.application.chart_repo to the "
                            "repository's URL and chart to the chart's name (%s), or chart to a local chart path"
                            % (chart, chart.rsplit("/", 1)[-1]))
        source = chart
    out.add("chart", chart, version or ("local" if local else "?"), "all", source, "services.application.chart",
            size=application.get("chart_size"), size_basis="file" if application.get("chart_size") else None,
            path="charts/" + chart_file_name(chart.replace("file://", "", 1), version))
    if application.get("rendered"):
        _add_images(out, manifest_images(application["rendered"], "the chart rendered by helm template"),
                    "services.application.chart (%s)" % chart)
    else:
        out.notes.append("the application chart's images are not in the plan: helm is not on the build machine (or "
                         "the chart is not downloaded yet), so the chart could not be rendered. Fix: put helm 3 on the "
                         "build machine's PATH, or list the chart's images in offline.extra_images")


def _release_key(version):
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.v]", version) if p)


def _installer_arches(npu_hosts, hosts):
    return sorted(set((hosts[h] or {}).get("node_arch") or "amd64" for h in npu_hosts))


def _installer_version(path):
    m = re.search(r"_(\d+(?:\.[0-9A-Za-z]+)+)_", path.rsplit("/", 1)[-1])
    return m.group(1) if m else "as named"


def _add_images(out, refs, needed_by):
    for ref in refs:
        try:
            name = canonical_image(ref)
        except ValueError as exc:
            out.problems.append("%s: %s" % (needed_by, exc))
            continue
        out.add("image", name, name.rsplit(":", 1)[-1], "all", "docker://" + name, needed_by)


def _merge(base, override):
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def problems(manifest, the_plan):
    """What the plan needs that a bundle's manifest lacks, each naming the artifact and what needs it, after the
    plan's own problems that matter where the bundle is used (``site_problems``)."""
    found = list(the_plan.get("site_problems", []))
    have_images = set(i.get("name") for i in manifest.get("artifacts", []) if i.get("kind") == "image")
    have_files = set(i.get("path") for i in manifest.get("artifacts", []) if i.get("kind") in FILE_KINDS
                     and i.get("sha256"))
    have = {}
    for item in manifest.get("artifacts", []):
        if item.get("kind") == "package":
            have.setdefault(item.get("target"), {}).setdefault(item.get("name"), set()).add(item.get("version", ""))
    for target in the_plan.get("targets", []):
        if target not in have:
            found.append("the bundle has no packages for %s (nodes run it); build it with that node in the config"
                         % target)
    for row in the_plan.get("artifacts", []):
        why = "; ".join(row["needed_by"])
        if row["kind"] == "image" and row["name"] not in have_images:
            found.append("the bundle lacks image %s (needed by %s)" % (row["name"], why))
        elif row["kind"] in FILE_KINDS and row.get("path") not in have_files:
            found.append("the bundle lacks %s %s%s (needed by %s)" % (
                row["kind"], row["name"], " for %s" % row["arch"] if row["arch"] != "all" else "", why))
        elif row["kind"] == "deb":
            for target in the_plan.get("targets", []):
                if not target.endswith("-" + row["arch"]) or target not in have:
                    continue
                versions = have[target].get(row["name"])
                spec = row.get("apt_spec", "")
                pin = spec.split("=", 1)[1].rstrip("*").rstrip(".-") if "=" in spec else ""
                if not versions:
                    found.append("the bundle's %s repository lacks %s (needed by %s)" % (target, row["name"], why))
                elif pin and not any(v == pin or v.startswith(pin + "-") or v.startswith(pin + ".") for v in versions):
                    found.append("the bundle's %s repository has %s %s, not %s (needed by %s)"
                                 % (target, row["name"], ", ".join(sorted(versions)), row["version"], why))
    return found


def file_artifacts(stats):
    """Manifest entries of the bundle's installers and charts: ``stats`` is the results of a looped ``stat``
    (``get_checksum``, sha256) whose items are the plan's rows; each entry has the row's kind, name, version,
    arch, source and path, and the file's sha256 and size. A row whose file is missing gets no entry (the
    check against the plan then names it)."""
    out = []
    for result in stats or []:
        row, stat = result.get("item") or {}, result.get("stat") or {}
        if not stat.get("exists") or not stat.get("checksum"):
            continue
        out.append({"kind": row["kind"], "name": row["name"], "version": row.get("version"), "arch": row["arch"],
                    "source": row.get("source"), "path": row["path"], "sha256": stat["checksum"],
                    "size": stat.get("size")})
    return sorted(out, key=lambda a: a["path"])


def _mib(size):
    return "%.1f MiB" % (size / 2.0 ** 20) if size is not None else "?"


def markdown(the_plan):
    """plan.md: what the bundle will hold, for a person to review before carrying a disk."""
    lines = ["# Offline bundle plan", "",
             "Kubernetes %s; architectures %s; OS releases %s." % (
                 the_plan["kubernetes_version"], ", ".join(the_plan["arches"]),
                 ", ".join(the_plan["targets"]) or "unknown (nodes without `os`)"),
             "Estimated size: **%s** (sizes from files, the last build, or typical values; see the table)."
             % _mib(the_plan["size"]), ""]
    for title, items in (("Problems (the build stops)", the_plan["problems"]), ("Notes", the_plan["notes"])):
        if items:
            lines += ["## " + title, ""] + ["- " + i for i in items] + [""]
    lines += ["## Artifacts", "", "| kind | name | version | arch | source | needed by | size |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in the_plan["artifacts"]:
        lines.append("| %s | %s | %s | %s | %s | %s | %s (%s) |" % (
            row["kind"], row["name"], row["version"], row["arch"], row["source"], "; ".join(row["needed_by"]),
            _mib(row["size"]), row["size_basis"]))
    return "\n".join(lines) + "\n"


# --- where the build copies each image from ---------------------------------------------------------------


def image_sources(ref, pull_order, overrides=None, company_auth=False):
    """The sources the bundle build tries for image ``ref``, in a node's pull order (docs/offline.md).

    ``pull_order`` is ``platform_image_pull_order`` (upstream -> endpoints, config_model.image_pull_order): the
    local registry is skipped (it is the site's, filled from the bundle), then the company registry, the
    ``mirrors.images`` endpoints and the upstream itself, each read the way containerd reads it: the image's
    repository path under the endpoint (``<company>/library/busybox:1.36`` for ``docker.io/library/busybox:1.36``).
    ``overrides`` (``offline_image_sources``) names one source for an image, which then is the only one.
    Returns [{"source": skopeo source, "tls_verify": bool, "auth": bool}], ``auth`` for the company registry
    when ``company_auth`` (it has credentials).
    """
    name = canonical_image(ref)
    chosen = (overrides or {}).get(name) or (overrides or {}).get(ref)
    if chosen:
        return [{"source": chosen, "tls_verify": True, "auth": False}]
    registry, repository, tag = image_ref(name)
    out = []
    for endpoint in (pull_order or {}).get(registry) or [{"kind": "public", "host": registry}]:
        kind = endpoint.get("kind")
        if kind == "company":
            host, tls = endpoint["host"], not endpoint.get("insecure", False)
        elif kind == "mirror":
            scheme, _, rest = endpoint["url"].partition("://")
            host, tls = rest.rstrip("/"), scheme != "http"
        elif kind == "public":
            host, tls = endpoint.get("host") or registry, True
        else:  # local: the site registry, filled from the bundle
            continue
        source = {"source": "docker://%s/%s:%s" % (host, repository, tag), "tls_verify": tls,
                  "auth": kind == "company" and bool(company_auth)}
        if source not in out:
            out.append(source)
    return out


def image_copies(images, have, recorded, pull_order, overrides=None, company_auth=False):
    """The images the bundle build copies, each with its sources: those not in the bundle's OCI layout yet
    (``have``: its refs), and those whose recorded source (``recorded``: ref -> source of the copy in the work
    directory) is not one the config names any more, or is not known (a mirror named since, an override dropped:
    the image is fetched again from where the config says). [{"name", "sources"}]."""
    out = []
    for ref in images:
        sources = image_sources(ref, pull_order, overrides, company_auth)
        if ref not in have or (recorded or {}).get(ref) not in [s["source"] for s in sources]:
            out.append({"name": ref, "sources": sources})
    return out
