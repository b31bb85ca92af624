# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Preflight: judge what was probed on a node against the platform's requirements.

Over 600 lines: the checks, the judge that runs them over every node once and the three renderers of the
one readiness report are read together (a column, its check and its words in the report).

Pure functions. The ``preflight`` role reads a *probe* per node in one module call (``node_probe``: facts,
drivers, listening ports, connectivity to the peers :func:`peers` lists once for all nodes) without
changing anything; :func:`judge` turns every node's probe into check results once, on the control
machine (:func:`evaluate_node` per node, :func:`unreachable` for a node that did not answer); the report
renderers turn all of them into the readiness report (JSON, Markdown, HTML).

A check result is ``{"check", "status", "detail", "fix"}`` with status
``pass``, ``warn``, ``fail`` or ``skip``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from html import escape as _html_escape
except ImportError:  # pragma: no cover - Python 2 controller is not supported
    from cgi import escape as _html_escape

from ansible_collections.aiplatform.cluster.plugins.module_utils.ascend import installer_arch
# The node-side parsers of the probe (module node_probe), also this module's (the filters df_free_gb and
# listening_ports): one copy, on the node's side of the layers.
from ansible_collections.aiplatform.cluster.plugins.module_utils.node_probe import (  # noqa: F401 - re-exported
    KUBERNETES_PACKAGES,
    parse_df_free_gb,
    parse_listening_ports,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.cluster_ports import peer_ports, port_table
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.driver_version import (
    DriverVersionError,
    driver_at_least,
)
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import report_header

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"
_RANK = {SKIP: 0, PASS: 1, WARN: 2, FAIL: 3}

# Column order of the report.
CHECKS = (
    ("os", "OS release"),
    ("arch", "CPU arch"),
    ("hostname", "Host name"),
    ("driver", "Driver"),
    ("accelerators", "Accelerators"),
    ("secure_boot", "SecureBoot"),
    ("swap", "Swap"),
    ("time_sync", "Time sync"),
    ("memory", "Memory"),
    ("disk", "Disk"),
    ("ports", "Ports free"),
    ("network", "Node network"),
    ("reachable", "Ports reachable"),
    ("mirrors", "Mirrors"),
    ("sources", "Install sources"),
)

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def result(check, status, detail, fix=""):
    return {"check": check, "status": status, "detail": detail, "fix": fix}


def os_name(distribution, version):
    """('Ubuntu', '22.04') -> 'ubuntu2204'; ('Debian', '12') -> 'debian12'; openEuler 22.03 -> 'openeuler2203'."""
    dist = re.sub(r"[^a-z]", "", str(distribution or "").lower())
    parts = str(version or "").split(".")
    if dist == "debian":
        return "debian%s" % parts[0]
    return "%s%s" % (dist, "".join(p.zfill(2) for p in parts[:2]))


def required_ports(roles, cluster, network=None, registry_port=None):
    """Ports a node of ``roles`` must have free before the install: ``[(port, purpose)]``."""
    return sorted(set((int(port), purpose) for port, _proto, purpose, listens
                      in port_table(roles, cluster, network, registry_port) if listens))


def evaluate_node(node, probe, requirements, cluster=None):  # noqa: C901 - one check after the other
    """All check results for one node.

    ``node``: the inventory view (hostname, node_arch, node_os, node_roles,
    node_accelerator). ``probe``: what the preflight role gathered.
    ``requirements``: the config's ``requirements`` section.
    """
    cluster = cluster or {}
    results = []
    acc = node.get("node_accelerator") or {"vendor": "none", "count": 0}
    vendor = acc.get("vendor", "none")
    kind = {"nvidia": "nvidia", "huawei": "huawei"}.get(vendor, "cpu")
    roles = node.get("node_roles") or []

    # OS and release per node type; every role installs with apt
    actual_os = os_name(probe.get("distribution"), probe.get("distribution_version"))
    supported = (requirements.get("supported_os") or {}).get(kind)
    pretty = "%s %s" % (probe.get("distribution"), probe.get("distribution_version"))
    family = probe.get("os_family")
    if family and family != APT_FAMILY:
        results.append(result("os", FAIL, "%s (%s family) is not supported: the roles install with apt, and no role "
                                          "for its package manager exists yet" % (pretty, family),
                              "install one of %s on the node" % ", ".join(supported or ("Debian", "Ubuntu"))))
    elif supported is not None and actual_os not in supported:
        results.append(result("os", FAIL, "%s (%s) is not supported on %s nodes" % (pretty, actual_os, kind),
                              "install one of %s, or extend requirements.supported_os.%s" % (
                                  ", ".join(supported), kind)))
    elif node.get("node_os") and node["node_os"] != actual_os:
        results.append(result("os", WARN, "%s, but the config says %s" % (pretty, node["node_os"]),
                              "correct the node's os in the config"))
    else:
        results.append(result("os", PASS, pretty))

    # CPU architecture
    arch = _ARCH.get(str(probe.get("architecture")), str(probe.get("architecture")))
    if arch != node.get("node_arch", "amd64"):
        results.append(result("arch", FAIL, "%s, but the config says %s" % (probe.get("architecture"),
                                                                             node.get("node_arch")),
                              "set the node's arch to %s in the config" % arch))
    elif installer_mismatch(node, arch):
        results.append(result("arch", FAIL, installer_mismatch(node, arch),
                              "set accelerators.ascend_docker_runtime_package to the installer for %s (linux-%s), "
                              "or delete it if the runtime is installed on the node" % (
                                  arch, "aarch64" if arch == "arm64" else "x86_64")))
    else:
        results.append(result("arch", PASS, arch))

    # host name
    hostname = str(probe.get("hostname") or "")
    want = node.get("hostname")
    if not _LABEL.match(hostname):
        results.append(result("hostname", FAIL, "'%s' is not a lowercase RFC 1123 name" % hostname,
                              "the node_init role sets it to '%s'" % want))
    elif hostname != want:
        results.append(result("hostname", WARN, "'%s', the config says '%s'" % (hostname, want),
                              "the node_init role renames it to '%s'" % want))
    else:
        results.append(result("hostname", PASS, hostname))

    results.extend(_accelerator_checks(kind, acc, probe, requirements))

    # SecureBoot (GPU nodes: unsigned NVIDIA modules do not load when it is on)
    if kind == "nvidia":
        state = probe.get("secure_boot")
        if state == "enabled":
            results.append(result("secure_boot", WARN, "SecureBoot is on",
                                  "sign the NVIDIA kernel modules (DKMS MOK) or turn SecureBoot off in the firmware"))
        elif state == "disabled":
            results.append(result("secure_boot", PASS, "off"))
        else:
            results.append(result("secure_boot", PASS, "no EFI SecureBoot (legacy boot or not reported)"))
    else:
        results.append(result("secure_boot", SKIP, "not a GPU node"))

    # swap
    swap = probe.get("swap_mb") or 0
    if swap:
        results.append(result("swap", WARN, "%d MiB of swap active" % swap,
                              "node_init turns swap off for good (kubelet needs it off)"))
    else:
        results.append(result("swap", PASS, "off"))

    # time synchronisation
    sync = probe.get("time_sync") or {}
    if sync.get("synchronized") is True:
        results.append(result("time_sync", PASS, "synchronised (%s)" % sync.get("source", "?")))
    elif sync.get("synchronized") is False:
        results.append(result("time_sync", WARN, "clock not synchronised (%s)" % sync.get("source", "?"),
                              "node_init configures chrony with the site's time servers"))
    else:
        results.append(result("time_sync", WARN, "no time service answered",
                              "node_init installs and configures chrony"))

    # memory and disk per role
    results.append(_minimum("memory", "memory", probe.get("memory_mb", 0) / 1024.0, roles,
                            requirements.get("min_memory_gb") or {}, "GiB", "add memory or relax "
                            "requirements.min_memory_gb"))
    results.append(_minimum("disk", "free disk on /", probe.get("disk_free_gb", 0), roles,
                            requirements.get("min_disk_gb") or {}, "GiB", "free space on / or relax "
                            "requirements.min_disk_gb"))

    # ports the cluster needs
    wanted = required_ports(roles, cluster, registry_port=probe.get("registry_port"))
    listening = set(probe.get("listening_ports") or [])
    taken = [(port, purpose) for port, purpose in wanted if port in listening]
    if taken:
        results.append(result("ports", FAIL, "in use: %s" % ", ".join("%d (%s)" % t for t in taken),
                              "stop what listens there (an old cluster? run playbooks/reset.yml)"))
    else:
        results.append(result("ports", PASS, "%d ports free" % len(wanted)))

    results.append(_peers(probe.get("peers")))
    results.append(_reachable(node.get("hostname"), probe.get("peers")))
    results.append(_targets("mirrors", probe.get("urls"), "mirrors", "open the firewall to the mirror, or set "
                            "the mirror in the config (mirrors.*) to one the site can reach"))
    results.append(install_sources(kind, node.get("install"), probe))
    return results


APT_FAMILY = "Debian"  # Ansible's os_family of Debian and Ubuntu


def installer_mismatch(node, arch):
    """On an NPU node, why the config's Ascend installer cannot run on this CPU (a sentence), or ``""``."""
    if (node.get("node_accelerator") or {}).get("vendor") != "huawei":
        return ""
    path = (node.get("install") or {}).get("ascend_installer") or ""
    built = installer_arch(path)
    if not path or built is None or built == arch:
        return ""
    return "node %s is %s, but the Ascend Docker Runtime installer %s is built for %s" % (
        node.get("hostname"), arch, path.replace("\\", "/").rsplit("/", 1)[-1], built)


def _flag(value):
    """A boolean as Ansible may hand it over (``True``, ``"true"``, ``"False"``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def parse_dpkg_versions(text):
    """``{package: version}`` of the installed packages in ``dpkg-query -W -f='${Package} ${Version}
    ${db:Status-Abbrev}\n'`` output (status ``ii``)."""
    out = {}
    for line in str(text or "").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2].startswith("ii"):
            out[fields[0]] = fields[1]
    return out


