# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""From a validated native config to the inventory: groups, host vars, group vars.

Pure: no I/O and no Ansible objects. The cross-key rules (duplicate names and
addresses, a control plane exists, NFS servers are nodes, accelerator
consistency, NPU NIC plans, overlapping networks) live here because they need
the whole config; single-key rules live in the schema.

Why one file of ~700 lines: every cross-key rule needs the same indexes of the whole config (nodes by
name and address, shares, NIC plans) built once here; a rule split away would rebuild them or take
them as arguments of a private protocol.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import nfs, platform_manifests
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config import prerequisites as config_prerequisites
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import Problem
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.schema import (
    HAS_NETADDR,
    locate,
    normalize_ascend_model,
)

if HAS_NETADDR:
    import netaddr

# Groups every inventory has, even when empty, so that plays never warn about
# an unknown pattern.
GROUPS = (
    "kube_control_plane",
    "kube_node",
    "etcd",
    "k8s_cluster",
    "nvidia_gpu",
    "ascend_npu",
    "nfs_server",
    "registry",
    "offline_repo",
    "arch_amd64",
    "arch_arm64",
)

WORKLOADS = ("train", "notebook", "service")


class Model(object):
    """The inventory a config describes."""

    __slots__ = ("hosts", "groups", "children", "group_vars", "_members")

    def __init__(self):
        self.hosts = {}  # name -> host vars (ordered as in the config)
        self.groups = dict((g, []) for g in GROUPS)
        self.children = {"k8s_cluster": ["kube_control_plane", "kube_node"]}
        self.group_vars = {}
        self._members = set()

    def add(self, group, host):
        if (group, host) not in self._members:
            self._members.add((group, host))
            self.groups.setdefault(group, []).append(host)


class _Checks(object):
    __slots__ = ("raw", "filename", "origins", "problems")

    def __init__(self, raw, filename, origins):
        self.raw = raw
        self.filename = filename
        self.origins = origins or {}
        self.problems = []

    def error(self, path, message, fix):
        key, line = locate(path, self.raw, self.origins)
        self.problems.append(Problem.error(self.filename, key, message, fix, line))

    def warning(self, path, message, fix, fold=None, subject=None):
        key, line = locate(path, self.raw, self.origins)
        self.problems.append(Problem.warning(self.filename, key, message, fix, line, fold, subject))


def build(config, raw, filename, origins=None, extra_groups=None, legacy=False, partial=False):
    """Check cross-key rules and build the :class:`Model`.

    ``config`` is the normalized native config, ``raw`` the data as loaded
    (for line numbers), ``extra_groups`` maps host -> additional groups (e.g.
    DLWS ``scale_up``). ``legacy``: the config came from a legacy format,
    where an unknown accelerator count is a warning, not an error.
    ``partial``: some nodes were left out after schema errors, so rules about
    the node list as a whole are not checked. Returns ``(model, problems)``.
    """
    chk = _Checks(raw, filename, origins)
    nodes = config.get("nodes", [])
    _check_nodes(config, nodes, chk, legacy, partial)
    _check_networks(config, nodes, chk)
    roles = _resolve_roles(config, nodes, chk, partial)
    _check_shares(config, nodes, roles, chk)
    _check_registry(config, roles, chk)
    _check_ha(config, roles, chk)
    _check_services(config, nodes, chk)
    _check_offline(config, nodes, roles, chk)
    _check_time_server(config, nodes, chk)
    # What the stages need (sha256 pins, Kubernetes range, runtime, OS, installer arch): config_prerequisites.py.
    config_prerequisites.check(config, chk, raw, legacy=legacy)
    model = Model()
    has_npu = any(n.get("accelerator", {}).get("vendor") == "huawei" for n in nodes)
    for index, node in enumerate(nodes):
        name = node["hostname"]
        if name in model.hosts:
            continue  # duplicate: already reported
        host_vars = _host_vars(config, node, roles[index], has_npu)
        model.hosts[name] = host_vars
        for group in _host_groups(node, roles[index]):
            model.add(group, name)
        for group in (extra_groups or {}).get(name, ()):
            model.add(group, name)
    model.group_vars["all"] = _group_vars(config, model)
    repo_node = model.group_vars["all"]["platform_offline"].get("repo_node")
    if repo_node in model.hosts:
        model.add("offline_repo", repo_node)
    return model, chk.problems


