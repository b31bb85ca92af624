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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import yaml
except ImportError:  # the controller (ansible-core) always has PyYAML
    yaml = None

from ansible_collections.aiplatform.cluster.plugins.module_utils import cni as cni_objects
from ansible_collections.aiplatform.cluster.plugins.module_utils import kubeadm as kubeadm_docs
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
TYPICAL_SIZES = {"image": 60 * 2 ** 20, "deb": 10 * 2 ** 20, "os-package": 2 * 2 ** 20, "chart": 2 ** 20}


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
        kind = "image" if item.get("kind") == "image" else "deb"
        arch = "all" if kind == "image" else item.get("target", "").rsplit("-", 1)[-1]
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
        _downloaded_manifest_images(out, cni.get("calico_manifest"), "Calico's operator manifest",
                                    "role kubeadm (manifest cni/tigera-operator.yaml)",
                                    "cluster.cni is calico and its operator manifest is not on the build machine yet: "
                                    "its image is not in the plan (run site.yml's download once, or list it in "
                                    "offline.extra_images)")
        out.notes.append("Calico's own images (calico/node, cni, kube-controllers, typha...) are chosen by the operator "
                         "at run time: list them in offline.extra_images")
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
        _downloaded_manifest_images(out, site.get("volcano_manifest"), "Volcano's installer manifest",
                                    "role platform (manifest volcano/)",
                                    "services.volcano is on and its installer manifest is not on the build machine "
                                    "yet: its images are not in the plan (list them in offline.extra_images)")
    if services.get("monitoring") and npu_hosts and not (settings.get("npu_exporter_image") or services.get("npu_exporter_image")):
        out.notes.append("services.npu_exporter_image is empty: no NPU exporter runs, so none is in the plan")
    application = site.get("application") or {}
    for name, text in sorted((application.get("manifests") or {}).items()):
        _add_images(out, manifest_images(text, name), "services.application (%s)" % name)
    if application.get("chart"):
        chart = application["chart"]
        local = chart.startswith("/") or chart.startswith(".")
        out.add("chart", chart, application.get("chart_version") or "newest", "all",
                ("file://" + chart) if local else chart, "services.application.chart",
                size=application.get("chart_size"), size_basis="file" if application.get("chart_size") else None)
        out.notes.append("the application chart's images are known only once it is rendered: list them in "
                         "offline.extra_images")
    _add_images(out, site.get("extra_images") or [], "offline.extra_images")

    # --- installers the config names -------------------------------------------------------------------
    installer = accelerators.get("ascend_docker_runtime_package")
    if installer and npu_hosts:
        for arch in sorted(set((hosts[h] or {}).get("node_arch") or "amd64" for h in npu_hosts)):
            out.add("installer", installer.rsplit("/", 1)[-1], _installer_version(installer), arch, "file://" + installer,
                    "role ascend_runtime (NPU nodes %s)" % ", ".join(npu_hosts), size=site.get("installer_size"),
                    size_basis="file" if site.get("installer_size") else None)
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


def _downloaded_manifest_images(out, path, what, needed_by, missing_note):
    """The images of a manifest the roles download (``path`` on the build machine), or a note when it is not there yet."""
    if path:
        _add_images(out, manifest_images(path, what), needed_by)
    else:
        out.notes.append(missing_note)


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