def install_sources(kind, install, probe):
    """What later stages install on this node, and whether they can: a download the config has no
    sha256 pin for stops that stage (config/prerequisites.py, PINS), unless the software is already here.

    ``install`` (from the role): ``kubernetes_version``, ``kubernetes_from_repository`` (lifecycle on
    and not offline), ``kubernetes_key_pinned``, ``nvidia_install``, ``nvidia_key_pinned``,
    ``ascend_installer``. ``probe``: ``kubernetes_packages`` (dpkg-query text), ``nvidia_runtime`` and
    ``ascend_runtime`` (the runtime binary is there).
    """
    if not install:
        return result("sources", SKIP, "not checked")
    install = dict((k, _flag(v) if k != "ascend_installer" and k != "kubernetes_version" else v)
                   for k, v in install.items())
    ok, bad, fixes = [], [], []
    version = str(install.get("kubernetes_version") or "")
    if install.get("kubernetes_from_repository") and version:
        installed = parse_dpkg_versions(probe.get("kubernetes_packages"))
        minor = ".".join(version.split(".")[:2])
        missing = [p for p in KUBERNETES_PACKAGES
                   if not str(installed.get(p, "")).startswith((minor + ".") if p == "cri-tools" else (version + "-"))]
        if not missing:
            ok.append("Kubernetes %s packages installed" % version)
        elif install.get("kubernetes_key_pinned"):
            ok.append("%s %s from the repository (key pinned)" % (", ".join(missing), version))
        else:
            bad.append("%s %s must be installed and mirrors.kubernetes_packages_key_sha256 is not set: the kubeadm "
                       "stage would stop" % (", ".join(missing), version))
            fixes.append("set mirrors.kubernetes_packages_key_sha256 to the sha256sum of the repository's Release.key "
                         "(kubeadm_repo_key_sha256 in group_vars for a DLWS/OpenPAI file), or install the packages "
                         "on the node")
    if kind == "nvidia":
        if _flag(probe.get("nvidia_runtime")):
            ok.append("NVIDIA container toolkit installed")
        elif not install.get("nvidia_install"):
            bad.append("the NVIDIA container toolkit is missing and nvidia_runtime_install is false: the nvidia_runtime "
                       "stage would stop")
            fixes.append("install nvidia-container-toolkit on the node, or let the stage install it")
        elif install.get("nvidia_key_pinned"):
            ok.append("NVIDIA container toolkit from its repository (key pinned)")
        else:
            bad.append("the NVIDIA container toolkit must be installed and accelerators.nvidia_repo_key_sha256 is not "
                       "set: the nvidia_runtime stage would stop")
            fixes.append("set accelerators.nvidia_repo_key_sha256 to the sha256sum of the repository's gpgkey, or "
                         "install nvidia-container-toolkit on the node")
    if kind == "huawei":
        if _flag(probe.get("ascend_runtime")):
            ok.append("Ascend Docker Runtime installed")
        elif install.get("ascend_installer"):
            ok.append("Ascend Docker Runtime from %s" % install["ascend_installer"])
        else:
            bad.append("the Ascend Docker Runtime is not installed and accelerators.ascend_docker_runtime_package is "
                       "not set: the ascend_runtime stage would stop")
            fixes.append("set accelerators.ascend_docker_runtime_package to the vendor's Ascend-docker-runtime_*.run "
                         "for this node's architecture, or install the runtime on the node")
    if bad:
        return result("sources", FAIL, "; ".join(bad), "; ".join(fixes))
    return result("sources", PASS, "; ".join(ok) or "nothing to install")