def _check_nodes(config, nodes, chk, legacy, partial):
    seen_names = {}
    seen_ips = {}
    for index, node in enumerate(nodes):
        name = node.get("hostname")
        if name in seen_names:
            chk.error(
                ("nodes", index, "hostname"),
                "host name '%s' is used twice (also by %s)" % (name, _node_ref(seen_names[name], chk)),
                "give every node its own name",
            )
        else:
            seen_names[name] = index
        ip = node.get("ip")
        if ip:
            if ip in seen_ips:
                chk.error(
                    ("nodes", index, "ip"),
                    "IP %s of node %s is also the IP of node %s" % (ip, name, nodes[seen_ips[ip]]["hostname"]),
                    "give every node its own address",
                )
            else:
                seen_ips[ip] = index
        _check_accelerator(node, index, chk, legacy)
        _check_nics(node, index, chk)
    if partial:
        pass
    elif nodes and not any("control_plane" in n.get("roles", ()) for n in nodes):
        chk.error(
            ("nodes",),
            "no node has the control_plane role",
            "give at least one node the role control_plane (DLWS: role: infrastructure; OpenPAI: pai-master: \"true\")",
        )
    elif not nodes:
        chk.error(("nodes",), "lists no node", "add the cluster's machines")
    _check_nic_addresses(nodes, chk)


def _node_ref(index, chk):
    key, line = locate(("nodes", index), chk.raw, chk.origins)
    return key + (" (line %d)" % line if line else "")


def _check_accelerator(node, index, chk, legacy):
    acc = node.get("accelerator", {})
    vendor = acc.get("vendor", "none")
    model = acc.get("model")
    count = acc.get("count", 0)
    path = ("nodes", index, "accelerator")
    if vendor == "none":
        if count:
            chk.error(path + ("count",), "node %s has %d accelerators but no vendor" % (node["hostname"], count),
                      "set accelerator.vendor to nvidia or huawei, or the count to 0")
        if model:
            chk.error(path + ("model",), "node %s names model '%s' but no vendor" % (node["hostname"], model),
                      "set accelerator.vendor to nvidia or huawei")
        return
    if not count and legacy:
        chk.warning(path, "node %s is a %s node but its accelerator count is unknown; preflight cannot compare "
                    "it" % (node["hostname"], vendor),
                    "set onpremise_cluster.gpu_count_per_node (DLWS) or computing-device.count (OpenPAI)",
                    fold="{count} accelerator nodes have no accelerator count, so preflight cannot compare it",
                    subject=node["hostname"])
    elif not count:
        chk.error(path + ("count",), "node %s is a %s node but its accelerator count is 0 or missing"
                  % (node["hostname"], vendor), "set accelerator.count to the number of devices in the node")
    if vendor == "huawei":
        if model and normalize_ascend_model(model) is None:
            chk.error(path + ("model",), "'%s' is not an Ascend model" % model,
                      "use Ascend910, Ascend910B, Ascend310 or Ascend310P (or set vendor to nvidia)")
    elif vendor == "nvidia" and model and normalize_ascend_model(model) is not None:
        chk.error(path + ("vendor",), "model '%s' is an Ascend NPU but the vendor is nvidia" % model,
                  "set accelerator.vendor to huawei")


