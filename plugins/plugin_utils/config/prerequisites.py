# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""What the stages need from the config, checked before the first change (issue 15, item 5).

One place for everything a later stage would otherwise stop on half-way through a run:

- :data:`PINS`: every sha256 pin a stage checks a download against, when that stage needs it, and
  what to put. A pin the stage needs whatever the nodes hold is an error; one it needs only where a
  node lacks the software (packages installed beforehand are fine) is a warning here, and preflight
  fails each node that lacks the software (``preflight.install_sources``). The roles keep their own
  asserts as a second line of defence.
- the supported Kubernetes range (``kubeadm.SUPPORTED_MINORS``);
- docker with Kubernetes 1.24 or later (the roles do not install cri-dockerd);
- an OS the roles cannot install on (they use apt: openEuler is refused);
- the Ascend installer's architecture against every NPU node's (one installer serves every NPU node:
  a cluster with NPU nodes of both architectures must install the runtime on one kind beforehand).

Pure: no I/O. ``check(config, chk, raw, legacy)`` adds findings through ``chk.error`` /
``chk.warning`` (the collector of config/model.py), so that they come out with every other problem.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os.path
import re

from ansible_collections.aiplatform.cluster.plugins.module_utils.ascend import installer_arch
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import some
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import (
    APT_OS_NAMES,
    UNSUPPORTED_OS,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm import (
    parse_version,
    supported_range,
    version_problem,
)

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
# Kubernetes removed dockershim in 1.24: from there the kubelet needs cri-dockerd to use docker.
DOCKERSHIM_REMOVED = (1, 24)


def _nodes(config, vendor):
    return [n.get("hostname") for n in config.get("nodes", []) if (n.get("accelerator") or {}).get("vendor") == vendor]


def _offline(config):
    return bool(config.get("offline", {}).get("enabled"))


def _minor(config):
    try:
        major, minor, _patch = parse_version(config.get("cluster", {}).get("kubernetes_version", ""))
    except ValueError:
        return "<minor>"
    return "%d.%d" % (major, minor)


class Pin(object):
    """One sha256 pin: the key, the stage that checks a download against it, when it is needed."""

    __slots__ = ("path", "stage", "needed", "what", "unless", "role_var", "alternative")

    def __init__(self, path, stage, needed, what, unless=None, role_var=None, alternative=None):
        self.path = path  # key path in the native config
        self.stage = stage  # site.yml stage (tag) that stops without it
        self.needed = needed  # config -> why it is needed (a sentence), or None when it is not
        self.what = what  # config -> what to put there
        self.unless = unless  # None: needed whatever the nodes hold; else what on the nodes makes it unneeded
        self.role_var = role_var  # the role variable it feeds (a DLWS/OpenPAI site sets that in group_vars)
        self.alternative = alternative  # another fix than setting the pin, or None

    @property
    def key(self):
        return ".".join(self.path)


PINS = (
    Pin(("mirrors", "kubernetes_packages_key_sha256"), "kubeadm",
        lambda c: None if _offline(c) else "the kubeadm stage installs kubeadm, kubelet, kubectl and cri-tools %s "
        "from the Kubernetes package repository, whose key APT trusts only when it matches this sha256"
        % c.get("cluster", {}).get("kubernetes_version", ""),
        lambda c: "sha256sum of that repository's Release.key (<mirrors.kubernetes_packages or the upstream "
        "repository>/v%s/deb/Release.key), after checking it" % _minor(c),
        unless="every node already has those packages at that version",
        role_var="kubeadm_repo_key_sha256",
        alternative="offline.enabled with a bundle (docs/offline.md)"),
    Pin(("mirrors", "calico_operator_manifest_sha256"), "kubeadm",
        lambda c: "cluster.cni is calico, and the kubeadm stage applies Calico's operator manifest only when it "
        "matches this sha256" if c.get("cluster", {}).get("cni") == "calico" else None,
        lambda c: "sha256sum of the tigera-operator.yaml you reviewed (mirrors.calico_operator_manifest, or "
        "upstream's of the version the collection pins, docs/kubeadm.md)",
        role_var="kubeadm_calico_operator_sha256", alternative="cluster.cni: flannel"),
    Pin(("accelerators", "nvidia_repo_key_sha256"), "nvidia_runtime",
        lambda c: "the nvidia_runtime stage installs nvidia-container-toolkit on the GPU nodes (%s) from NVIDIA's "
        "repository, whose key APT trusts only when it matches this sha256" % some(_nodes(c, "nvidia"))
        if _nodes(c, "nvidia") else None,
        lambda c: "sha256sum of the repository's gpgkey (mirrors.nvidia_packages/gpgkey, or NVIDIA's), after "
        "checking it",
        unless="every GPU node already has nvidia-container-toolkit",
        role_var="nvidia_runtime_repo_key_sha256"),
    Pin(("services", "volcano_manifest_sha256"), "platform",
        lambda c: "services.volcano is on, and the platform stage applies Volcano's manifest only when it matches "
        "this sha256" if c.get("services", {}).get("volcano") else None,
        lambda c: "sha256sum of the Volcano manifest you reviewed (services.volcano_manifest, or upstream's of "
        "the version the collection pins, docs/platform.md)",
        role_var="platform_volcano_sha256", alternative="services.volcano: false"),
)


def _get(config, path):
    node = config
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def missing_pins(config):
    """``[(pin, why)]``: the pins the enabled stages need and ``config`` lacks, in table order."""
    out = []
    for pin in PINS:
        why = pin.needed(config)
        if why and not _get(config, pin.path):
            out.append((pin, why))
    return out


def _check_pins(config, chk, raw, legacy):
    for pin in PINS:
        value = _get(config, pin.path)
        if value and not SHA256.match(str(value)):
            chk.error(pin.path, "is not a sha256 (64 hex digits)", "write the " + pin.what(config))
    for pin, why in missing_pins(config):
        if _get(raw, pin.path) is not None:
            continue  # written, but the schema refused the value (a placeholder?) and said so
        where = ("set %s in the inventory's group_vars (a DLWS or OpenPAI file has no such key)" % pin.role_var
                 if legacy else "set %s" % pin.key)
        fix = "%s to the %s" % (where, pin.what(config))
        if pin.alternative and not legacy:
            fix += "; or choose " + pin.alternative
        if pin.unless:
            chk.warning(pin.path, "is not set: %s. The %s stage stops on a node unless %s (preflight checks each "
                        "node)" % (why, pin.stage, pin.unless), fix)
        else:
            chk.error(pin.path, "is not set: %s; without it the %s stage would stop" % (why, pin.stage), fix)


def _check_version(config, chk, legacy):
    cluster = config.get("cluster", {})
    version = cluster.get("kubernetes_version")
    if not version:
        return
    try:
        problem = version_problem(version)
    except ValueError:
        return  # the schema reported it
    if problem and not legacy:
        chk.error(("cluster", "kubernetes_version"), problem,
                  "choose a version from %s, e.g. 1.31.4" % supported_range())
    _check_docker(config, chk, version)


def _check_docker(config, chk, version):
    if config.get("container_runtime", {}).get("name") != "docker":
        return
    major, minor, _patch = parse_version(version)
    if (major, minor) >= DOCKERSHIM_REMOVED:
        chk.error(("container_runtime", "name"),
                  "docker with Kubernetes %s: the kubelet lost its docker support (dockershim) in 1.24 and needs "
                  "cri-dockerd, which the roles do not install; kubeadm would be pointed at containerd's socket"
                  % version,
                  "use container_runtime.name: containerd (images and registries work the same)")


def _check_os(config, chk):
    apt = ", ".join(APT_OS_NAMES)
    for index, node in enumerate(config.get("nodes", [])):
        os_name = node.get("os")
        if os_name in UNSUPPORTED_OS:
            chk.error(("nodes", index, "os"), "node %s runs %s (%s): the roles install with apt, and no role for "
                      "its package manager exists yet" % (node.get("hostname"), UNSUPPORTED_OS[os_name], os_name),
                      "install one of %s on the node, or leave it out of the cluster" % apt)
    supported = config.get("requirements", {}).get("supported_os") or {}
    for kind, names in sorted(supported.items()):
        refused = [n for n in names or () if n in UNSUPPORTED_OS]
        if refused:
            chk.error(("requirements", "supported_os", kind), "lists %s, which the roles cannot install on (they "
                      "use apt)" % ", ".join(refused), "list only %s" % apt)


def _check_ascend_installer(config, chk, written_arch):
    path = config.get("accelerators", {}).get("ascend_docker_runtime_package")
    if not path:
        return
    arch = installer_arch(path)
    for index, node in enumerate(config.get("nodes", [])):
        if (node.get("accelerator") or {}).get("vendor") != "huawei":
            continue
        name = node.get("hostname")
        if arch is None:
            chk.warning(("accelerators", "ascend_docker_runtime_package"), "the installer's file name (%s) names "
                        "no architecture, so it cannot be matched with the NPU nodes'" % os.path.basename(path),
                        "use the vendor's file as named (Ascend-docker-runtime_<version>_linux-<arch>.run)")
            return
        if name in written_arch and node.get("arch") != arch:
            chk.error(("nodes", index, "arch"), "node %s is %s, but the Ascend Docker Runtime installer %s is built "
                      "for %s" % (name, node.get("arch"), os.path.basename(path), arch),
                      "set accelerators.ascend_docker_runtime_package to the installer for %s (linux-%s), or "
                      "correct the node's arch" % (node.get("arch"), "aarch64" if node.get("arch") == "arm64"
                                                    else "x86_64"))


def written_arch(raw):
    """Host names whose ``arch`` the config states (a default is not known: preflight compares the
    installer with the node's facts instead)."""
    nodes = raw.get("nodes") if isinstance(raw, dict) else None
    return set(n.get("hostname") for n in nodes or () if isinstance(n, dict) and n.get("arch") is not None)


def check(config, chk, raw, legacy=False):
    """Add every finding about what the stages need to ``chk``.

    ``config``: the normalized config; ``raw``: the native data before validation (a DLWS/OpenPAI
    file converted), to tell a value the config states from a default. ``legacy``: the config came
    from a DLWS/OpenPAI file.
    """
    _check_pins(config, chk, raw if isinstance(raw, dict) else {}, legacy)
    _check_version(config, chk, legacy)
    _check_os(config, chk)
    _check_ascend_installer(config, chk, written_arch(raw))