def _accelerator_checks(kind, acc, probe, requirements):
    if kind == "cpu":
        return [result("driver", SKIP, "no accelerator"), result("accelerators", SKIP, "no accelerator")]
    info = probe.get(kind) or {}
    minimum = str(requirements.get("%s_driver_min" % ("nvidia" if kind == "nvidia" else "ascend"), ""))
    key = "requirements.%s_driver_min" % ("nvidia" if kind == "nvidia" else "ascend")
    installed = info.get("driver_version")
    out = []
    name = "NVIDIA" if kind == "nvidia" else "Ascend"
    if not installed:
        problems = "; ".join(info.get("problems") or []) or "no driver found"
        out.append(result("driver", FAIL, "%s driver missing: %s" % (name, problems),
                          "install the %s driver (at least %s)" % (name, minimum)))
    else:
        try:
            ok = driver_at_least(installed, minimum, "nvidia" if kind == "nvidia" else "huawei")
        except DriverVersionError as exc:
            out.append(result("driver", FAIL, str(exc), "check %s and the installed driver" % key))
        else:
            if ok:
                out.append(result("driver", PASS, "%s %s >= %s" % (name, installed, minimum)))
            else:
                out.append(result("driver", FAIL, "%s driver %s is older than the required %s" % (
                    name, installed, minimum), "upgrade the driver, or lower %s" % key))
    want = acc.get("count") or 0
    visible = info.get("gpu_count" if kind == "nvidia" else "npu_count")
    on_bus = info.get("pci_gpu_count" if kind == "nvidia" else "pci_npu_count")
    unit = "GPUs" if kind == "nvidia" else "NPUs"
    if not want:
        out.append(result("accelerators", WARN, "count unknown in the config; %s visible, %s on the PCI bus" % (
            visible, on_bus), "set the node's accelerator count in the config"))
    elif visible == want:
        out.append(result("accelerators", PASS, "%d %s" % (want, unit)))
    elif visible is None:
        out.append(result("accelerators", FAIL, "no %s visible (config: %d, PCI bus: %s)" % (unit, want, on_bus),
                          "install or repair the driver"))
    else:
        out.append(result("accelerators", FAIL, "%s %s visible, the config says %d (PCI bus: %s)" % (
            visible, unit, want, on_bus), "check the hardware and driver, or correct the count in the config"))
    return out