def _check_nics(node, index, chk):
    nics = node.get("npu_nics") or []
    if not nics:
        return
    acc = node.get("accelerator", {})
    name = node["hostname"]
    if acc.get("vendor") != "huawei":
        chk.error(("nodes", index, "npu_nics"), "node %s has an NPU NIC plan but is not a huawei node" % name,
                  "remove npu_nics or set accelerator.vendor to huawei")
        return
    count = acc.get("count", 0)
    devices = set()
    for n, nic in enumerate(nics):
        path = ("nodes", index, "npu_nics", n)
        device = nic.get("device")
        if device in devices:
            chk.error(path + ("device",), "NPU device %s of node %s appears twice" % (device, name),
                      "list each device once")
        devices.add(device)
        if count and device is not None and device >= count:
            chk.error(path + ("device",), "node %s has %d NPUs (devices 0-%d) but the plan names device %s"
                      % (name, count, count - 1, device), "use a device id below %d" % count)
        if not HAS_NETADDR:
            continue
        try:
            net = netaddr.IPNetwork("%s/%s" % (nic["address"], nic["netmask"]))
        except (netaddr.AddrFormatError, KeyError, ValueError, TypeError):
            continue  # the schema already reported it
        for key in ("detect", "gateway"):
            other = nic.get(key)
            if other and netaddr.IPAddress(other) not in net:
                chk.error(path + (key,), "%s %s of NPU %s on %s is outside the port's subnet %s"
                          % (key, other, device, name, net.cidr),
                          "use an address inside %s or fix address/netmask" % net.cidr)


def _check_nic_addresses(nodes, chk):
    seen = {}
    for index, node in enumerate(nodes):
        for n, nic in enumerate(node.get("npu_nics") or []):
            address = nic.get("address")
            if not address:
                continue
            if address in seen:
                chk.error(("nodes", index, "npu_nics", n, "address"),
                          "NPU address %s is used twice (also NPU %s on %s)" % (address, seen[address][1],
                                                                               seen[address][0]),
                          "give every NPU port its own address")
            else:
                seen[address] = (node["hostname"], nic.get("device"))


def _check_networks(config, nodes, chk):
    if not HAS_NETADDR:
        return
    network = config.get("network", {})
    nets = []
    for key in ("pod_network", "service_network"):
        try:
            nets.append((key, netaddr.IPNetwork(network[key])))
        except (netaddr.AddrFormatError, KeyError, ValueError, TypeError):
            pass
    node_nets = []
    for i, cidr in enumerate(network.get("node_networks", [])):
        try:
            node_nets.append((i, netaddr.IPNetwork(cidr)))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            pass
    for i, net in node_nets:
        nets.append(("node_networks[%d]" % i, net))
    for a in range(len(nets)):
        for b in range(a + 1, len(nets)):
            (ka, na), (kb, nb) = nets[a], nets[b]
            if na.first <= nb.last and nb.first <= na.last:
                chk.error(("network", kb.split("[")[0]), "%s %s overlaps %s %s" % (kb, nb.cidr, ka, na.cidr),
                          "choose ranges that do not overlap")
    for index, node in enumerate(nodes):
        ip = node.get("ip")
        if not ip:
            continue
        try:
            addr = netaddr.IPAddress(ip)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            continue
        for key, net in nets[:2]:
            if addr in net:
                chk.error(("nodes", index, "ip"), "IP %s of node %s is inside the %s %s"
                          % (ip, node["hostname"], key.replace("_", " "), net.cidr),
                          "move the %s to a range the nodes do not use" % key.replace("_", " "))
        if node_nets and not any(addr in net for _, net in node_nets):
            chk.error(("nodes", index, "ip"), "IP %s of node %s is outside network.node_networks"
                      % (ip, node["hostname"]), "add its network to network.node_networks or fix the IP")


def _resolve_roles(config, nodes, chk, partial=False):
    """Per node, the set of roles after implied ones (etcd, nfs_server)."""
    roles = [set(n.get("roles") or ()) for n in nodes]
    shares = config.get("storage", {}).get("nfs", {}).get("shares", [])
    servers = set(s.get("server") for s in shares)
    for index, node in enumerate(nodes):
        if node.get("hostname") in servers:
            roles[index].add("nfs_server")
    if not any("etcd" in r for r in roles):
        control = [i for i, r in enumerate(roles) if "control_plane" in r]
        wanted = config.get("cluster", {}).get("etcd_members")
        if wanted:
            if wanted > len(control):
                chk.error(("cluster", "etcd_members"), "asks for %d etcd members but only %d control-plane nodes"
                          " exist" % (wanted, len(control)),
                          "lower it, or give more nodes the control_plane or etcd role")
            control = control[:wanted]
        elif len(control) % 2 == 0 and control and not partial:
            chk.error(("nodes",), "%d control-plane nodes make an even etcd cluster of %d members, which tolerates "
                      "no more failures than %d members would, and splits without quorum when the network does"
                      % (len(control), len(control), len(control) - 1),
                      "use an odd number of control-plane nodes, or set cluster.etcd_members to %d"
                      % (len(control) - 1))
        for i in control:
            roles[i].add("etcd")
    else:
        members = [nodes[i].get("hostname") for i, r in enumerate(roles) if "etcd" in r]
        if len(members) % 2 == 0 and not partial:
            chk.error(("nodes",), "%d nodes have the etcd role (%s): an even etcd cluster tolerates no more failures "
                      "than %d members would" % (len(members), ", ".join(str(m) for m in members), len(members) - 1),
                      "give the etcd role to an odd number of nodes (1, 3 or 5)")
    return roles


