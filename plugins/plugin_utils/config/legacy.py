# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Read the config formats users arrive with: DLWS/Apulis ``config.yaml`` and OpenPAI ``layout.yaml``.

Each converter turns the loaded legacy data into a native config (see
``config.schema``) plus ``origins``: native key paths mapped to the legacy key
and line the user wrote, so that every later error names *their* key.

Legacy files are read unchanged. Keys we map are converted; the AI platform's
own keys are passed through under ``platform``; obsolete keys are ignored with
a warning naming them; a key that looks like a typo of a known key is an
error; any other key is passed through with a warning (real DLWS files carry a
long tail of deployment-specific keys). Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.loader import line_of
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import (
    Problem,
    suggest,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import OS_NAMES, SCHEMA
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm import version_problem

NATIVE = "native"
DLWS = "dlws"
OPENPAI = "openpai"

# DLWS keys and what we do with them.
DLWS_MAPPED = (
    "cluster_name",
    "network",
    "machines",
    "scale_up",
    "admin_username",
    "ssh_port",
    "etcd_node_num",
    "mountpoints",
    "default-storage-folders",
    "onpremise_cluster",
    "k8s-gitbranch",
    "k8sAPIport",
    "deploy_method",
    "apt_mirror_url",
    "nfs_client_CIDR",
    "kube-vip",
)
DLWS_PLATFORM = (
    "UserGroups",
    "WebUIadminGroups",
    "WebUIauthorizedGroups",
    "WebUIregisterGroups",
    "datasource",
    "mysql_password",
    "webuiport",
    "Authentications",
    "jwt",
    "repair-manager",
    "defalt_virtual_cluster_name",
    "dockerregistry",
    "dockers",
    "enable_custom_registry_secrets",
    "platform_name",
)
DLWS_OBSOLETE = (
    "dns_server",
    "discoverserver",
    "kubepresleep",
    "useclusterfile",
    "supported_platform",
    "mounthomefolder",
    "deploymounts",
    "custom_mounts",
    "data-disk",
    "dataFolderAccessPoint",
)
DLWS_MACHINE_KEYS = ("role", "private-ip", "archtype", "type", "vendor", "os", "gpu-type", "gpu_count", "labels")
DLWS_ROLES = {"infrastructure": ["control_plane"], "worker": ["worker"]}
# Native roles a DLWS `role` list may add (our extension of the format; DLWS has no registry role).
DLWS_EXTRA_ROLES = ("control_plane", "etcd", "nfs_server", "registry")
_DLWS_OS = {"ubuntu": None, "debian": None, "openeuler": None}

OPENPAI_TOP = ("machine-sku", "machine-list", "kubernetes", "cluster")
OPENPAI_MACHINE_KEYS = ("hostname", "hostip", "machine-type", "pai-master", "pai-worker", "pai-storage", "nodename",
                        "k8s-role", "docker-data", "dashboard", "zkid", "etcdid")
_RESOURCE_VENDOR = {"nvidia.com/gpu": "nvidia"}


def detect_format(data):
    """``native``, ``dlws`` or ``openpai`` from the top-level keys."""
    if "machine-list" in data or "machine-sku" in data:
        return OPENPAI
    if "nodes" in data or "cluster" in data or "schema_version" in data:
        return NATIVE
    if "machines" in data or "cluster_name" in data or "scale_up" in data:
        return DLWS
    return NATIVE


class Converted(object):
    """A native config converted from a legacy one."""

    __slots__ = ("config", "origins", "problems", "extra_groups")

    def __init__(self):
        self.config = {}
        self.origins = {}
        self.problems = []
        self.extra_groups = {}


class _Conv(object):
    def __init__(self, data, filename):
        self.data = data
        self.filename = filename
        self.out = Converted()

    def origin(self, native_path, legacy_path, label=None):
        self.out.origins[tuple(native_path)] = (label or _dotted(legacy_path), line_of(self.data, legacy_path))

    def error(self, legacy_path, message, fix):
        self.out.problems.append(
            Problem.error(self.filename, _dotted(legacy_path), message, fix, line_of(self.data, legacy_path)))

    def warning(self, legacy_path, message, fix, fold=None, subject=None):
        self.out.problems.append(
            Problem.warning(self.filename, _dotted(legacy_path), message, fix, line_of(self.data, legacy_path),
                            fold, subject))


def _dotted(path):
    return ".".join(str(p) for p in path)


def _unescape(text):
    """DLWS files carry sed-escaped URLs: ``http:\\/\\/mirror`` -> ``http://mirror``."""
    return text.replace("\\/", "/") if isinstance(text, str) else text


def _old_version(conv, version):
    """A DLWS file describes the deployment it came from: a Kubernetes version this collection does not
    deploy (DLWS ran 1.15 to 1.18) is a warning naming the line, and the default is installed instead.
    True when the version was set aside."""
    try:
        problem = version_problem(version)
    except ValueError:
        return False  # not a version at all: the schema reports it as an error
    if not problem:
        return False
    default = SCHEMA.fields["cluster"].fields["kubernetes_version"].default
    conv.warning(("k8s-gitbranch",), "%s; this file describes the old deployment, so Kubernetes %s (the default) "
                 "is installed instead" % (problem, default),
                 "to install another version, set k8s-gitbranch to one in the supported range (or delete the key "
                 "to keep %s)" % default)
    return True


def convert_dlws(data, filename):  # noqa: C901 - one mapping table, read top to bottom
    """DLWS / Apulis ``config.yaml`` -> native."""
    conv = _Conv(data, filename)
    cfg = conv.out.config
    cluster = cfg.setdefault("cluster", {})
    network = cfg.setdefault("network", {})
    ssh = cfg.setdefault("ssh", {})
    platform = cfg.setdefault("platform", {})

    known = DLWS_MAPPED + DLWS_PLATFORM + DLWS_OBSOLETE
    for key in data:
        if key in DLWS_OBSOLETE:
            conv.warning((key,), "obsolete DLWS key '%s' is ignored" % key, "delete it")
        elif key in DLWS_PLATFORM:
            platform[key] = data[key]
        elif key not in DLWS_MAPPED:
            hint = suggest(key, known)
            if hint:
                conv.error((key,), "unknown key (did you mean '%s'?)" % hint, "rename it to '%s'" % hint)
            else:
                platform[key] = data[key]
                conv.warning((key,), "key '%s' is not used by the installer; passed to the platform tier "
                             "untouched" % key, "delete it if the platform does not use it either")

    if "cluster_name" in data:
        cluster["name"] = data["cluster_name"]
        conv.origin(("cluster", "name"), ("cluster_name",))
    net = data.get("network") or {}
    if isinstance(net, dict):
        for key in net:
            if key not in ("domain", "container-network-iprange"):
                conv.warning(("network", key), "network key '%s' is not used" % key, "delete it")
        if net.get("domain"):
            cluster["domain"] = net["domain"]
            conv.origin(("cluster", "domain"), ("network", "domain"))
        if net.get("container-network-iprange"):
            network["pod_network"] = net["container-network-iprange"]
            conv.origin(("network", "pod_network"), ("network", "container-network-iprange"))
    if network.get("pod_network"):
        _pick_service_network(conv, network)
    cidrs = data.get("nfs_client_CIDR")
    if isinstance(cidrs, dict) and cidrs.get("node_range"):
        network["node_networks"] = cidrs["node_range"]
        conv.origin(("network", "node_networks"), ("nfs_client_CIDR", "node_range"))
    if "kube-vip" in data:
        port = data.get("k8sAPIport", 6443)
        cluster["control_plane_endpoint"] = "%s:%s" % (data["kube-vip"], port)
        conv.origin(("cluster", "control_plane_endpoint"), ("kube-vip",))
        if not re.match(r"^\d{1,3}(\.\d{1,3}){3}$", str(data["kube-vip"])):
            conv.error(("kube-vip",), "'%s' is not an IP address" % data["kube-vip"],
                       "write the virtual IP of the API server, e.g. 192.168.3.100")
    for legacy, native in (("k8s-gitbranch", "kubernetes_version"), ("k8sAPIport", "api_port"),
                           ("etcd_node_num", "etcd_members")):
        if legacy == "k8s-gitbranch" and legacy in data and _old_version(conv, data[legacy]):
            continue
        if legacy in data:
            cluster[native] = data[legacy]
            conv.origin(("cluster", native), (legacy,))
    if "deploy_method" in data and data["deploy_method"] != "kubeadm":
        conv.error(("deploy_method",), "'%s' is not supported; this installer uses kubeadm" % data["deploy_method"],
                   "set deploy_method: kubeadm or delete the key")
    if "admin_username" in data:
        ssh["user"] = data["admin_username"]
        conv.origin(("ssh", "user"), ("admin_username",))
    if "ssh_port" in data:
        ssh["port"] = data["ssh_port"]
        conv.origin(("ssh", "port"), ("ssh_port",))
    if "apt_mirror_url" in data:
        cfg.setdefault("mirrors", {})["apt"] = _unescape(data["apt_mirror_url"])
        conv.origin(("mirrors", "apt"), ("apt_mirror_url",))

    defaults = data.get("onpremise_cluster") or {}
    if not isinstance(defaults, dict):
        defaults = {}
    nodes = cfg.setdefault("nodes", [])
    seen = {}
    for section in ("machines", "scale_up"):
        machines = data.get(section)
        if machines is None:
            continue
        if not isinstance(machines, dict):
            conv.error((section,), "must map host names to their settings", "write `hostname:` then its keys")
            continue
        for key, first, second in getattr(machines, "duplicates", ()):
            conv.error((section, key), "host '%s' is listed twice in %s (lines %d and %d)" % (key, section, first,
                                                                                                second),
                       "delete one of the entries")
            _drop_duplicate_warning(conv.out.problems, data, second)
        for host, spec in machines.items():
            if host in seen:
                conv.error((section, host), "host '%s' is listed in both %s and %s" % (host, seen[host], section),
                           "keep it in one of them (scale_up holds nodes added later)")
                continue
            seen[host] = section
            node = _dlws_node(conv, section, host, spec or {}, defaults, len(nodes))
            nodes.append(node)
            if section == "scale_up":
                conv.out.extra_groups.setdefault(str(host), []).append("scale_up")

    registry_nodes = [(i, n) for i, n in enumerate(nodes) if "registry" in n.get("roles", [])]
    if registry_nodes:
        # DLWS has no registry section: a machine with the registry role turns the local registry on.
        index, node = registry_nodes[0]
        cfg.setdefault("registry", {}).setdefault("local", {})["enabled"] = True
        conv.origin(("registry", "local", "enabled"), (seen[node["hostname"]], node["hostname"], "role"))
    mounts = data.get("mountpoints")
    if isinstance(mounts, dict):
        shares = []
        for name, spec in mounts.items():
            if not isinstance(spec, dict):
                conv.error(("mountpoints", name), "must be a mapping", "give type, server, filesharename, "
                           "curphysicalmountpoint")
                continue
            if spec.get("type", "nfs") != "nfs":
                conv.warning(("mountpoints", name, "type"), "mount type '%s' is not supported; only nfs is"
                             % spec.get("type"), "remove it or convert it to an NFS share")
                continue
            index = len(shares)
            share = {"name": name}
            for legacy, native in (("server", "server"), ("filesharename", "export_path"),
                                   ("curphysicalmountpoint", "mount_point")):
                if legacy in spec:
                    share[native] = spec[legacy]
                    conv.origin(("storage", "nfs", "shares", index, native), ("mountpoints", name, legacy))
            conv.origin(("storage", "nfs", "shares", index), ("mountpoints", name))
            shares.append(share)
        cfg.setdefault("storage", {}).setdefault("nfs", {})["shares"] = shares
    if "default-storage-folders" in data:
        cfg.setdefault("storage", {}).setdefault("nfs", {})["default_folders"] = data["default-storage-folders"]
        conv.origin(("storage", "nfs", "default_folders"), ("default-storage-folders",))
    return conv.out


# Kubernetes' default service network first; DLWS sites often used 10.0.0.0/8
# for pods, which contains it.
SERVICE_NETWORK_CANDIDATES = ("10.96.0.0/12", "172.20.0.0/16", "192.168.128.0/17")


def _pick_service_network(conv, network):
    """DLWS has no service network key: choose one that does not overlap the pod network."""
    try:
        import netaddr

        pods = netaddr.IPNetwork(str(network["pod_network"]))
    except Exception:  # pylint: disable=broad-except - the schema reports a bad CIDR
        return
    for candidate in SERVICE_NETWORK_CANDIDATES:
        net = netaddr.IPNetwork(candidate)
        if not (net.first <= pods.last and pods.first <= net.last):
            if candidate != SERVICE_NETWORK_CANDIDATES[0]:
                conv.warning(("network", "container-network-iprange"),
                             "pod network %s contains Kubernetes' default service network %s; using %s for "
                             "services" % (pods.cidr, SERVICE_NETWORK_CANDIDATES[0], candidate),
                             "nothing to do, unless %s is used by the site's own network" % candidate)
            network["service_network"] = candidate
            return


def _drop_duplicate_warning(problems, data, line):
    for problem in list(problems):
        if problem.level == "warning" and problem.line == line:
            problems.remove(problem)


def _dlws_roles(conv, base, value, index):
    """A DLWS ``role`` as native roles. DLWS itself knows ``infrastructure`` and ``worker``; so that a
    DLWS file can also place the registry (and name etcd or NFS server nodes) without being converted,
    ``role`` may list several roles, DLWS or native names (``role: [worker, registry]``)."""
    items = value if isinstance(value, list) else [value]
    roles = []
    for position, item in enumerate(items):
        name = str(item).strip()
        mapped = DLWS_ROLES.get(name) or ([name] if name in DLWS_EXTRA_ROLES else None)
        if mapped is None:
            roles.append(name)  # the schema reports it with the valid choices
            conv.origin(("nodes", index, "roles", len(roles) - 1),
                        base + (("role", position) if isinstance(value, list) else ("role",)))
            conv.error(base + ("role",), "unknown DLWS role '%s'" % name,
                       "use infrastructure or worker (or a list of those and %s)" % ", ".join(DLWS_EXTRA_ROLES))
            continue
        roles.extend(r for r in mapped if r not in roles)
    return roles or ["worker"]


def _dlws_node(conv, section, host, spec, defaults, index):
    base = (section, host)
    conv.origin(("nodes", index), base)
    conv.origin(("nodes", index, "hostname"), base, label="%s.%s" % (section, host))
    node = {"hostname": host if isinstance(host, str) else str(host)}
    if not isinstance(spec, dict):
        conv.error(base, "must be a mapping of settings", "give role, private-ip, archtype, type, vendor")
        return node
    for key in spec:
        if key not in DLWS_MACHINE_KEYS:
            hint = suggest(key, DLWS_MACHINE_KEYS)
            conv.warning(base + (key,), "machine key '%s' is not used%s" % (key, (" (did you mean '%s'?)" % hint)
                                                                              if hint else ""),
                         ("rename it to '%s'" % hint) if hint else "delete it",
                         fold="machine key '%s' is not used%s, on {count} machines"
                         % (key, (" (did you mean '%s'?)" % hint) if hint else ""), subject="%s.%s" % base)
    node["roles"] = _dlws_roles(conv, base, spec.get("role", "worker"), index)
    if "private-ip" in spec:
        node["ip"] = spec["private-ip"]
        conv.origin(("nodes", index, "ip"), base + ("private-ip",))
    if "archtype" in spec:
        node["arch"] = spec["archtype"].strip() if isinstance(spec["archtype"], str) else spec["archtype"]
        conv.origin(("nodes", index, "arch"), base + ("archtype",))
    os_name = spec.get("os")
    if isinstance(os_name, str) and os_name.strip() in OS_NAMES:
        node["os"] = os_name.strip()
        conv.origin(("nodes", index, "os"), base + ("os",))
    kind = str(spec.get("type", "")).strip().lower()
    vendor = str(spec.get("vendor", "")).strip().lower()
    acc = {}
    if kind or vendor:
        conv.origin(("nodes", index, "accelerator"), base + (("vendor",) if "vendor" in spec else ("type",)))
        expected = {"gpu": "nvidia", "npu": "huawei"}.get(kind)
        if kind and kind not in ("gpu", "npu", "cpu"):
            conv.error(base + ("type",), "unknown machine type '%s'" % kind, "use gpu, npu or cpu")
        elif expected and vendor and vendor != expected:
            conv.error(base + ("vendor",), "vendor '%s' does not fit type '%s' (a %s node is %s)"
                       % (vendor, kind, kind, expected), "set vendor: %s, or type: %s"
                       % (expected, {"nvidia": "gpu", "huawei": "npu"}.get(vendor, "cpu")))
        elif vendor and vendor not in ("nvidia", "huawei"):
            conv.error(base + ("vendor",), "unknown vendor '%s'" % vendor, "use nvidia or huawei")
        chosen = vendor or expected
        if chosen in ("nvidia", "huawei") and kind != "cpu":
            acc["vendor"] = chosen
            model = spec.get("gpu-type") or defaults.get("gpu_type")
            if model and str(model).lower() not in ("nvidia", "huawei"):
                acc["model"] = str(model)
            count = spec.get("gpu_count", defaults.get("gpu_count_per_node"))
            if count is not None:
                acc["count"] = count
    if acc:
        node["accelerator"] = acc
    if isinstance(spec.get("labels"), dict):
        node["labels"] = spec["labels"]
    return node


def convert_openpai(data, filename, default_name):
    """OpenPAI ``layout.yaml`` -> native."""
    conv = _Conv(data, filename)
    cfg = conv.out.config
    for key in data:
        if key not in OPENPAI_TOP:
            hint = suggest(key, OPENPAI_TOP)
            if hint:
                conv.error((key,), "unknown key (did you mean '%s'?)" % hint, "rename it to '%s'" % hint)
            else:
                conv.warning((key,), "layout key '%s' is not used" % key, "delete it")
    name = default_name
    if isinstance(data.get("cluster"), dict) and data["cluster"].get("name"):
        name = data["cluster"]["name"]
        conv.origin(("cluster", "name"), ("cluster", "name"))
    else:
        conv.out.origins[("cluster", "name")] = ("cluster name (from the inventory directory name)", None)
    cfg["cluster"] = {"name": name}
    skus = data.get("machine-sku") or {}
    if not isinstance(skus, dict):
        conv.error(("machine-sku",), "must map SKU names to their hardware", "see OpenPAI's layout.yaml format")
        skus = {}
    machines = data.get("machine-list")
    if not isinstance(machines, list):
        conv.error(("machine-list",), "must be a list of machines", "write `- hostname: ...` entries")
        machines = []
    nodes = cfg["nodes"] = []
    masters = []
    for index, machine in enumerate(machines):
        base = ("machine-list", index)
        if not isinstance(machine, dict):
            conv.error(base, "must be a mapping", "give hostname, hostip, machine-type")
            continue
        for key in machine:
            if key not in OPENPAI_MACHINE_KEYS:
                hint = suggest(key, OPENPAI_MACHINE_KEYS)
                conv.warning(base + (key,), "machine key '%s' is not used%s" % (
                    key, (" (did you mean '%s'?)" % hint) if hint else ""),
                    ("rename it to '%s'" % hint) if hint else "delete it",
                    fold="machine key '%s' is not used%s, on {count} machines"
                    % (key, (" (did you mean '%s'?)" % hint) if hint else ""),
                    subject="machine-list[%d] (%s)" % (index, machine.get("hostname")))
        host = machine.get("hostname")
        label = "machine-list[%d] (%s)" % (index, host)
        conv.origin(("nodes", index), base, label=label)
        conv.origin(("nodes", index, "hostname"), base + ("hostname",))
        node = {"hostname": host}
        if machine.get("hostip") not in (None, ""):
            node["ip"] = machine["hostip"]
            conv.origin(("nodes", index, "ip"), base + ("hostip",))
        else:
            # OpenPAI reaches every machine by hostip; without it the node's address (NFS exports, API server,
            # /etc/hosts) would be guessed from DNS.
            conv.error(base, "machine %s has no hostip" % (host,),
                       "add `hostip: <the machine's cluster address>` to it, as OpenPAI's layout requires")
        roles = []
        if _truthy(machine.get("pai-master")):
            roles.append("control_plane")
            masters.append(host)
        if _truthy(machine.get("pai-worker")):
            roles.append("worker")
        if _truthy(machine.get("pai-storage")):
            roles.append("nfs_server")
        node["roles"] = roles or ["worker"]
        sku_name = machine.get("machine-type")
        if sku_name not in skus:
            hint = suggest(sku_name, skus)
            conv.error(base + ("machine-type",), "machine-type '%s' is not defined in machine-sku%s" % (
                sku_name, (" (did you mean '%s'?)" % hint) if hint else ""),
                ("use '%s'" % hint) if hint else "add it to machine-sku or use one of: %s" % ", ".join(
                    str(s) for s in skus))
        else:
            acc = _openpai_accelerator(conv, sku_name, skus[sku_name])
            if acc:
                node["accelerator"] = acc
                conv.origin(("nodes", index, "accelerator"), ("machine-sku", sku_name, "computing-device"))
        nodes.append(node)
    if len(masters) > 1:
        conv.error(("machine-list",), "OpenPAI layouts have one pai-master, found %d (%s)" % (
            len(masters), ", ".join(str(m) for m in masters)),
            "keep pai-master: \"true\" on one machine, or convert the layout to the native format for HA")
    return conv.out


def _openpai_accelerator(conv, sku_name, sku):
    device = (sku or {}).get("computing-device") if isinstance(sku, dict) else None
    if not isinstance(device, dict):
        return None
    kind = str(device.get("type", ""))
    base = ("machine-sku", sku_name, "computing-device", "type")
    if kind.startswith("huawei.com/"):
        vendor = "huawei"
        model = device.get("model") or kind.split("/", 1)[1]
    elif kind in _RESOURCE_VENDOR:
        vendor = _RESOURCE_VENDOR[kind]
        model = device.get("model")
    else:
        conv.error(base, "device type '%s' is not supported" % kind, "use nvidia.com/gpu or huawei.com/Ascend910")
        return None
    acc = {"vendor": vendor, "count": device.get("count", 0)}
    if model:
        acc["model"] = str(model)
    return acc


def _truthy(value):
    return str(value).strip().lower() in ("true", "yes", "1")