def _minimum(check, what, value, roles, minimums, unit, fix):
    if value is None:  # the probe did not answer (df on a hung mount)
        return result(check, FAIL, "%s could not be read: the command did not answer in time" % what,
                      "look for a hung mount or a stuck disk (dmesg, mount), then run preflight again")
    needed = max([minimums.get(r, 0) for r in roles] or [0])
    if value + 1e-9 < needed:
        return result(check, FAIL, "%.1f %s %s, %s needs %s" % (value, unit, what, "/".join(roles) or "node",
                                                                needed), fix)
    return result(check, PASS, "%.1f %s" % (value, unit))


def _targets(check, outcomes, what, fix):
    if outcomes is None:
        return result(check, SKIP, "not checked")
    if not outcomes:
        return result(check, PASS, "no %s to check" % what)
    bad = [o for o in outcomes if not o.get("ok")]
    if bad:
        return result(check, FAIL, "; ".join("%s: %s" % (o.get("target"), o.get("error", "failed")) for o in bad),
                      fix)
    return result(check, PASS, "%d %s reachable" % (len(outcomes), what))


def _peers(outcomes):
    """Unreachable peers fail; names that do not resolve only warn: node_init writes /etc/hosts."""
    if outcomes is None:
        return result("network", SKIP, "not checked")
    if not outcomes:
        return result("network", PASS, "no other node")
    down = [o for o in outcomes if not o.get("ok")]
    if down:
        return result("network", FAIL, "; ".join("%s: %s" % (o.get("target"), o.get("error") or "unreachable")
                                                 for o in down),
                      "open the node network between the nodes (firewall, routes) for SSH and the cluster ports")
    unresolved = [o for o in outcomes if o.get("resolve_error")]
    if unresolved:
        return result("network", WARN, "; ".join(o["resolve_error"] for o in unresolved),
                      "fine on sites without DNS: node_init writes every node into /etc/hosts; otherwise fix DNS")
    return result("network", PASS, "%d node(s) resolve and answer" % len(outcomes))