def _check_shares(config, nodes, roles, chk):
    names = set(n.get("hostname") for n in nodes)
    node_networks = list(config.get("network", {}).get("node_networks") or
                         ["%s/32" % n["ip"] for n in nodes if n.get("ip")])
    v3 = config.get("storage", {}).get("nfs", {}).get("v3", False)
    seen = set()
    for index, share in enumerate(config.get("storage", {}).get("nfs", {}).get("shares", [])):
        path = ("storage", "nfs", "shares", index)
        if share.get("server") not in names:
            chk.error(path + ("server",), "NFS server '%s' is not a node of the cluster" % share.get("server"),
                      "use the host name of one of the nodes")
        if share.get("name") in seen:
            chk.error(path + ("name",), "share name '%s' is used twice" % share.get("name"),
                      "give every share its own name")
        seen.add(share.get("name"))
        _check_share_security(share, path, node_networks, v3, chk)


def _check_share_security(share, path, node_networks, v3, chk):
    """Export options exports(5) knows, root squashing, clients inside the node networks, NFS v4 mounts."""
    name = share.get("name")
    options = share.get("export_options")
    for option, why, fix in nfs.export_option_problems(options):
        chk.error(path + ("export_options",), "share %s: '%s' %s" % (name, option, why), fix)
    if nfs.root_squash_off(options):
        chk.warning(path + ("export_options",), "share %s is exported with no_root_squash: root on any client "
                    "(every node, every privileged pod) is root on the share's files" % name,
                    "keep it only if this share needs it (e.g. images written as root); otherwise use root_squash")
    clients = share.get("clients") or []
    everyone = [c for c in clients if str(c).strip() in ("0.0.0.0/0", "::/0")]
    outside, public = nfs.clients_outside(clients, node_networks)
    public = [c for c in public if str(c).split("/")[-1] not in ("32", "128") or c in outside]
    wide = sorted(set(outside) | set(public), key=clients.index)
    if everyone:
        chk.error(path + ("clients",), "share %s would be exported to everyone (%s)" % (name, ", ".join(everyone)),
                  "name the networks that mount it (default: network.node_networks)")
    elif wide and not share.get("clients_outside_node_networks"):
        chk.error(path + ("clients",), "share %s: clients %s %s" % (
            name, ", ".join(wide), "are outside the node networks (%s)" % ", ".join(node_networks)
            if outside else "are public ranges"),
            "limit clients to the node networks, or set clients_outside_node_networks: true on this share "
            "if those machines must mount it")
    elif wide:
        chk.warning(path + ("clients",), "share %s is exported to %s, outside the node networks or public "
                    "(clients_outside_node_networks: true)" % (name, ", ".join(wide)),
                    "make sure only trusted machines live there: NFS trusts the client's word for the user")
    mount = nfs.old_version_mount(share.get("mount_options"))
    if mount and not v3:
        chk.error(path + ("mount_options",), "share %s mounts with %s, but the servers run NFS v4 only" % (name, mount),
                  "use nfsvers=4.1 (or 4.2), or set storage.nfs.v3: true")


def _check_time_server(config, nodes, chk):
    server = config.get("network", {}).get("ntp_server_node")
    if server and server not in set(n.get("hostname") for n in nodes):
        chk.error(("network", "ntp_server_node"), "time server node '%s' is not a node of the cluster" % server,
                  "use the host name of one of the nodes")


