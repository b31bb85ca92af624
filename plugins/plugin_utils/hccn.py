# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""The NPU NIC plan: what hccn_tool reports, what to change, /etc/hccn.conf, and the HCCL rank table. Pure.

Facts (shared/reference/accelerators.md): ``hccn_tool -i <n> -ip -g`` prints ``ipaddr:<a>`` and
``netmask:<m>``; ``-ip -s address <a> netmask <m>``, ``-netdetect -s address <a>`` and
``-gateway -s gateway <g>`` set them; ``/etc/hccn.conf`` holds ``address_<n>``, ``netmask_<n>``,
``netdetect_<n>``, ``gateway_<n>``; the multi-node rank table (``hccl.json``, version "1.0") lists
per server its devices' ``device_id``, ``device_ip`` and ``rank_id``, and each ``device_ip`` must be
that device's ``address_<n>``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover
    HAS_NETADDR = False


class HccnError(ValueError):
    """A plan or an output that cannot be used."""


def parse_ip_get(text):
    """``hccn_tool -i n -ip -g`` -> ``{address, netmask}`` (None where absent)."""
    values = {}
    for line in str(text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip().lower()] = value.strip()
    return {"address": values.get("ipaddr") or None, "netmask": values.get("netmask") or None}


def parse_hccn_conf(text):
    """``/etc/hccn.conf`` -> ``{device: {address, netmask, detect, gateway}}``."""
    names = {"address": "address", "netmask": "netmask", "netdetect": "detect", "gateway": "gateway"}
    devices = {}
    for line in str(text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or "_" not in key:
            continue
        name, _us, device = key.rpartition("_")
        if name in names and device.isdigit():
            devices.setdefault(int(device), {})[names[name]] = value.strip()
    return devices


def render_hccn_conf(nics):
    """The ``/etc/hccn.conf`` lines for a node's plan, devices in order."""
    lines = []
    for nic in sorted(nics, key=lambda n: n["device"]):
        device = nic["device"]
        lines.append("address_%d=%s" % (device, nic["address"]))
        lines.append("netmask_%d=%s" % (device, nic["netmask"]))
        if nic.get("detect"):
            lines.append("netdetect_%d=%s" % (device, nic["detect"]))
        if nic.get("gateway"):
            lines.append("gateway_%d=%s" % (device, nic["gateway"]))
    return "\n".join(lines) + ("\n" if lines else "")


def plan_commands(nics, current, configured=None):
    """hccn_tool invocations that bring the NICs to the plan, only where the value differs.

    ``current``: ``{device: {address, netmask}}`` as ``-ip -g`` reports; ``configured``: what
    ``/etc/hccn.conf`` says (detect and gateway have no getter we rely on).
    """
    configured = configured or {}
    commands = []
    for nic in sorted(nics, key=lambda n: n["device"]):
        device = str(nic["device"])
        now = current.get(nic["device"], {})
        conf = configured.get(nic["device"], {})
        if now.get("address") != nic["address"] or now.get("netmask") != nic["netmask"]:
            commands.append(["hccn_tool", "-i", device, "-ip", "-s", "address", nic["address"], "netmask",
                             nic["netmask"]])
        if nic.get("detect") and conf.get("detect") != nic["detect"]:
            commands.append(["hccn_tool", "-i", device, "-netdetect", "-s", "address", nic["detect"]])
        if nic.get("gateway") and conf.get("gateway") != nic["gateway"]:
            commands.append(["hccn_tool", "-i", device, "-gateway", "-s", "gateway", nic["gateway"]])
    return commands


def check_subnets(servers):
    """Devices with the same id on different servers must share a subnet, or HCCL cannot connect them.

    ``servers``: ``[(name, nics)]``. Returns a list of problems (empty when consistent).
    """
    if not HAS_NETADDR:  # pragma: no cover
        return []
    seen = {}
    problems = []
    for name, nics in servers:
        for nic in nics:
            network = netaddr.IPNetwork("%s/%s" % (nic["address"], nic["netmask"])).cidr
            first = seen.setdefault(nic["device"], (name, network))
            if first[1] != network:
                problems.append("NPU %d of %s is on %s but NPU %d of %s is on %s" % (
                    nic["device"], name, network, nic["device"], first[0], first[1]))
    return problems


def rank_table(servers):
    """The HCCL rank table (hccl.json, version 1.0) for ``[(server_id, nics)]``, ranks in order.

    ``server_id`` is the node's cluster address. Raises HccnError on an inconsistent plan.
    """
    problems = check_subnets(servers)
    if problems:
        raise HccnError("; ".join(problems))
    server_list = []
    rank = 0
    for server_id, nics in servers:
        if not nics:
            raise HccnError("server %s has no NPU NIC plan" % server_id)
        devices = []
        for nic in sorted(nics, key=lambda n: n["device"]):
            devices.append({"device_id": str(nic["device"]), "device_ip": nic["address"], "rank_id": str(rank)})
            rank += 1
        server_list.append({"device": devices, "server_id": server_id})
    return {"server_count": str(len(server_list)), "server_list": server_list, "status": "completed",
            "version": "1.0"}
