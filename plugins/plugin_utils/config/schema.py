# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The native platform config schema, and strict validation against it.

The schema below is the single definition of every key: its type, default,
legacy (DLWS / OpenPAI) name and description. ``docs/config.md`` is generated
from it (``scripts/gen_config_doc.py``) and a unit test keeps the two in step.

Pure: no I/O. ``validate(data, filename)`` returns ``(normalized, problems)``;
``normalized`` has every default filled in and plain dict/list types.

Why one file of ~800 lines: the schema is one table (every key's type, default, legacy name and
description) that docs/config.md is generated from; split, a key's definition and its neighbours'
would be read in different files. The validator around it is ~150 lines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import re

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.loader import (
    VaultText,
    describe,
    line_of,
    plain,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import (
    Problem,
    path_text,
    show_value,
    suggest,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm import supported_range
from ansible_collections.aiplatform.cluster.plugins.module_utils.safe_paths import path_problem

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported by the inventory plugin
    HAS_NETADDR = False

SCHEMA_VERSION = 1

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")
_URL = re.compile(r"^((https?)://[^\s/$.?#][^\s]*|file:///[^\s]+)$", re.IGNORECASE)
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)$")
# A value a template left for the site to fill in: `<sha256sum of Release.key>`.
_PLACEHOLDER = re.compile(r"^<[^<>]+>$")
_IMAGE_REF = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$")

NODE_ROLES = ("control_plane", "worker", "etcd", "nfs_server", "registry")
ARCHES = ("amd64", "arm64")
VENDORS = ("nvidia", "huawei", "none")
# Operating systems the roles install on: every role installs with apt.
APT_OS_NAMES = (
    "ubuntu1804",
    "ubuntu2004",
    "ubuntu2204",
    "ubuntu2404",
    "debian11",
    "debian12",
)
# Known by name, refused until roles exist for them (no apt): a node or requirements.supported_os
# naming one is an error with this text (config/prerequisites.py), not an unknown value.
UNSUPPORTED_OS = {
    "openeuler2003": "openEuler 20.03",
    "openeuler2203": "openEuler 22.03",
    "openeuler2403": "openEuler 24.03",
}
OS_NAMES = APT_OS_NAMES + tuple(UNSUPPORTED_OS)
# Ascend models we know how to label; keys are compared case-insensitively
# without an "ascend" prefix or separators.
ASCEND_MODELS = {
    "310": "Ascend310",
    "310p": "Ascend310P",
    "910": "Ascend910",
    "910a": "Ascend910",
    "910b": "Ascend910B",
}
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class Field(object):
    """One key of the schema."""

    __slots__ = ("kind", "default", "required", "doc", "legacy", "choices", "item", "fields", "minimum", "maximum")

    def __init__(self, kind, doc, default=None, required=False, legacy=None, choices=None, item=None,
                 fields=None, minimum=None, maximum=None):
        self.kind = kind
        self.doc = doc
        self.default = default
        self.required = required
        self.legacy = legacy
        self.choices = choices
        self.item = item
        self.fields = fields
        self.minimum = minimum
        self.maximum = maximum


def F(kind, doc, **kw):
    return Field(kind, doc, **kw)


def M(doc, fields, **kw):
    return Field("map", doc, fields=fields, **kw)


def L(doc, item, **kw):
    return Field("list", doc, item=item, **kw)


_NIC = M(
    "One NPU network port (one per NPU device).",
    {
        "device": F("int", "NPU device id (`hccn_tool -i <device>`).", required=True, minimum=0, maximum=15),
        "address": F("ip", "Address of the NPU's RoCE port.", required=True),
        "netmask": F("netmask", "Netmask of the port.", required=True),
        "detect": F("ip", "Address the NPU probes for link health (`-netdetect`); usually the gateway."),
        "gateway": F("ip", "Gateway of the port's subnet."),
    },
)

_NODE = M(
    "One machine of the cluster.",
    {
        "hostname": F("hostname", "Host name: a lowercase RFC 1123 label, also the Kubernetes node name.",
                      required=True, legacy="DLWS: key of `machines`/`scale_up`; OpenPAI: `hostname`"),
        "ip": F("ip", "Cluster address of the node (Kubernetes, /etc/hosts, NFS exports). When absent, "
                      "Ansible reaches the node as `<hostname>.<domain>`.",
                legacy="DLWS: `private-ip`; OpenPAI: `hostip`"),
        "roles": L("Roles of the node: `control_plane`, `worker`, `etcd`, `nfs_server`, `registry`. "
                   "`etcd` defaults to the control-plane nodes when no node names it.",
                   F("str", "role", choices=NODE_ROLES), default=["worker"],
                   legacy="DLWS: `role` (`infrastructure` = control_plane, `worker`; our extension: a list that may also "
                          "name `registry`, `etcd`, `nfs_server`, e.g. `[worker, registry]`); OpenPAI: `pai-master`, "
                          "`pai-worker`, `pai-storage`"),
        "arch": F("str", "CPU architecture.", default="amd64", choices=ARCHES, legacy="DLWS: `archtype`"),
        "os": F("str", "Operating system the node is expected to run (checked by preflight). The roles "
                       "install with apt: Debian and Ubuntu only; openEuler is refused until roles exist for it.",
                choices=OS_NAMES, legacy="DLWS: `os`"),
        "accelerator": M(
            "Accelerators in the node.",
            {
                "vendor": F("str", "`nvidia`, `huawei` or `none`.", default="none", choices=VENDORS,
                            legacy="DLWS: `vendor` with `type` gpu/npu; OpenPAI: `computing-device.type`"),
                "model": F("str", "Model, e.g. `H100`, `A100`, `Ascend910B`, `Ascend310P`.",
                           legacy="DLWS: `gpu-type` or `onpremise_cluster.gpu_type`; OpenPAI: `computing-device.model`"),
                "count": F("int", "Number of GPUs / NPUs.", default=0, minimum=0, maximum=64,
                           legacy="DLWS: `onpremise_cluster.gpu_count_per_node`; OpenPAI: `computing-device.count`"),
            },
            default={},
        ),
        "npu_nics": L("NPU NIC plan: one entry per NPU port, applied with `hccn_tool`.", _NIC, default=[]),
        "workloads": L("Workload labels set to `true`: `train`, `notebook`, `service`. Default: all three on "
                       "workers, none on control-plane-only nodes.",
                       F("str", "workload", choices=("train", "notebook", "service"))),
        "org": F("label_value", "Value of the `org` label (team owning the node).", default="public"),
        "labels": F("labels", "Extra Kubernetes node labels (they win over computed ones).", default={}),
        "taints": L("Kubernetes taints.", M("One taint.", {
            "key": F("label_name", "Taint key.", required=True),
            "value": F("label_value", "Taint value.", default=""),
            "effect": F("str", "Taint effect.", required=True, choices=TAINT_EFFECTS),
        }), default=[]),
    },
)

_SHARE = M(
    "One NFS share.",
    {
        "name": F("label_name", "Name of the share (used for PV/StorageClass names).", required=True,
                  legacy="DLWS: key under `mountpoints`"),
        "server": F("hostname", "Node that exports the share (it gets the `nfs_server` role).", required=True,
                    legacy="DLWS: `server`"),
        "export_path": F("safe_path", "Directory exported on the server (created when missing; reset.yml "
                                      "removes it only when the collection created it).", required=True,
                         legacy="DLWS: `filesharename`"),
        "mount_point": F("mount_path", "Where every node mounts the share (created when missing, never removed).",
                         required=True, legacy="DLWS: `curphysicalmountpoint`"),
        "export_options": F("str", "Options of the export line, comma-separated, only those exports(5) knows (no "
                                   "spaces, no client specs: the networks go in `clients`). The default squashes "
                                   "the clients' root to `nobody`; `no_root_squash` lets root on any client own "
                                   "every file of the share: set it only for a share that needs it (a warning "
                                   "says so). DLWS exported with `no_root_squash`; its converted shares get this default.",
                            default="rw,sync,no_subtree_check,root_squash"),
        "mount_options": F("str", "Mount options (`_netdev` is always added). NFS v4.x unless `storage.nfs.v3`.",
                           default="rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime"),
        "clients": L("Networks allowed to mount (CIDRs). Default: `network.node_networks`. Each must lie inside "
                     "a node network, and a public range must be a single node address, unless "
                     "`clients_outside_node_networks` is set.", F("cidr", "CIDR"), default=[]),
        "clients_outside_node_networks": F("bool", "Allow `clients` outside the node networks or public ranges "
                                                   "(a warning names them). `0.0.0.0/0` is refused anyway.",
                                           default=False),
    },
)

SCHEMA = M(
    "The native platform config.",
    {
        "schema_version": F("int", "Version of this schema.", default=SCHEMA_VERSION, choices=(SCHEMA_VERSION,)),
        "plugin": F("str", "Optional marker `aiplatform.cluster.platform_config`.",
                    choices=("aiplatform.cluster.platform_config",)),
        "cluster": M(
            "Cluster identity and Kubernetes settings.",
            {
                "name": F("hostname", "Cluster name; `<name>.<domain>` is the cluster's public name.", required=True,
                          legacy="DLWS: `cluster_name`"),
                "domain": F("domain", "DNS domain: nodes resolve as `<host>.<domain>`; search domain on nodes.",
                            legacy="DLWS: `network.domain`"),
                "kubernetes_version": F("k8s_version", "Kubernetes version (`1.31.4`; a leading `v` is accepted), "
                                                       "%s (docs/kubeadm.md); another is an error (in a DLWS "
                                                       "file, a warning, and the default is used)."
                                        % supported_range(),
                                        default="1.31.4", legacy="DLWS: `k8s-gitbranch`"),
                "api_port": F("port", "API server port.", default=6443, legacy="DLWS: `k8sAPIport`"),
                "control_plane_endpoint": F("str", "`host:port` clients use for the API server (a VIP or DNS name "
                                                   "for HA). Default: with one control-plane node, its `ip:api_port`; with several, "
                                                   "the endpoint of `ha_mode` (`127.0.0.1:6444` through the local "
                                                   "proxy, or `vip:api_port`)."),
                "ha_mode": F("str", "How nodes reach the API servers when there are several control-plane nodes and no "
                                    "`control_plane_endpoint`: `local-proxy` (haproxy on every node on 127.0.0.1) or "
                                    "`kube-vip` (a virtual IP, `vip`, held by one control-plane node at a time).",
                             default="local-proxy", choices=("local-proxy", "kube-vip")),
                "vip": F("ip", "Virtual IP of the API servers (`ha_mode: kube-vip`): a free address on the node network. "
                            "The address of a node, or one outside `network.node_networks` when those are set, is "
                            "an error."),
                "vip_interface": F("str", "Interface kube-vip announces `vip` on. Default: the one holding the node's IP."),
                "kube_proxy_mode": F("str", "kube-proxy mode.", default="ipvs", choices=("ipvs", "iptables")),
                "cni": F("str", "Pod network plugin: flannel (built from the config, images pinned) or calico "
                         "(the Tigera operator; the site pins its manifest's sha256, docs/kubeadm.md).",
                         default="flannel", choices=("calico", "flannel")),
                "etcd_members": F("int", "Number of etcd members taken from the control-plane nodes when no node "
                                         "has the `etcd` role (1, 3 or 5). An even number of etcd members (of "
                                         "control-plane nodes without this key, or of nodes with the `etcd` "
                                         "role) is an error.", choices=(1, 3, 5),
                                  legacy="DLWS: `etcd_node_num`"),
                "control_plane_schedulable": F("bool", "Let workloads run on control-plane nodes that also have the "
                                                       "`worker` role (removes the control-plane taint).",
                                               default=True),
                "control_plane_labels": F("labels", "Labels every control-plane node gets (platform services "
                                                    "placed there).",
                                          default={"mysql": "true", "redis": "true", "kubeflow-dashboard": "true",
                                                   "monitoring": "true"}),
            },
            required=True,
        ),
        "network": M(
            "Address plan.",
            {
                "node_networks": L("CIDRs of the node network(s). Default: one /32 per node IP. NFS exports and "
                                   "firewall rules are limited to these.", F("cidr", "CIDR"), default=[]),
                "pod_network": F("cidr", "Pod network.", default="10.244.0.0/16",
                                 legacy="DLWS: `network.container-network-iprange`"),
                "service_network": F("cidr", "Service network.", default="10.96.0.0/12"),
                "node_port_range": F("port_range", "NodePort range (`first-last`).", default="30000-32767"),
                "dns_servers": L("Upstream DNS servers for nodes (empty: keep the OS's).", F("ip", "IP"), default=[]),
                "ntp_servers": L("Time servers every node follows (empty: the OS's default pool, or "
                                 "`ntp_server_node`).", F("str", "host name or IP"), default=[]),
                "ntp_server_node": F("str", "A node that serves time to the others (air-gapped sites): it follows "
                                            "`ntp_servers` (or its own clock), every other node follows it."),
                "firewall": F("str", "`unmanaged`: leave the site's host firewall exactly as it is (open the "
                                     "ports in docs/node-init.md yourself; preflight reports blocked ones); "
                                     "`managed`: keep ufw on and open exactly the ports the cluster needs to the "
                                     "node networks; `disabled`: turn ufw off.",
                              default="unmanaged", choices=("unmanaged", "managed", "disabled")),
            },
            default={},
        ),
        "ssh": M(
            "How Ansible connects to nodes.",
            {
                "user": F("str", "SSH user (a sudo user is fine).", legacy="DLWS: `admin_username`"),
                "port": F("port", "SSH port for every node.", default=22, legacy="DLWS: `ssh_port`"),
                "become": F("bool", "Use privilege escalation. Default: true unless the user is root."),
                "become_method": F("str", "Privilege escalation method.", default="sudo", choices=("sudo", "su")),
                "private_key_file": F("path", "SSH private key on the control machine."),
                "common_args": F("str", "Extra SSH arguments, e.g. `-o ProxyJump=bastion` for a jump host."),
            },
            default={},
        ),
        "nodes": L("The machines.", _NODE, required=True,
                   legacy="DLWS: `machines` + `scale_up`; OpenPAI: `machine-list` + `machine-sku`"),
        "storage": M(
            "Shared storage.",
            {
                "nfs": M(
                    "NFS shares.",
                    {
                        "shares": L("Shares exported by nodes and mounted everywhere.", _SHARE, default=[],
                                    legacy="DLWS: `mountpoints`"),
                        "default_folders": L("Folders created on every share.", F("str", "folder"),
                                             default=["jobfiles", "storage", "work", "namenodeshare"],
                                             legacy="DLWS: `default-storage-folders`"),
                        "v3": F("bool", "Serve and mount NFS v3 too. Off: servers run v4 only (port 2049) and "
                                        "rpcbind (port 111) is stopped and masked on servers, and on clients where "
                                        "only nfs-common pulled it in. On: rpcbind, mountd (20048), statd (32765) "
                                        "and lockd (32768) listen on every interface.", default=False),
                    },
                    default={},
                ),
            },
            default={},
        ),
        "backup": M(
            "Scheduled etcd snapshots on the control-plane nodes (docs/lifecycle.md). They stay on the node: "
            "`playbooks/backup.yml` takes the full backup to the control machine.",
            {
                "schedule": F("str", "When each control-plane node snapshots its etcd member (systemd `OnCalendar`, "
                                     "e.g. `daily` or `*-*-* 02:00:00`; checked with `systemd-analyze calendar` "
                                     "before anything changes). Empty: no scheduled snapshots (the timer is removed, "
                                     "the snapshots already taken stay).", default="*-*-* 02:00:00"),
                "keep": F("int", "Scheduled snapshots kept on each node; older ones are deleted after each new one.",
                          default=7, minimum=1, maximum=1000),
                "dir": F("safe_path", "Where the scheduled snapshots are written on each control-plane node: root, "
                                      "0700, each snapshot 0600 (a snapshot holds every Secret of the cluster). "
                                      "Give it the disk for `keep` snapshots of the etcd database.",
                         default="/var/backups/aiplatform/etcd"),
            },
            default={},
        ),
        "registry": M(
            "Image registries, in pull order: local, then company, then public.",
            {
                "local": M(
                    "The private registry run inside the site (on nodes with the `registry` role).",
                    {
                        "enabled": F("bool", "Run a local registry.", default=False),
                        "port": F("port", "Registry port (TLS, authentication on every call).", default=5000),
                        "listen_address": F("ip", "Address the registry listens on (empty: the node's cluster "
                                                  "address, `nodes[].ip`). `0.0.0.0` opens it on every interface: "
                                                  "set it only when clients outside the node network must reach it."),
                        "tls": F("bool", "Serve TLS with a certificate from the site CA. Must stay true: the registry "
                                         "always asks for credentials, and `false` would send them in clear.",
                                 default=True),
                        "username": F("str", "htpasswd user; empty with an empty password: `aiplatform`, with a "
                                             "password generated on the control machine "
                                             "(`<inventory>/.aiplatform/registry/password`, docs/registry.md)."),
                        "password": F("secret", "htpasswd password (vault-encrypt it); empty: generated (see "
                                                "`username`). Well-known placeholders (`change-me`, `admin`, "
                                                "`password`...) are refused."),
                        "anonymous_pull": F("bool", "Also serve the images read-only and without credentials, on "
                                                    "`anonymous_pull_port` (pushes and deletes stay behind "
                                                    "credentials on `port`).", default=False),
                        "anonymous_pull_port": F("port", "Port of the anonymous read-only registry "
                                                         "(`anonymous_pull: true` only).", default=5001),
                        "data_dir": F("safe_path", "Where images are stored (owned by the registry's user; "
                                                   "reset.yml removes it only when the collection created it).",
                                      default="/var/lib/registry"),
                        "proxy_remote_url": F("url", "Run as a pull-through cache of this registry instead "
                                                     "(e.g. `https://registry-1.docker.io`); it then serves only "
                                                     "that registry's images and refuses pushes."),
                        "gc_schedule": F("str", "When garbage collection runs (systemd `OnCalendar`): the only "
                                                "time images are removed (the API refuses deletes); the "
                                                "registry is stopped for its duration.",
                                         default="Sun *-*-* 03:00:00"),
                    },
                    default={},
                ),
                "company": M(
                    "A registry of the customer's company, tried after the local one.",
                    {
                        "url": F("str", "Registry host[:port], e.g. `harbor.corp.example:443`."),
                        "username": F("str", "User for pulls."),
                        "password": F("secret", "Password for pulls (vault-encrypt it); well-known placeholders "
                                                "(`change-me`, `admin`, `password`...) are refused."),
                        "insecure": F("bool", "Plain HTTP or untrusted certificate.", default=False),
                    },
                    default={},
                ),
                "public": L("Public registries tried last (upstream names).", F("str", "registry"),
                            default=["docker.io", "registry.k8s.io", "quay.io", "nvcr.io", "ghcr.io"]),
            },
            default={},
        ),
        "offline": M(
            "Air-gapped installation from a bundle made by `playbooks/offline_bundle.yml`.",
            {
                "enabled": F("bool", "Install from the bundle: packages from its repository on `repo_node`, "
                                     "images from the local registry. No node needs outside access.", default=False),
                "bundle": F("safe_path", "The bundle archive on the control machine (its directory is created when "
                                         "missing)."),
                "repo_node": F("hostname", "Node that serves the bundle's package repository. Default: the "
                                           "registry node."),
                "repo_port": F("port", "Port of the bundle's package repository (HTTP).", default=8480),
                "extra_packages": L("Packages the bundle carries besides those the roles install.",
                                    F("str", "package"), default=[]),
                "extra_images": L("Images (`registry/name:tag`) the bundle carries besides those the site's "
                                  "services use.", F("str", "image"), default=[]),
            },
            default={},
        ),
        "mirrors": M(
            "Package and image mirrors: one setting each for the whole site.",
            {
                "apt": F("url", "APT mirror URL (empty: the OS default sources).", legacy="DLWS: `apt_mirror_url`"),
                "pip_index": F("url", "pip index URL (empty: pip's default)."),
                "images": F("mirror_map", "Mirror endpoints per upstream registry, e.g. "
                                          "`{docker.io: [https://mirror.example]}`; tried after the local and "
                                          "company registries, before the upstream.", default={}),
                "image_repository": F("str", "Repository for Kubernetes control-plane images (kubeadm "
                                             "`imageRepository`).", default="registry.k8s.io"),
                "kubernetes_packages": F("url", "Kubernetes package repository in the upstream layout (`<url>/v1.31/deb/`; "
                                                "empty: the upstream one)."),
                "kubernetes_packages_key_sha256": F("str", "sha256 of that repository's `Release.key`; the key is "
                                                           "verified before APT trusts it (required to install "
                                                           "Kubernetes packages from a repository)."),
                "calico_operator_manifest": F("url", "Where Calico's `tigera-operator.yaml` is downloaded from "
                                                     "(cluster.cni calico; empty: upstream's of the version the "
                                                     "collection pins, docs/kubeadm.md)."),
                "calico_operator_manifest_sha256": F("str", "sha256 of that manifest, set after reviewing it "
                                                            "(required for cluster.cni calico)."),
                "nvidia_packages": F("url", "NVIDIA container toolkit repository (empty: the upstream one)."),
            },
            default={},
        ),
        "accelerators": M(
            "Vendor software the site provides for its accelerators.",
            {
                "ascend_docker_runtime_package": F("path", "Ascend Docker Runtime installer (`Ascend-docker-runtime_*.run`) "
                                                           "on the control machine; empty: it must already be "
                                                           "installed on the NPU nodes. Its file name's architecture "
                                                           "(`linux-aarch64`, `linux-x86_64`) must be every NPU "
                                                           "node's: checked against `arch` where a node sets it, "
                                                           "by preflight otherwise."),
                "ascend_docker_runtime_dir": F("safe_path", "Where the Ascend Docker Runtime lives on the nodes.",
                                               default="/usr/local/Ascend/Ascend-Docker-Runtime"),
                "nvidia_repo_key_sha256": F("str", "sha256 of the NVIDIA container toolkit repository key; the "
                                                   "key is verified before APT trusts it."),
            },
            default={},
        ),
        "container_runtime": M(
            "Container runtime on every node.",
            {
                "name": F("str", "`containerd` or `docker`. docker only with Kubernetes 1.22 and 1.23: from 1.24 "
                                 "the kubelet reaches docker only through cri-dockerd, which the roles do not "
                                 "install (an error says so).", default="containerd",
                          choices=("containerd", "docker")),
            },
            default={},
        ),
        "services": M(
            "Platform services to deploy (each can be turned off).",
            {
                "nvidia_device_plugin": F("bool", "NVIDIA device plugin on GPU nodes.", default=True),
                "ascend_device_plugin": F("bool", "Ascend device plugin on NPU nodes.", default=True),
                "nfs_storage": F("bool", "StorageClass / PVs for the NFS shares.", default=True),
                "metrics_server": F("bool", "metrics-server.", default=True),
                "monitoring": F("bool", "Prometheus, Grafana, node/DCGM/NPU exporters.", default=True),
                "volcano": F("bool", "Volcano batch scheduler (needs `volcano_manifest_sha256`).", default=False),
                "npu_exporter_image": F("str", "Image of Huawei's NPU exporter (the site provides it; empty: no NPU "
                                               "exporter, and verify says so on NPU nodes)."),
                "volcano_manifest": F("url", "Where Volcano's installer manifest is downloaded from (empty: "
                                             "upstream's of the version the collection pins, docs/platform.md)."),
                "volcano_manifest_sha256": F("str", "sha256 of that manifest, set after reviewing it (required for "
                                                    "services.volcano)."),
                "application": M(
                    "The AI platform application, deployed last, fed by the `platform` pass-through settings.",
                    {
                        "chart": F("str", "A Helm chart (a path on the control machine, a chart's name in "
                                          "`chart_repo`, or `repo/chart` of the control machine's helm, which an "
                                          "offline bundle cannot carry); its values are the `platform` settings."),
                        "chart_repo": F("url", "URL of the Helm repository that holds `chart` (its `index.yaml`); "
                                               "the offline bundle downloads the chart from it at `chart_version` "
                                               "and verifies it against the index's digest."),
                        "chart_version": F("str", "Version of that chart (required for an offline bundle of a "
                                                  "repository's chart)."),
                        "manifests_dir": F("path", "A directory of manifests on the control machine (`*.yaml`, or "
                                                   "`*.yaml.j2` templated with the `platform` settings as "
                                                   "`platform`)."),
                        "namespace": F("str", "Namespace of the application.", default="aiplatform"),
                        "release": F("str", "Helm release name.", default="aiplatform"),
                    },
                    default={},
                ),
            },
            default={},
        ),
        "requirements": M(
            "What preflight checks nodes against.",
            {
                "nvidia_driver_min": F("str", "Minimum NVIDIA driver.", default="430"),
                "ascend_driver_min": F("str", "Minimum Ascend driver.", default="1.72.T2.100.B020"),
                "supported_os": F("os_map", "Supported OS per node type (`cpu`, `nvidia`, `huawei`); Debian and "
                                            "Ubuntu releases only (the roles use apt: openEuler is refused).",
                                  default={"cpu": list(APT_OS_NAMES), "nvidia": list(APT_OS_NAMES),
                                           "huawei": ["ubuntu1804", "ubuntu2004", "ubuntu2204"]}),
                "min_memory_gb": F("role_numbers", "Minimum memory (GiB) per role.",
                                   default={"control_plane": 8, "worker": 16}),
                "min_disk_gb": F("role_numbers", "Minimum free disk (GiB) on / per role.",
                                 default={"control_plane": 50, "worker": 100}),
            },
            default={},
        ),
        "platform": F("any_map", "Pass-through settings of the AI platform's own services, handed to the platform "
                                 "tier untouched. Secrets here may be vault-encrypted.", default={},
                      legacy="DLWS: `UserGroups`, `WebUI*Groups`, `datasource`, `mysql_password`, `webuiport`, "
                             "`Authentications`, `jwt`, `repair-manager`, `defalt_virtual_cluster_name`, "
                             "`dockerregistry`, `dockers`, `enable_custom_registry_secrets`"),
        "inventory": F("any_map", "Options of the inventory plugin's Constructable part: `compose`, `groups`, "
                                  "`keyed_groups`, `strict`.", default={}),
    },
)


# A value the schema rejected: left out of the normalized config, so that the
# cross-key rules that still run see only values of the right type.
_INVALID = object()


class _Ctx(object):
    __slots__ = ("data", "filename", "problems", "origins")

    def __init__(self, data, filename, origins):
        self.data = data
        self.filename = filename
        self.problems = []
        self.origins = origins or {}

    def error(self, path, message, fix):
        key, line = locate(path, self.data, self.origins)
        self.problems.append(Problem.error(self.filename, key, message, fix, line))


def locate(path, data, origins=None):
    """Key text and line for ``path``.

    ``origins`` maps native path prefixes to ``(legacy key text, line)`` for
    configs converted from a legacy format, so that a message names the key
    the user actually wrote.
    """
    path = tuple(path)
    for cut in range(len(path), 0, -1):
        origin = (origins or {}).get(path[:cut])
        if origin is not None:
            label, line = origin
            rest = path_text(path[cut:])
            if rest and not rest.startswith("["):
                rest = "." + rest
            return label + rest, line
    return path_text(path), line_of(data, path)


def validate(data, filename, origins=None):
    """Validate native ``data``; return ``(normalized, problems)``.

    ``origins``: see :func:`locate`.
    """
    ctx = _Ctx(data, filename, origins)
    normalized = _check(SCHEMA, data, (), ctx)
    return normalized, ctx.problems


def _default(field):
    if field.kind == "map":
        return _check(field, {}, None, None) if field.default is not None else None
    value = field.default
    if isinstance(value, (list, dict)):
        import copy

        return copy.deepcopy(value)
    return value


def _check(field, value, path, ctx):  # noqa: C901 - one dispatch table
    kind = field.kind
    if kind == "map":
        if not isinstance(value, dict):
            if ctx is not None:
                ctx.error(path, "must be a mapping, found %s" % describe(value), "write it as `key: value` lines")
            return _INVALID
        out = {}
        for key in value:
            if key not in field.fields:
                if ctx is not None:
                    hint = suggest(key, field.fields)
                    ctx.error(
                        path + (key,),
                        "unknown key" + (" (did you mean '%s'?)" % hint if hint else ""),
                        ("rename it to '%s'" % hint) if hint else
                        "remove it; valid keys here: %s" % ", ".join(sorted(field.fields)),
                    )
        for name, sub in field.fields.items():
            if name in value and value[name] is not None:
                checked = _check(sub, value[name], path + (name,), ctx) if ctx is not None else _default(sub)
                if checked is not _INVALID:
                    out[name] = checked
            elif sub.required and ctx is not None:
                ctx.error(path + (name,), "is required", "add it (%s)" % sub.doc)
            else:
                default = _default(sub)
                if default is not None:
                    out[name] = default
        return out
    if kind == "list":
        if not isinstance(value, list):
            ctx.error(path, "must be a list, found %s" % describe(value), "write it as `- item` lines")
            return _INVALID
        items = [_check(field.item, item, path + (i,), ctx) for i, item in enumerate(value)]
        return [item for item in items if item is not _INVALID]
    return _scalar(field, value, path, ctx)


def _scalar(field, value, path, ctx):  # noqa: C901
    kind = field.kind
    bad = None
    fix = None
    if kind == "secret":
        if not isinstance(value, (str, VaultText)):
            bad, fix = "must be a string", "quote it, or encrypt it with `ansible-vault encrypt_string`"
    elif isinstance(value, VaultText):
        bad, fix = "cannot be vault-encrypted", "only secrets (passwords) may be encrypted; write it in clear"
    elif kind == "bool":
        if not isinstance(value, bool):
            bad, fix = "must be true or false", "write true or false without quotes"
    elif kind in ("int", "port"):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            else:
                bad, fix = "must be an integer", "write a whole number without quotes"
        if bad is None and kind == "port" and not 1 <= value <= 65535:
            bad, fix = "is not a port (1-65535)", "use a port between 1 and 65535"
        if bad is None and field.minimum is not None and value < field.minimum:
            bad, fix = "must be at least %d" % field.minimum, "raise it"
        if bad is None and field.maximum is not None and value > field.maximum:
            bad, fix = "must be at most %d" % field.maximum, "lower it"
    elif kind in ("any_map", "labels", "mirror_map", "os_map", "role_numbers"):
        bad, fix, value = _mapping_kind(kind, value)
    else:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and kind in ("str", "k8s_version"):
            value = str(value)
        if not isinstance(value, str):
            bad, fix = "must be a string, found %s" % describe(value), "write a single value"
        elif _PLACEHOLDER.match(value.strip()):
            bad, fix = "is still the template's placeholder", "replace it with the " + value.strip()[1:-1]
        else:
            value = value.strip()
            bad, fix, value = _string_kind(kind, value)
    if bad is None and field.choices is not None and value not in field.choices:
        hint = suggest(value, field.choices)
        bad = "must be one of %s" % ", ".join(str(c) for c in field.choices)
        fix = ("use '%s'" % hint) if hint else "pick one of those values"
    if bad is not None:
        ctx.error(path, "%s %s" % (show_value(value, path), bad), fix)
        return _INVALID
    return value


def _string_kind(kind, value):
    """Check one string; return (problem, fix, normalized value)."""
    if kind in ("str", "path"):
        if kind == "path" and not value.startswith("/") and not value.startswith("~"):
            return "is not an absolute path", "start it with /", value
        return None, None, value
    if kind in ("safe_path", "mount_path"):
        # a path the collection creates, chowns, mounts over or deletes (safe_paths.py, docs/config.md)
        found = path_problem(value, 1 if kind == "mount_path" else 2)
        if found:
            return found[0], found[1], value
        return None, None, value
    if kind == "hostname":
        if not _LABEL.match(value):
            lower = value.lower()
            fix = ("write it in lowercase: '%s'" % lower) if _LABEL.match(lower) else \
                "use lowercase letters, digits and '-', at most 63 characters, not starting or ending with '-'"
            return "is not a valid lowercase host name (RFC 1123 label)", fix, value
        return None, None, value
    if kind == "domain":
        labels = value.rstrip(".").split(".")
        if len(value) > 253 or not all(_LABEL.match(p) for p in labels):
            return "is not a valid DNS domain", "use lowercase labels separated by dots, e.g. cluster.example", value
        return None, None, value.rstrip(".")
    if kind == "k8s_version":
        match = _K8S_VERSION.match(value)
        if not match:
            return "is not a Kubernetes version", "write it like 1.31.4", value
        major, minor, patch = match.groups()
        return None, None, "%s.%s.%s" % (major, minor, patch or "0")
    if kind == "url":
        if value == "":
            return None, None, value
        if not _URL.match(value):
            return "is not a URL", "write it with its scheme, e.g. http://mirror.example/ubuntu", value
        return None, None, value
    if kind in ("ip", "cidr", "netmask"):
        return _net_kind(kind, value)
    if kind == "port_range":
        match = re.match(r"^(\d+)\s*-\s*(\d+)$", value)
        if not match:
            return "is not a port range", "write it as first-last, e.g. 30000-32767", value
        first, last = int(match.group(1)), int(match.group(2))
        if not (1 <= first < last <= 65535):
            return "is not a valid port range", "use 1 <= first < last <= 65535", value
        return None, None, "%d-%d" % (first, last)
    if kind == "label_name":
        if not _LABEL_NAME.match(value.split("/")[-1]):
            return "is not a valid Kubernetes label key", "use letters, digits, '-', '_' and '.'", value
        return None, None, value
    if kind == "label_value":
        if not _LABEL_VALUE.match(value):
            return "is not a valid Kubernetes label value", "use at most 63 letters, digits, '-', '_' and '.'", value
        return None, None, value
    raise ValueError("schema kind %s" % kind)  # pragma: no cover - programming error


def _net_kind(kind, value):
    """Cached: large configs repeat netmasks, gateways and networks thousands of times."""
    return _net_kind_cached(kind, value)


@functools.lru_cache(maxsize=65536)
def _net_kind_cached(kind, value):
    if not HAS_NETADDR:  # pragma: no cover
        return None, None, value
    try:
        if kind == "ip":
            if "/" in value:
                raise ValueError(value)
            return None, None, str(netaddr.IPAddress(value, flags=netaddr.INET_PTON))
        if kind == "netmask":
            ip = netaddr.IPAddress(value, flags=netaddr.INET_PTON)
            if not ip.is_netmask():
                return "is not a netmask", "write it like 255.255.255.0", value
            return None, None, str(ip)
        if "/" not in value:
            return "is not a CIDR", "add the prefix length, e.g. %s/24" % value, value
        address, _sep, prefix = value.partition("/")
        netaddr.IPAddress(address, flags=netaddr.INET_PTON)
        if not prefix.isdigit():
            raise ValueError(value)
        net = netaddr.IPNetwork(value)
        if net.ip != net.network:
            return "has host bits set", "use the network address %s" % net.cidr, value
        return None, None, str(net.cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        what = {"ip": "an IP address", "cidr": "a CIDR network", "netmask": "a netmask"}[kind]
        example = {"ip": "10.0.0.11", "cidr": "10.0.0.0/24", "netmask": "255.255.255.0"}[kind]
        return "is not %s" % what, "write it like %s" % example, value


def _mapping_kind(kind, value):
    if not isinstance(value, dict):
        return "must be a mapping, found %s" % describe(value), "write it as `key: value` lines", value
    if kind == "any_map":
        return None, None, plain(value)
    if kind == "labels":
        out = {}
        for key, val in value.items():
            if isinstance(val, bool):
                val = "true" if val else "false"
            val = str(val) if isinstance(val, (int, float)) else val
            name = str(key).split("/")[-1]
            if not isinstance(val, str) or not _LABEL_NAME.match(name) or not _LABEL_VALUE.match(val):
                return ("label %s=%s is not a valid Kubernetes label" % (key, val),
                        "keys and values: letters, digits, '-', '_', '.', at most 63 characters", value)
            out[str(key)] = val
        return None, None, out
    if kind == "mirror_map":
        out = {}
        for key, val in value.items():
            endpoints = val if isinstance(val, list) else [val]
            for endpoint in endpoints:
                if not isinstance(endpoint, str) or not _URL.match(endpoint):
                    return ("mirror endpoint %r of %s is not a URL" % (endpoint, key),
                            "write endpoints like https://mirror.example", value)
            out[str(key)] = list(endpoints)
        return None, None, out
    if kind == "os_map":
        for key, val in value.items():
            if key not in ("cpu", "nvidia", "huawei"):
                return "key %r must be cpu, nvidia or huawei" % key, "rename it", value
            if not isinstance(val, list) or not all(v in OS_NAMES for v in val):
                return ("%s must list OS names from %s" % (key, ", ".join(OS_NAMES)),
                        "use those names, e.g. ubuntu2204", value)
        return None, None, value
    if kind == "role_numbers":
        for key, val in value.items():
            if key not in NODE_ROLES or isinstance(val, bool) or not isinstance(val, (int, float)) or val < 0:
                return ("%r: %r must be a role name with a number" % (key, val),
                        "write e.g. `worker: 16`", value)
        return None, None, value
    raise ValueError(kind)  # pragma: no cover


def normalize_ascend_model(model):
    """'910B', 'Ascend910B', 'ascend-910b' -> 'Ascend910B'; None when unknown."""
    key = re.sub(r"[^a-z0-9]", "", str(model).lower())
    if key.startswith("ascend"):
        key = key[len("ascend"):]
    return ASCEND_MODELS.get(key)


def iter_fields(field=SCHEMA, prefix=""):
    """Yield ``(key path, field)`` for every key, depth first (for the docs)."""
    if field.kind == "map":
        for name, sub in field.fields.items():
            path = prefix + "." + name if prefix else name
            yield path, sub
            for item in iter_fields(sub, path):
                yield item
    elif field.kind == "list" and field.item is not None and field.item.kind == "map":
        for item in iter_fields(field.item, prefix + "[]"):
            yield item