def _check_registry(config, roles, chk):
    local = config.get("registry", {}).get("local", {})
    has_node = any("registry" in r for r in roles)
    if local.get("enabled") and not has_node:
        chk.error(("registry", "local", "enabled"), "a local registry is enabled but no node has the registry role",
                  "add the role registry to one node")
    if has_node and not local.get("enabled"):
        chk.warning(("registry", "local", "enabled"), "a node has the registry role but the local registry is off",
                    "set registry.local.enabled: true, or remove the role")
    if local.get("username") and not local.get("password"):
        chk.error(("registry", "local", "password"), "a registry user is set without a password",
                  "set registry.local.password (vault-encrypted), or remove both to have them generated")
    if local.get("password") and not local.get("username"):
        chk.error(("registry", "local", "username"), "a registry password is set without a user",
                  "set registry.local.username, or remove both to have them generated")
    if ":" in (local.get("username") or ""):
        chk.error(("registry", "local", "username"), "contains ':', which basic authentication and htpasswd "
                  "cannot carry in a user name", "choose a user name without ':'")
    if local.get("enabled") and local.get("tls") is False:
        chk.error(("registry", "local", "tls"), "is false: the registry always asks for credentials, and "
                  "without TLS they cross the network in clear (auth over plain HTTP)",
                  "remove registry.local.tls (TLS with a certificate from the site CA is the default)")
    if local.get("anonymous_pull") and local.get("anonymous_pull_port", 5001) == local.get("port", 5000):
        chk.error(("registry", "local", "anonymous_pull_port"), "is the registry's own port (%s)"
                  % local.get("port", 5000), "give the anonymous read-only registry a port of its own")
    listen = local.get("listen_address")
    node_ips = [n.get("ip") for n, r in zip(config.get("nodes") or [], roles) if "registry" in r]
    if listen and listen not in ("0.0.0.0", "::") and node_ips and listen not in node_ips:
        chk.warning(("registry", "local", "listen_address"), "%s is not the registry node's address (%s), where "
                    "every node's container runtime reaches the registry" % (listen, ", ".join(map(str, node_ips))),
                    "remove registry.local.listen_address (the node's address is the default)")
    for section in ("local", "company"):
        password = config.get("registry", {}).get(section, {}).get("password")
        if isinstance(password, str) and placeholder_password(password):
            chk.error(("registry", section, "password"), "is '%s', a well-known placeholder anyone would try"
                      % password, "set a real password (vault-encrypted)"
                      + (", or remove username and password to have them generated" if section == "local" else ""))


# Passwords anyone would try first (compared without case and without surrounding blanks).
PLACEHOLDER_PASSWORDS = frozenset((
    "change-me", "changeme", "change_me", "change me", "changeit", "change-it", "admin", "administrator",
    "password", "passw0rd", "p@ssw0rd", "p@ssword", "pass", "123456", "12345678", "123456789", "1234",
    "12345", "qwerty", "letmein", "welcome", "default", "registry", "secret", "test", "root", "toor",
    "docker", "harbor", "harbor12345", "pusher", "guest", "user", "xxx", "xxxx", "todo", "fixme", "none",
    "null", "example", "your-password", "yourpassword", "<password>", "replace-me", "replaceme",
))


def placeholder_password(password):
    """True for a password anyone would try first (a placeholder left in a sample config)."""
    return password.strip().lower() in PLACEHOLDER_PASSWORDS


def _check_ha(config, roles, chk):
    cluster = config.get("cluster", {})
    several = sum(1 for r in roles if "control_plane" in r) > 1
    if several and cluster.get("ha_mode") == "kube-vip" and not cluster.get("vip") \
            and not cluster.get("control_plane_endpoint"):
        chk.error(("cluster", "vip"), "ha_mode kube-vip with several control-plane nodes needs a virtual IP",
                  "set cluster.vip to a free address on the node network, or use ha_mode: local-proxy")
    if cluster.get("vip") and cluster.get("ha_mode", "local-proxy") != "kube-vip":
        chk.warning(("cluster", "vip"), "vip is set but ha_mode is not kube-vip, so nothing holds it",
                    "set cluster.ha_mode: kube-vip, or remove cluster.vip")
    _check_vip(config, chk)