def _reachable(host, outcomes):
    """The cluster ports of every other node, as this node reaches them (a firewall between them?)."""
    if outcomes is None:
        return result("reachable", SKIP, "not checked")
    tried = [(o, p) for o in outcomes for p in (o.get("ports") or [])]
    if not tried:
        return result("reachable", PASS, "no cluster port to check")
    blocked = [(o, p) for o, p in tried if not p.get("ok")]
    if not blocked:
        return result("reachable", PASS, "%d cluster port(s) of %d node(s) reachable" % (
            len(tried), len([o for o in outcomes if o.get("ports")])))
    detail = "; ".join("%s -> %s port %s/tcp (%s): %s%s" % (
        host, o.get("target"), p.get("port"), p.get("purpose") or "?", p.get("state"),
        (", " + p["error"]) if p.get("error") else "") for o, p in blocked)
    fix = ("open %s from %s in the firewalls between them (the site's, or set network.firewall: managed to let "
           "ufw open exactly the cluster's ports to the node networks); docs/node-init.md lists every port" % (
               ", ".join(sorted(set("%s/tcp on %s" % (p.get("port"), o.get("target")) for o, p in blocked))),
               host))
    return result("reachable", FAIL, detail, fix)


def build_report(cluster_name, nodes, downgrade=False, generated=None, collection_version=None, config_file=None):
    """The readiness report: ``nodes`` maps host -> list of check results; the header (plugin_utils/report_header.py)
    says when, by which collection version and from which config."""
    rows = []
    totals = {PASS: 0, WARN: 0, FAIL: 0, SKIP: 0}
    for host in sorted(nodes):
        checks = dict((c["check"], c) for c in nodes[host])
        worst = max((_RANK[c["status"]] for c in nodes[host]), default=0)
        status = [s for s, r in _RANK.items() if r == worst][0]
        for c in nodes[host]:
            totals[c["status"]] += 1
        rows.append({"host": host, "status": status, "checks": checks})
    failing = [r["host"] for r in rows if r["status"] == FAIL]
    report = {
        "cluster": cluster_name,
        "columns": [{"id": cid, "title": title} for cid, title in CHECKS],
        "nodes": rows,
        "totals": totals,
        "failing_nodes": failing,
        "ready": not failing,
        "downgraded": bool(downgrade and failing),
    }
    report.update(report_header.fields(generated, collection_version, config_file))
    return report


def unmet(report):
    """One line per failed check, for the single failure at the end of the run."""
    lines = []
    for row in report["nodes"]:
        for cid, _title in CHECKS:
            c = row["checks"].get(cid)
            if c and c["status"] == FAIL:
                lines.append("%s: %s: %s%s" % (row["host"], cid, c["detail"], (". Fix: " + c["fix"]) if c["fix"]
                                                else ""))
    return lines


_SYMBOL = {PASS: "pass", WARN: "WARN", FAIL: "FAIL", SKIP: "-"}


def render_markdown(report):
    head = "# Preflight readiness report: %s\n\n" % report["cluster"]
    if report_header.text(report):
        head += _md(report_header.text(report)) + " "
    totals = report["totals"]
    head += "%s: %d node(s), %d failed check(s), %d warning(s).\n\n" % (
        "READY" if report["ready"] else "NOT READY", len(report["nodes"]), totals[FAIL], totals[WARN])
    cols = report["columns"]
    lines = ["| node | " + " | ".join(c["title"] for c in cols) + " |",
             "| --- | " + " | ".join("---" for _ in cols) + " |"]
    for row in report["nodes"]:
        cells = []
        for col in cols:
            c = row["checks"].get(col["id"])
            cells.append(_SYMBOL[c["status"]] if c else "")
        lines.append("| %s | %s |" % (row["host"], " | ".join(cells)))
    details = ["", "## Findings", ""]
    for row in report["nodes"]:
        for col in cols:
            c = row["checks"].get(col["id"])
            if c and c["status"] in (FAIL, WARN):
                details.append("- **%s** %s (%s): %s%s" % (row["host"], col["title"], c["status"],
                                                           _md(c["detail"]), (" Fix: " + _md(c["fix"])) if c["fix"]
                                                           else ""))
    if len(details) == 3:
        details.append("None: every check passed.")
    return head + "\n".join(lines + details) + "\n"


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


_CSS = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:4px 8px;vertical-align:top;font-size:13px}th{background:#eee}.pass{background:#e3f6e3}"
        ".warn{background:#fff3cd}.fail{background:#f8d7da}.skip{color:#999}.fix{color:#555;font-style:italic}"
        "h1 .ready{color:#1a7f37}h1 .notready{color:#cf222e}")


def render_html(report):
    e = _html_escape
    state = '<span class="ready">READY</span>' if report["ready"] else '<span class="notready">NOT READY</span>'
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>Preflight: %s</title>" % e(
        report["cluster"]), "<style>%s</style></head><body>" % _CSS,
        "<h1>Preflight %s: %s</h1>" % (e(report["cluster"]), state)]
    totals = report["totals"]
    out.append("<p>%s%d node(s): %d passed, %d warning(s), %d failed check(s).</p>" % (
        (e(report_header.text(report)) + " ") if report_header.text(report) else "",
        len(report["nodes"]), totals[PASS], totals[WARN], totals[FAIL]))
    out.append("<table><tr><th>node</th>%s</tr>" % "".join("<th>%s</th>" % e(c["title"]) for c in
                                                              report["columns"]))
    for row in report["nodes"]:
        cells = []
        for col in report["columns"]:
            c = row["checks"].get(col["id"])
            if not c:
                cells.append("<td></td>")
                continue
            fix = '<div class="fix">Fix: %s</div>' % e(c["fix"]) if c["fix"] and c["status"] in (FAIL, WARN) else ""
            cells.append('<td class="%s"><b>%s</b><br>%s%s</td>' % (c["status"], e(c["status"]), e(c["detail"]),
                                                                     fix))
        out.append('<tr><th class="%s">%s</th>%s</tr>' % (row["status"], e(row["host"]), "".join(cells)))
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


# --- on the control machine, once per run: the peer list, the judge over every node ------------------------

def peers(hostvars, hosts, ports=True):
    """What the connectivity probe needs of each node of ``hosts``, computed once for all of them: inventory
    name (``host``: the probing node skips its own entry), name, configured address, SSH port and (``ports``) the
    TCP ports the cluster needs open towards it (plugin_utils/cluster_ports.py). One look-up per node: linear."""
    out = []
    for host in hosts:
        hv = hostvars[host]
        peer = {
            "host": host,
            "name": hv.get("node_fqdn") or host,
            "address": hv.get("node_ip") or "",
            "port": int(hv.get("ansible_port") or 22),
        }
        if ports:
            roles = hv.get("node_roles") or []
            registry = hv.get("platform_registry") or {}
            offline = hv.get("platform_offline") or {}
            peer["ports"] = peer_ports(roles, hv.get("platform_cluster") or {}, hv.get("platform_network") or {},
                                       (registry.get("local") or {}).get("port", 5000),
                                       (hv.get("platform_storage") or {}).get("nfs") or {},
                                       hv.get("platform_services") or {}, registry.get("local") or {},
                                       offline.get("repo_port", 8480) if offline.get("enabled")
                                       and "offline_repo" in (hv.get("group_names") or []) else None)
        out.append(peer)
    return out