def _check_vip(config, chk):
    """The virtual IP kube-vip holds: a free address of the node network, not a node's own."""
    vip = config.get("cluster", {}).get("vip")
    if not vip or not HAS_NETADDR:
        return
    for index, node in enumerate(config.get("nodes", [])):
        if node.get("ip") == vip:
            chk.error(("cluster", "vip"), "virtual IP %s is the address of node %s: kube-vip would take it from "
                      "the node (or the API would answer only while that node lives)" % (vip, node.get("hostname")),
                      "choose a free address on the node network for cluster.vip")
    node_nets = []
    for cidr in config.get("network", {}).get("node_networks", []):
        try:
            node_nets.append(netaddr.IPNetwork(cidr))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            pass
    try:
        addr = netaddr.IPAddress(vip)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return
    if node_nets and not any(addr in net for net in node_nets):
        chk.error(("cluster", "vip"), "virtual IP %s is outside network.node_networks (%s): kube-vip announces it "
                  "with ARP on the node network, so nothing outside that network would reach it"
                  % (vip, ", ".join(str(n.cidr) for n in node_nets)),
                  "choose a free address inside network.node_networks for cluster.vip")


def _check_services(config, nodes, chk):
    services = config.get("services", {})
    app = services.get("application") or {}
    if app.get("chart") and app.get("manifests_dir"):
        chk.error(("services", "application"), "names both a Helm chart and a manifests directory",
                  "keep one of services.application.chart and services.application.manifests_dir")
    if app.get("chart_repo") and not app.get("chart"):
        chk.error(("services", "application", "chart_repo"), "names a chart repository but no chart",
                  "set services.application.chart to the chart's name in that repository")
    has_npu = any((n.get("accelerator") or {}).get("vendor") == "huawei" for n in nodes)
    if has_npu and services.get("monitoring", True) and not services.get("npu_exporter_image"):
        chk.warning(("services", "npu_exporter_image"), "the cluster has NPU nodes and monitoring is on, but no NPU "
                    "exporter image is given: NPUs will not be monitored",
                    "set services.npu_exporter_image to the image your site uses for Huawei's npu-exporter")


def _check_offline(config, nodes, roles, chk):
    offline = config.get("offline", {})
    if not offline.get("enabled"):
        return
    if not offline.get("bundle"):
        chk.error(("offline", "bundle"), "the offline install is enabled but names no bundle",
                  "set offline.bundle to the archive made by playbooks/offline_bundle.yml")
    if not config.get("registry", {}).get("local", {}).get("enabled"):
        chk.error(("offline", "enabled"), "the offline install pushes the bundle's images into the local registry, "
                  "which is off", "set registry.local.enabled: true and give one node the registry role")
    elif config["registry"]["local"].get("proxy_remote_url"):
        chk.error(("registry", "local", "proxy_remote_url"), "a pull-through cache refuses the pushes of the "
                  "offline install", "remove registry.local.proxy_remote_url when offline.enabled is true")
    repo = offline.get("repo_node")
    if repo and repo not in set(n.get("hostname") for n in nodes):
        chk.error(("offline", "repo_node"), "repository node '%s' is not a node of the cluster" % repo,
                  "use the host name of one of the nodes (or leave it out: the registry node serves it)")


def _host_groups(node, roles):
    groups = []  # k8s_cluster holds its hosts through its children
    if "control_plane" in roles:
        groups.append("kube_control_plane")
    if "worker" in roles:
        groups.append("kube_node")
    for role in ("etcd", "nfs_server", "registry"):
        if role in roles:
            groups.append(role)
    vendor = node.get("accelerator", {}).get("vendor", "none")
    if vendor == "nvidia":
        groups.append("nvidia_gpu")
    elif vendor == "huawei":
        groups.append("ascend_npu")
    groups.append("arch_" + node.get("arch", "amd64"))
    model = acc_model(node)
    if model:
        groups.append("accelerator_" + "".join(c if c.isalnum() else "_" for c in model.lower()))
    return groups


def acc_model(node):
    """The node's accelerator model as the inventory shows it (Ascend names normalised)."""
    acc = node.get("accelerator", {})
    model = acc.get("model")
    if acc.get("vendor") == "huawei":
        return normalize_ascend_model(model or "Ascend910") or model
    return model if acc.get("vendor") == "nvidia" else None


def node_labels(config, node, roles, cluster_has_npu):
    """The Kubernetes labels a platform expects on ``node``."""
    acc = node.get("accelerator", {})
    vendor = acc.get("vendor", "none")
    model = acc.get("model")
    labels = {}
    if vendor == "nvidia":
        labels["gpu"] = "true"
        labels["nvidia.com/gpu.present"] = "true"
        if model:
            labels["gpu-type"] = _label_value(model)
    elif vendor == "huawei":
        labels["npu"] = "true"
        ascend = normalize_ascend_model(model or "Ascend910") or "Ascend910"
        # MindX conventions: 910 and 910B share the 910 device plugin label.
        family = "Ascend910" if ascend.startswith("Ascend910") else ascend
        labels["accelerator"] = "huawei-" + family
        labels["host-arch"] = "huawei-arm" if node.get("arch") == "arm64" else "huawei-x86"
        if "worker" in roles:
            labels["workerselector"] = "dls-worker-node"
    else:
        labels["cpu"] = "true"
    workloads = node.get("workloads")
    if workloads is None:
        workloads = list(WORKLOADS) if "worker" in roles else []
    for workload in workloads:
        labels[workload] = "true"
    labels["org"] = node.get("org", "public")
    if "control_plane" in roles:
        labels.update(config.get("cluster", {}).get("control_plane_labels", {}))
        if cluster_has_npu:
            labels["masterselector"] = "dls-master-node"
    labels.update(node.get("labels", {}))
    return labels


def _label_value(text):
    out = "".join(c if c.isalnum() or c in "-_." else "-" for c in str(text)).strip("-_.")
    return out[:63]


def _host_vars(config, node, roles, has_npu):
    cluster = config.get("cluster", {})
    ssh = config.get("ssh", {})
    name = node["hostname"]
    domain = cluster.get("domain")
    fqdn = "%s.%s" % (name, domain) if domain else name
    acc = node.get("accelerator", {})
    vendor = acc.get("vendor", "none")
    model = acc_model(node)
    hv = {}
    if node.get("ip"):
        hv["node_ip"] = node["ip"]
    hv["ansible_host"] = node.get("ip") or fqdn
    if ssh.get("user"):
        hv["ansible_user"] = ssh["user"]
    hv["ansible_port"] = ssh.get("port", 22)
    become = ssh.get("become")
    if become is None:
        become = ssh.get("user") not in (None, "root")
    hv["ansible_become"] = become
    if become:
        hv["ansible_become_method"] = ssh.get("become_method", "sudo")
    if ssh.get("private_key_file"):
        hv["ansible_ssh_private_key_file"] = ssh["private_key_file"]
    if ssh.get("common_args"):
        hv["ansible_ssh_common_args"] = ssh["common_args"]
    hv["node_fqdn"] = fqdn
    hv["node_arch"] = node.get("arch", "amd64")
    if node.get("os"):
        hv["node_os"] = node["os"]
    hv["node_roles"] = sorted(roles)
    hv["node_accelerator"] = {"vendor": vendor, "model": model or "", "count": acc.get("count", 0)}
    hv["node_labels"] = node_labels(config, node, roles, has_npu)
    taints = list(node.get("taints", []))
    if "control_plane" in roles and ("worker" not in roles or not cluster.get("control_plane_schedulable", True)):
        taints.append({"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"})
    hv["node_taints"] = taints
    hv["node_npu_nics"] = copy.deepcopy(node.get("npu_nics", []))
    return hv