def unreachable(host, reason="", address="", port=None, user=""):
    """The checks of a node the play could not reach or that failed a probe: one failed ``network`` check that
    says what Ansible said and how to try the connection by hand."""
    reason = re.sub(r"^Task failed: ", "", " ".join(str(reason or "").split()))
    detail = "the control machine could not reach or probe %s%s" % (host, (": " + reason) if reason else "")
    target = "%s%s" % (("%s@" % user) if user else "", address or host)
    fix = ("from the control machine: ssh -p %s %s true (then sudo -n true there). Check the node's ip and the "
           "config's ssh.port, ssh.user and ssh.private_key_file, that the node is up and no firewall drops SSH; "
           "then run preflight again" % (port or 22, target))
    return [result("network", FAIL, detail, fix)]


def _undefined(value):
    return value is None or type(value).__name__ in ("Undefined", "StrictUndefined", "AnsibleUndefined")


def _default(value, fallback, falsy=False):
    """Jinja's ``default(fallback)`` (``falsy``: ``default(fallback, true)``)."""
    return fallback if _undefined(value) or (falsy and not value) else value


def _bool(value):
    """Ansible's ``bool`` filter."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        value = value.lower()
    return value in ("yes", "on", "1", "true", 1)


def install_view(hv):
    """What the stages would install on a node and whether their downloads are pinned (``install_sources``'s
    ``install``): the config's pins, or the roles' variables where an inventory sets them (a DLWS/OpenPAI site, a
    test bed without the lifecycle). ``hv``: the node's variables."""
    cluster = hv.get("platform_cluster") or {}
    offline = hv.get("platform_offline") or {}
    mirrors = hv.get("platform_mirrors") or {}
    accelerators = hv.get("platform_accelerators") or {}
    return {
        "kubernetes_version": re.sub(r"^v", "", str(_default(cluster.get("kubernetes_version"), "1.31.4"))),
        "kubernetes_from_repository": (_bool(_default(hv.get("kubeadm_lifecycle"), True))
                                       and not _bool(_default(offline.get("enabled"), False))),
        "kubernetes_key_pinned": len(str(_default(hv.get("kubeadm_repo_key_sha256"), _default(
            mirrors.get("kubernetes_packages_key_sha256"), "", True), True))) > 0,
        "nvidia_install": _bool(_default(hv.get("nvidia_runtime_install"), True)),
        "nvidia_key_pinned": len(str(_default(hv.get("nvidia_runtime_repo_key_sha256"), _default(
            accelerators.get("nvidia_repo_key_sha256"), "", True), True))) > 0,
        "ascend_installer": _default(hv.get("ascend_runtime_package"), _default(
            accelerators.get("ascend_docker_runtime_package"), "", True), True),
    }


def node_view(host, hv):
    """The inventory's view of a node that ``evaluate_node`` judges the probe against."""
    return {"hostname": host, "node_arch": _default(hv.get("node_arch"), "amd64"),
            "node_os": _default(hv.get("node_os"), ""), "node_roles": _default(hv.get("node_roles"), []),
            "node_accelerator": _default(hv.get("node_accelerator"), {"vendor": "none", "count": 0}),
            "install": install_view(hv)}


def judge(hostvars, hosts, reached, register):
    """Every node's check results, ``{host: [result]}``, once on the control machine.

    ``hosts``: the play's hosts; ``reached``: those still in the play; ``register``: the variable the probe task
    registered (``node_probe``'s result, or what Ansible says of a node it could not reach or probe). A node lost
    from the play, unreachable, or whose probe failed has one failed ``network`` check with the reason.
    """
    reached = set(reached)
    out = {}
    for host in hosts:
        if host not in reached:
            out[host] = unreachable(host)
            continue
        hv = hostvars[host]
        outcome = hv.get(register)
        outcome = outcome if isinstance(outcome, dict) else {}
        if outcome.get("unreachable") or outcome.get("failed") or not isinstance(outcome.get("probe"), dict):
            out[host] = unreachable(host, outcome.get("msg") or "", hv.get("ansible_host") or host,
                                    hv.get("ansible_port") or 22, hv.get("ansible_user") or "")
            continue
        probe = dict(outcome["probe"])
        roles = _default(hv.get("node_roles"), [])
        probe["registry_port"] = (((hv.get("platform_registry") or {}).get("local") or {}).get("port", 5000)
                                  if "registry" in roles else None)
        try:
            out[host] = evaluate_node(node_view(host, hv), probe, _default(hv.get("platform_requirements"), {}),
                                      _default(hv.get("platform_cluster"), {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("cannot evaluate the probe of %s: %s" % (host, exc))
    return out