def proxied_upstream(url):
    """The upstream registry name a pull-through cache of ``url`` serves (registry-1.docker.io = docker.io)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return "docker.io" if host in ("registry-1.docker.io", "index.docker.io") else host


def image_pull_order(registry, mirrors, images=()):
    """Endpoints per upstream registry: local registry, company registry, mirrors, upstream.

    The upstreams are ``registry.public``, the registries of ``mirrors.images``, a pull-through
    cache's upstream, and the registries of ``images`` (the images the collection's own manifests
    run, so that a registry such as the Ascend device plugin's is resolved through the site
    registry without the user having to know it).

    The local registry keeps every upstream's images under the upstream's name
    (``<local>/docker.io/library/busybox``), so one registry serves them all without
    clashes: its endpoint carries that ``path``. A pull-through cache serves only the
    registry it caches, at the root (``proxy``).
    """
    order = {}
    local = registry.get("local", {})
    company = registry.get("company", {})
    proxied = proxied_upstream(local["proxy_remote_url"]) if local.get("proxy_remote_url") else None
    upstreams = list(registry.get("public", []))
    own = [image.split("/", 1)[0] for image in images if "/" in image and "." in image.split("/", 1)[0]]
    for upstream in list(mirrors.get("images", {})) + ([proxied] if proxied else []) + own:
        if upstream not in upstreams:
            upstreams.append(upstream)
    for upstream in upstreams:
        endpoints = []
        if local.get("enabled") and not proxied:
            endpoints.append({"kind": "local", "path": upstream})
        elif local.get("enabled") and upstream == proxied:
            endpoints.append({"kind": "local", "proxy": True})
        if company.get("url"):
            endpoints.append({"kind": "company", "host": company["url"], "insecure": company.get("insecure", False)})
        for url in mirrors.get("images", {}).get(upstream, []):
            endpoints.append({"kind": "mirror", "url": url})
        endpoints.append({"kind": "public", "host": upstream})
        order[upstream] = endpoints
    return order


def _group_vars(config, model):
    cluster = dict(config.get("cluster", {}))
    control = model.groups["kube_control_plane"]
    # One control-plane node: the endpoint is that node. Several: left empty, so that the kubeadm role uses the
    # endpoint of cluster.ha_mode (the local proxy on every node, or kube-vip's virtual IP) rather than
    # pinning every node to the first control-plane node.
    if not cluster.get("control_plane_endpoint") and len(control) == 1:
        first = model.hosts[control[0]]
        cluster["control_plane_endpoint"] = "%s:%d" % (first.get("node_ip", first["ansible_host"]),
                                                       cluster.get("api_port", 6443))
    # network.node_networks (and a share's clients, which default to it) stay empty when the config leaves it
    # unset: its default, one /32 per node, is a list of N entries that every one of N hosts would carry (the
    # inventory would grow with N x N). The roles work it out once per play from the nodes' node_ip (filter
    # node_host_networks).
    network = dict(config.get("network", {}))
    network["node_networks"] = list(network.get("node_networks") or [])
    storage = copy.deepcopy(config.get("storage", {}))
    for share in storage.get("nfs", {}).get("shares", []):
        if not share.get("clients"):
            share["clients"] = list(network["node_networks"])
    registry = config.get("registry", {})
    mirrors = config.get("mirrors", {})
    registry_hosts = model.groups["registry"]
    offline = dict(config.get("offline", {}))
    if offline.get("enabled") and not offline.get("repo_node"):
        offline["repo_node"] = (registry_hosts or control or [""])[0]
    elif not offline.get("enabled"):
        offline.pop("repo_node", None)
    gv = {
        "platform_cluster": cluster,
        "platform_network": network,
        "platform_storage": storage,
        "platform_backup": config.get("backup", {}),
        "platform_registry": registry,
        "platform_registry_host": registry_hosts[0] if registry_hosts else "",
        "platform_mirrors": mirrors,
        "platform_offline": offline,
        "platform_image_pull_order": image_pull_order(registry, mirrors, platform_manifests.IMAGES.values()),
        "platform_container_runtime": config.get("container_runtime", {}),
        "platform_accelerators": config.get("accelerators", {}),
        "platform_services": config.get("services", {}),
        "platform_requirements": config.get("requirements", {}),
        "platform_passthrough": config.get("platform", {}),
    }
    return gv
