# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Verify: judge what kubectl says about the installed cluster against the inventory.

Pure functions, no I/O. ``playbooks/verify.yml`` runs ``kubectl get nodes|pods|pvc|storageclass -o json``
on the first control-plane node and hands the outputs (text or parsed) to :func:`verify_cluster`,
together with what the inventory expects. The result is a list of rows
``{"check", "target", "expected", "actual", "status", "fix"}`` with status ``pass``, ``warn`` or
``fail``; :func:`build_verify_report` and the renderers turn them into the report (JSON, Markdown,
HTML) and a one-screen console table.

Why one file of ~650 lines: the judges (nodes, pods, volumes, storage classes, accelerators) and the
report renderers share one row format and are read together when a check's wording changes.

``expected``::

    nodes:            {host: {node_labels, node_roles, node_accelerator, node_ip}}  (hostvars of the inventory)
    namespaces:       platform namespaces whose pods must be healthy (kube-system always is)
    storage:          true when the cluster must have a StorageClass and a Bound PVC
    kubernetes_version: optional; kubelets of another version warn

Bad input (not JSON, not a List) raises ValueError naming the command; the filter turns it into
an AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

try:
    from html import escape as _html_escape
except ImportError:  # pragma: no cover - Python 2 controller is not supported
    from cgi import escape as _html_escape

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import report_header

PASS = "pass"
WARN = "warn"
FAIL = "fail"
STATUSES = (PASS, WARN, FAIL)
_RANK = {PASS: 0, WARN: 1, FAIL: 2}
ROW_KEYS = ("check", "target", "expected", "actual", "status", "fix")

NVIDIA_RESOURCE = "nvidia.com/gpu"
# A whole Ascend chip: huawei.com/Ascend910, Ascend910B, Ascend310P, ... Not the vNPU templates
# (huawei.com/Ascend910-2c) nor HAMi's per-chip memory/core resources (huawei.com/Ascend910B-memory).
_ASCEND_RESOURCE = re.compile(r"^huawei\.com/(Ascend[0-9]+[A-Za-z0-9]*)$")
# The resource the MindX device plugin advertises per model (910B chips are advertised as Ascend910).
ASCEND_RESOURCE_BY_MODEL = {
    "Ascend910": "huawei.com/Ascend910",
    "Ascend910B": "huawei.com/Ascend910",
    "Ascend310P": "huawei.com/Ascend310P",
    "Ascend310": "huawei.com/Ascend310",
}
SYSTEM_NAMESPACE = "kube-system"
NVIDIA_PLUGIN_HINT = ("the NVIDIA device plugin does not advertise the GPUs: "
                      "kubectl -n nvidia-device-plugin get pods -o wide, then its logs; check the driver "
                      "(nvidia-smi) and containerd's nvidia runtime on %s")
ASCEND_PLUGIN_HINT = ("the Ascend device plugin does not advertise the NPUs: "
                      "kubectl -n kube-system get pods -l app=ascend-device-plugin -o wide, then its logs; "
                      "check the driver (npu-smi info) and the node label accelerator=huawei-<family> on %s")


def row(check, target, expected, actual, status, fix=""):
    return {"check": check, "target": target, "expected": expected, "actual": actual, "status": status,
            "fix": fix}


# --- parsers -------------------------------------------------------------------------------------


def _load_list(output, what, kind):
    """The items of a kubectl List (text or parsed). One object of ``kind`` is taken as a list of one."""
    data = output
    if not isinstance(output, (dict, list)):
        text = "" if output is None else str(output)
        try:
            data = json.loads(text)
        except ValueError as exc:
            start = text.strip().splitlines()[0][:80] if text.strip() else "(empty output)"
            raise ValueError("%s: not JSON (%s); the output starts with %r" % (what, exc, start))
    if isinstance(data, list):
        items = data
    elif not isinstance(data, dict):
        raise ValueError("%s: expected a JSON object, got %s" % (what, type(data).__name__))
    elif data.get("kind") == kind:
        items = [data]
    elif isinstance(data.get("items"), list):
        items = data["items"]
    else:
        raise ValueError("%s: expected a List with items, got kind %r" % (what, data.get("kind")))
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not (item.get("metadata") or {}).get("name"):
            raise ValueError("%s: item %d has no metadata.name" % (what, index))
    return items


def _count(value, where):
    """A device count from a resource quantity ("8", 8, "0")."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError("%s: %r is not a count" % (where, value))
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.match(r"^[0-9]+$", text):
        return int(text)
    if re.match(r"^[0-9]+k$", text):
        return int(text[:-1]) * 1000
    raise ValueError("%s: %r is not a device count" % (where, value))


def parse_nodes(output):
    """``kubectl get nodes -o json`` -> {name: node}.

    node: ready (True/False/None when the kubelet never reported), ready_reason, ready_message,
    labels, allocatable, capacity (dicts of strings), gpus (allocatable nvidia.com/gpu),
    gpu_capacity, ascend ({resource: allocatable count} for every huawei.com/Ascend* resource),
    kubelet_version, taints ([{key, value, effect}]), unschedulable, internal_ip.
    """
    what = "kubectl get nodes -o json"
    nodes = {}
    for item in _load_list(output, what, "Node"):
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        name = meta["name"]
        ready = dict((c.get("type"), c) for c in status.get("conditions") or [] if isinstance(c, dict)).get("Ready")
        allocatable = dict((str(k), str(v)) for k, v in (status.get("allocatable") or {}).items())
        capacity = dict((str(k), str(v)) for k, v in (status.get("capacity") or {}).items())
        where = "%s: node %s: allocatable" % (what, name)
        ascend = dict((res, _count(val, "%s %s" % (where, res))) for res, val in allocatable.items()
                      if _ASCEND_RESOURCE.match(res))
        addresses = dict((a.get("type"), a.get("address")) for a in status.get("addresses") or []
                         if isinstance(a, dict))
        nodes[name] = {
            "name": name,
            "ready": None if ready is None else ready.get("status") == "True",
            "ready_reason": (ready or {}).get("reason", "") or "",
            "ready_message": (ready or {}).get("message", "") or "",
            "labels": dict((str(k), "" if v is None else str(v)) for k, v in (meta.get("labels") or {}).items()),
            "allocatable": allocatable,
            "capacity": capacity,
            "gpus": _count(allocatable.get(NVIDIA_RESOURCE), "%s %s" % (where, NVIDIA_RESOURCE)),
            "gpu_capacity": _count(capacity.get(NVIDIA_RESOURCE), "%s: node %s: capacity %s" % (
                what, name, NVIDIA_RESOURCE)),
            "ascend": ascend,
            "kubelet_version": (status.get("nodeInfo") or {}).get("kubeletVersion", "") or "",
            "taints": [dict((k, t[k]) for k in ("key", "value", "effect") if t.get(k) not in (None, ""))
                       for t in spec.get("taints") or [] if isinstance(t, dict)],
            "unschedulable": bool(spec.get("unschedulable", False)),
            "internal_ip": addresses.get("InternalIP", "") or "",
        }
    return nodes


def _container_problem(statuses, prefix=""):
    """(reason, message) of the first container that is waiting or terminated with an error."""
    for cs in statuses:
        state = cs.get("state") or {}
        waiting = state.get("waiting")
        if waiting and not cs.get("ready"):
            return prefix + (waiting.get("reason") or "Waiting"), waiting.get("message") or ""
        terminated = state.get("terminated")
        if terminated and (terminated.get("exitCode") or 0) != 0:
            return prefix + (terminated.get("reason") or "Error"), "exit code %s" % terminated.get("exitCode")
    return "", ""


def parse_pods(output):
    """``kubectl get pods -A -o json`` -> [pod].

    pod: namespace, name, node, owner_kind, phase, containers, ready_containers, ready (every
    container ready), restarts, reason and message (why it is not healthy: the waiting reason of
    a container, CrashLoopBackOff, ImagePullBackOff, ...; ``Init:`` for init containers; the pod's
    own reason, Evicted; Unschedulable), healthy.
    """
    what = "kubectl get pods -A -o json"
    pods = []
    for item in _load_list(output, what, "Pod"):
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        statuses = [c for c in status.get("containerStatuses") or [] if isinstance(c, dict)]
        init = [c for c in status.get("initContainerStatuses") or [] if isinstance(c, dict)]
        owners = meta.get("ownerReferences") or []
        owner = ([o for o in owners if o.get("controller")] or owners or [{}])[0]
        phase = status.get("phase") or "Unknown"
        declared = len(spec.get("containers") or []) or len(statuses)
        ready_count = len([c for c in statuses if c.get("ready")])
        reason, message = _container_problem(init, "Init:")
        if not reason:
            reason, message = _container_problem(statuses)
        if not reason and status.get("reason"):
            reason, message = status["reason"], status.get("message") or ""
        if not reason and phase == "Pending":
            scheduled = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
            if scheduled and scheduled[0].get("status") == "False":
                reason, message = scheduled[0].get("reason") or "Unschedulable", scheduled[0].get("message") or ""
        all_ready = bool(statuses) and ready_count == declared
        healthy = phase == "Succeeded" or (phase == "Running" and all_ready)
        if not healthy and not reason:
            reason = phase if phase != "Running" else "ContainersNotReady"
        pods.append({
            "namespace": meta.get("namespace") or "default",
            "name": meta["name"],
            "node": spec.get("nodeName") or "",
            "owner_kind": owner.get("kind") or "",
            "phase": phase,
            "containers": declared,
            "ready_containers": ready_count,
            "ready": all_ready,
            "restarts": sum(int(c.get("restartCount") or 0) for c in statuses),
            "reason": reason if not healthy else "",
            "message": message if not healthy else "",
            "healthy": healthy,
        })
    return pods


def parse_pvcs(output):
    """``kubectl get pvc -A -o json`` -> [{namespace, name, phase, storage_class, volume}]."""
    out = []
    for item in _load_list(output, "kubectl get pvc -A -o json", "PersistentVolumeClaim"):
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        out.append({"namespace": meta.get("namespace") or "default", "name": meta["name"],
                    "phase": status.get("phase") or "Pending", "storage_class": spec.get("storageClassName") or "",
                    "volume": spec.get("volumeName") or ""})
    return out


_DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def parse_storage_classes(output):
    """``kubectl get storageclass -o json`` -> [{name, provisioner, default}]."""
    out = []
    for item in _load_list(output, "kubectl get storageclass -o json", "StorageClass"):
        annotations = (item.get("metadata") or {}).get("annotations") or {}
        out.append({"name": item["metadata"]["name"], "provisioner": item.get("provisioner") or "",
                    "default": any(str(annotations.get(k, "")).lower() == "true" for k in _DEFAULT_CLASS)})
    return out


# --- checks --------------------------------------------------------------------------------------


def _label_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _find_node(host, facts, nodes):
    if host in nodes:
        return nodes[host]
    ip = facts.get("node_ip")
    for node in nodes.values():
        if ip and node["internal_ip"] == ip:
            return node
    return None


def _node_rows(host, facts, node, kubernetes_version):
    rows = []
    if node is None:
        return [row("node", host, "Ready", "not in the cluster", FAIL,
                    "join it: ansible-playbook playbooks/scale.yml --limit %s (kubelet log: journalctl -u kubelet "
                    "on %s)" % (host, host))]
    name = node["name"]
    actual = "Ready" if node["ready"] else ("NotReady" if node["ready"] is False else "Unknown")
    if node["name"] != host:
        actual += " (registered as %s)" % name
    if node["ready"]:
        if node["unschedulable"]:
            rows.append(row("node", host, "Ready", actual + ", cordoned (SchedulingDisabled)", WARN,
                            "kubectl uncordon %s" % name))
        else:
            rows.append(row("node", host, "Ready", actual, PASS))
    else:
        why = ": ".join(t for t in (node["ready_reason"], node["ready_message"]) if t) or "no Ready condition"
        rows.append(row("node", host, "Ready", "%s: %s" % (actual, why), FAIL,
                        "on %s: systemctl status kubelet containerd; journalctl -u kubelet; check the CNI pods "
                        "(kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=%s)" % (host, name)))
    if kubernetes_version:
        want = str(kubernetes_version).lstrip("v")
        have = node["kubelet_version"].lstrip("v")
        if have and have != want:
            rows.append(row("kubelet", host, "v" + want, "v" + have, WARN,
                            "upgrade the node: ansible-playbook playbooks/upgrade.yml --limit %s" % host))

    wanted = dict((str(k), _label_value(v)) for k, v in (facts.get("node_labels") or {}).items())
    if wanted:
        missing = sorted(k for k in wanted if k not in node["labels"])
        wrong = sorted(k for k in wanted if k in node["labels"] and node["labels"][k] != wanted[k])
        if missing or wrong:
            problems = ["missing %s" % ", ".join("%s=%s" % (k, wanted[k]) for k in missing)] if missing else []
            problems += ["%s=%s (want %s)" % (k, node["labels"][k], wanted[k]) for k in wrong]
            args = " ".join("%s=%s" % (k, wanted[k]) for k in missing + wrong)
            rows.append(row("labels", host, "%d label(s)" % len(wanted), "; ".join(problems), FAIL,
                            "kubectl label node %s %s --overwrite (or re-run the kubeadm role)" % (name, args)))
        else:
            rows.append(row("labels", host, "%d label(s)" % len(wanted), "all %d present" % len(wanted), PASS))
    rows.extend(_accelerator_rows(host, facts.get("node_accelerator") or {}, node))
    return rows


def _accelerator_rows(host, acc, node):
    vendor = acc.get("vendor") or "none"
    if vendor not in ("nvidia", "huawei"):
        return []
    want = acc.get("count") or 0
    model = acc.get("model") or ""
    if vendor == "nvidia":
        resource, have, unit = NVIDIA_RESOURCE, node["gpus"], "GPUs"
        hint = NVIDIA_PLUGIN_HINT % host
        actual = "%s=%d" % (resource, have)
        if node["gpu_capacity"] != have:
            actual += " (capacity %d)" % node["gpu_capacity"]
        other = ""
    else:
        resource = ASCEND_RESOURCE_BY_MODEL.get(model, "huawei.com/Ascend*")
        have = sum(node["ascend"].values())
        unit = "NPUs"
        hint = ASCEND_PLUGIN_HINT % host
        names = sorted(r for r, n in node["ascend"].items() if n)
        actual = ", ".join("%s=%d" % (r, node["ascend"][r]) for r in names) or "no huawei.com/Ascend* resource"
        other = ", ".join(r for r in names if r != resource) if "*" not in resource else ""
    expected = "%s=%s" % (resource, want or "?")
    if not have:
        return [row("accelerator", host, expected, actual if vendor == "huawei" else "%s missing or 0" % resource,
                    FAIL, hint)]
    if not want:
        return [row("accelerator", host, expected, actual, WARN,
                    "the config does not give the node's accelerator count: set it (%d %s advertised)" % (have, unit))]
    if have < want:
        return [row("accelerator", host, expected, actual, FAIL,
                    "%d of %d %s advertised: an unhealthy or missing chip? Check the chips on %s (%s) and the "
                    "device plugin's log" % (have, want, unit, host, "nvidia-smi" if vendor == "nvidia" else
                                             "npu-smi info"))]
    if have > want:
        return [row("accelerator", host, expected, actual, WARN,
                    "more %s than the config says: correct the count in the config (or time-slicing/vNPU "
                    "shares are on)" % unit)]
    if other:
        return [row("accelerator", host, expected, actual, WARN,
                    "advertised as %s, but %s nodes are requested as %s: check which device plugin runs "
                    "(MindX advertises %s)" % (other, model, resource, resource))]
    return [row("accelerator", host, expected, actual, PASS)]


def _pod_rows(pods, namespaces):
    rows = []
    for ns in namespaces:
        mine = [p for p in pods if p["namespace"] == ns]
        expected = "Running/Succeeded, ready"
        if not mine:
            rows.append(row("pods", ns, expected, "no pods", FAIL if ns == SYSTEM_NAMESPACE else WARN,
                            "nothing is deployed in %s: re-run the role that installs it" % ns))
            continue
        bad = [p for p in mine if not p["healthy"]]
        if not bad:
            rows.append(row("pods", ns, expected, "%d of %d healthy" % (len(mine), len(mine)), PASS))
        # one row per unhealthy pod, no summary row besides: each problem is counted once.
        # A Job's failed attempt only warns: the Job retries, and its Succeeded pod is what counts.
        for p in sorted(bad, key=lambda p: p["name"]):
            status = WARN if p["owner_kind"] == "Job" and p["phase"] == "Failed" else FAIL
            actual = "%s %d/%d ready, %s%s" % (p["phase"], p["ready_containers"], p["containers"], p["reason"],
                                               (", %d restarts" % p["restarts"]) if p["restarts"] else "")
            rows.append(row("pod", "%s/%s" % (ns, p["name"]), expected, actual, status, _pod_fix(p)))
    return rows


def _pod_fix(pod):
    ref = "-n %s %s" % (pod["namespace"], pod["name"])
    reason = pod["reason"].replace("Init:", "")
    where = (" on %s" % pod["node"]) if pod["node"] else ""
    if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
        return ("the image cannot be pulled%s: kubectl describe pod %s; check the image name, the registry "
                "and the node's mirrors (crictl pull)" % (where, ref))
    if pod["owner_kind"] == "Job" and pod["phase"] == "Failed":
        return "an attempt of the Job failed: kubectl logs %s; kubectl -n %s get jobs" % (ref, pod["namespace"])
    if reason in ("CrashLoopBackOff", "Error", "OOMKilled"):
        return "the container keeps exiting: kubectl logs %s --previous" % ref
    if reason in ("Unschedulable",):
        return "no node fits: kubectl describe pod %s (taints, node selectors, resources)" % ref
    return "kubectl describe pod %s" % ref


def _storage_rows(pvcs, classes):
    rows = []
    if classes is None:
        rows.append(row("storageclass", "cluster", "at least one", "not queried", WARN,
                        "the playbook passes kubectl get storageclass -o json"))
    elif not classes:
        rows.append(row("storageclass", "cluster", "at least one", "none", FAIL,
                        "install the storage provisioner (nfs role) or create a StorageClass"))
    else:
        names = ", ".join("%s%s" % (c["name"], " (default)" if c["default"] else "") for c in classes)
        if any(c["default"] for c in classes):
            rows.append(row("storageclass", "cluster", "at least one", names, PASS))
        else:
            rows.append(row("storageclass", "cluster", "at least one, one default", names, WARN,
                            "claims without storageClassName stay Pending: kubectl patch storageclass %s -p "
                            "'{\"metadata\":{\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":"
                            "\"true\"}}}'" % classes[0]["name"]))
    if pvcs is None:
        rows.append(row("pvc", "cluster", "at least one Bound", "not queried", WARN,
                        "the playbook passes kubectl get pvc -A -o json"))
        return rows
    bound = [p for p in pvcs if p["phase"] == "Bound"]
    for p in sorted((p for p in pvcs if p["phase"] != "Bound"), key=lambda p: (p["namespace"], p["name"])):
        rows.append(row("pvc", "%s/%s" % (p["namespace"], p["name"]), "Bound", "%s (class %s)" % (
            p["phase"], p["storage_class"] or "none"), FAIL,
            "kubectl -n %s describe pvc %s: no volume or provisioner for class %s" % (
                p["namespace"], p["name"], p["storage_class"] or "(default)")))
    if bound:
        rows.append(row("pvc", "cluster", "at least one Bound", "%d of %d Bound" % (len(bound), len(pvcs)), PASS))
    else:
        rows.append(row("pvc", "cluster", "at least one Bound", "%d of %d Bound" % (len(bound), len(pvcs)), FAIL,
                        "no claim is bound: check the NFS server and the PersistentVolumes (kubectl get pv)"))
    return rows


def validate_rows(rows, what="extra"):
    """Rows measured elsewhere (NodePort reachable, registry per node, storage usage), checked and normalised."""
    if rows is None:
        return []
    if not isinstance(rows, (list, tuple)):
        raise ValueError("%s rows: expected a list of rows, got %s" % (what, type(rows).__name__))
    out = []
    for index, item in enumerate(rows):
        if not isinstance(item, dict):
            raise ValueError("%s row %d: expected a dict with %s, got %s" % (
                what, index, ", ".join(ROW_KEYS), type(item).__name__))
        label = "%s row %d (%s %s)" % (what, index, item.get("check", "?"), item.get("target", "?"))
        unknown = sorted(str(k) for k in item if k not in ROW_KEYS)
        if unknown:
            raise ValueError("%s: unknown key(s) %s; a row has %s" % (label, ", ".join(unknown), ", ".join(ROW_KEYS)))
        for key in ("check", "target", "status"):
            if item.get(key) in (None, ""):
                raise ValueError("%s: %s is missing" % (label, key))
        if item["status"] not in STATUSES:
            raise ValueError("%s: status %r is not one of %s" % (label, item["status"], ", ".join(STATUSES)))
        out.append(dict((k, "" if item.get(k) is None else str(item.get(k))) for k in ROW_KEYS))
    return out


def verify_cluster(expected, nodes_json, pods_json, pvc_json=None, sc_json=None, extra=None):
    """Every check result of the cluster, in the order: nodes (per inventory host), unknown nodes,
    pods, storage, ``extra``. See the module docstring for ``expected``."""
    if not isinstance(expected, dict):
        raise ValueError("verify_cluster: expected must be a dict with nodes, namespaces, storage; got %s"
                         % type(expected).__name__)
    inventory = expected.get("nodes") or {}
    if not isinstance(inventory, dict):
        raise ValueError("verify_cluster: expected.nodes must map each inventory host to its variables")
    nodes = parse_nodes(nodes_json)
    pods = parse_pods(pods_json)
    pvcs = parse_pvcs(pvc_json) if pvc_json is not None else None
    classes = parse_storage_classes(sc_json) if sc_json is not None else None
    extra_rows = validate_rows(extra)

    rows = []
    seen = set()
    for host in sorted(inventory):
        facts = inventory[host] or {}
        node = _find_node(host, facts, nodes)
        if node is not None:
            seen.add(node["name"])
        rows.extend(_node_rows(host, facts, node, expected.get("kubernetes_version")))
    for name in sorted(set(nodes) - seen):
        rows.append(row("node", name, "not in the cluster", "in the cluster (%s), not in the inventory" % (
            "Ready" if nodes[name]["ready"] else "NotReady"), WARN,
            "add it to the config, or remove it: kubectl drain %s --ignore-daemonsets; kubectl delete node %s"
            % (name, name)))
    namespaces = [SYSTEM_NAMESPACE]
    for ns in expected.get("namespaces") or []:
        if str(ns) not in namespaces:
            namespaces.append(str(ns))
    rows.extend(_pod_rows(pods, namespaces))
    if expected.get("storage"):
        rows.extend(_storage_rows(pvcs, classes))
    return rows + extra_rows


# --- certificates ------------------------------------------------------------------------------------

CERT_RENEW = "ansible-playbook playbooks/renew_certs.yml -i inventories/<site>"


def _cert_fix(host, cert, kind):
    if kind == "site":
        if cert.get("is_ca"):
            return ("%s (signs the site CA again with its key and installs it on every node; a run of site.yml does it "
                    "in the CA's last pki_ca_renew_days)" % CERT_RENEW)
        return ("%s --tags site_ca (the site CA issues it again; site.yml does it too under "
                "registry_cert_renew_days)" % CERT_RENEW)
    if "->" in cert.get("source", "") or "kubelet" in cert.get("path", ""):
        return ("the kubelet renews its client certificate itself (rotateCertificates): on %s journalctl -u kubelet; "
                "kubectl get csr (approve pending ones); once expired, join the node again (reset.yml -l %s, then "
                "scale.yml)" % (host, host))
    if cert.get("is_ca"):
        return ("kubeadm certs renew does not renew CAs: rotate this CA by hand (Kubernetes docs, Manual Rotation "
                "of CA Certificates) before it expires")
    return "%s (kubeadm certs renew all, one control-plane node at a time)" % CERT_RENEW


def _cert_actual(cert):
    day = str(cert.get("not_after", ""))[:10]
    left = int(cert["days_left"])
    when = ("expired %s (%d day(s) ago)" % (day, -left)) if left < 0 else ("expires %s (%d day(s) left)" % (day, left))
    return "%s%s" % (when, (", CN %s" % cert["subject"]) if cert.get("subject") else "")


def certificate_rows(result, host, kind="kubeadm", warn_days=30, fail_days=7):
    """Rows of what the module ``cert_expiry`` read on ``host`` (its registered result; a skipped one gives none).

    One row per certificate that warns or fails (fewer than ``warn_days`` / ``fail_days`` days left), one per file
    that could not be read (fail), and, when every certificate passes, one summary row naming the first to expire.
    ``kind`` is ``kubeadm`` (the cluster's certificates, CAs, kubeconfigs, the kubelet's) or ``site`` (the site CA
    and what it issued); it decides the fix.
    """
    from ansible_collections.aiplatform.cluster.plugins.module_utils.cert_expiry import status_of

    if kind not in ("kubeadm", "site"):
        raise ValueError("certificate_rows: kind must be kubeadm or site, got %r" % (kind,))
    if not isinstance(result, dict):
        raise ValueError("certificate_rows: expected the registered result of cert_expiry, got %s"
                         % type(result).__name__)
    if result.get("skipped") or result.get("certificates") is None and not result.get("failed"):
        return []
    check = "certificate" if kind == "kubeadm" else "site-certificate"
    expected = "over %d days left" % int(warn_days)
    if result.get("failed"):
        return [row(check, host, expected, "not read: %s" % (result.get("msg") or "the task failed"), FAIL,
                    "see this run's output for %s" % host)]
    rows = []
    certs = []
    for cert in result.get("certificates") or []:
        if not isinstance(cert, dict) or "days_left" not in cert:
            raise ValueError("certificate_rows: %s: an entry without days_left (not cert_expiry's result)" % host)
        status = status_of(int(cert["days_left"]), warn_days, fail_days)
        certs.append(cert)
        if status != PASS:
            rows.append(row(check, "%s:%s" % (host, cert.get("source") or cert.get("path")), expected,
                            _cert_actual(cert), status, _cert_fix(host, cert, kind)))
    for problem in result.get("problems") or []:
        rows.append(row(check, "%s:%s" % (host, problem.get("path", "?")), "a readable certificate",
                        str(problem.get("error", "")), FAIL,
                        "look at the file on %s (openssl x509 -noout -enddate -in <it>); restore it from a backup "
                        "(backup.yml) or renew it" % host))
    if certs and not rows:
        first = min(certs, key=lambda c: int(c["days_left"]))
        rows.append(row(check, host, expected, "%d certificate(s); the first to expire: %s, %s" % (
            len(certs), first.get("source") or first.get("path"), _cert_actual(first)), PASS))
    return rows


# --- report ----------------------------------------------------------------------------------------


def ordered(rows):
    """Fails first, then warnings, then passes; the order within a status is kept."""
    return sorted(rows, key=lambda r: -_RANK[r["status"]])


def build_verify_report(cluster_name, rows, generated=None, collection_version=None, config_file=None):
    """The report of the rows, fails first; the header (plugin_utils/report_header.py) says when, by which
    collection version and from which config."""
    rows = ordered(validate_rows(rows, "verify"))
    totals = dict((s, len([r for r in rows if r["status"] == s])) for s in STATUSES)
    report = {
        "cluster": cluster_name,
        "rows": rows,
        "totals": totals,
        "failing": ["%s %s" % (r["check"], r["target"]) for r in rows if r["status"] == FAIL],
        "healthy": not totals[FAIL],
    }
    report.update(report_header.fields(generated, collection_version, config_file))
    return report


def _check_report(report):
    if not isinstance(report, dict) or not isinstance(report.get("rows"), list) or "totals" not in report:
        raise ValueError("not a verification report (build it with verify_report / build_verify_report), got %s"
                         % type(report).__name__)


def _summary(report):
    t = report["totals"]
    return "%s: %d check(s), %d failed, %d warning(s)." % (
        "HEALTHY" if report["healthy"] else "NOT HEALTHY", len(report["rows"]), t[FAIL], t[WARN])


def _md(text):
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def render_markdown(report):
    _check_report(report)
    head = "# Cluster verification: %s\n\n" % _md(report["cluster"])
    if report_header.text(report):
        head += _md(report_header.text(report)) + " "
    head += _summary(report) + "\n\n"
    lines = ["| status | check | target | expected | actual | fix |", "| --- | --- | --- | --- | --- | --- |"]
    for r in report["rows"]:
        lines.append("| %s |" % " | ".join(_md(r[k]) if k != "status" else r[k].upper() for k in (
            "status", "check", "target", "expected", "actual", "fix")))
    return head + "\n".join(lines) + "\n"


_CSS = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:4px 8px;vertical-align:top;font-size:13px}th{background:#eee}.pass{background:#e3f6e3}"
        ".warn{background:#fff3cd}.fail{background:#f8d7da}.fix{color:#555;font-style:italic}"
        "h1 .ok{color:#1a7f37}h1 .bad{color:#cf222e}")


def render_html(report):
    _check_report(report)
    def e(value):
        return _html_escape(str(value), True)
    state = '<span class="ok">HEALTHY</span>' if report["healthy"] else '<span class="bad">NOT HEALTHY</span>'
    out = ["<!DOCTYPE html>", '<html><head><meta charset="utf-8"><title>Verify: %s</title>' % e(report["cluster"]),
           "<style>%s</style></head><body>" % _CSS, "<h1>Cluster %s: %s</h1>" % (e(report["cluster"]), state),
           "<p>%s%s</p>" % ((e(report_header.text(report)) + " ") if report_header.text(report) else "",
                            e(_summary(report))),
           "<table><tr><th>status</th><th>check</th><th>target</th><th>expected</th><th>actual</th><th>fix</th></tr>"]
    for r in report["rows"]:
        out.append('<tr class="%s"><td><b>%s</b></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                   '<td class="fix">%s</td></tr>' % (e(r["status"]), e(r["status"]), e(r["check"]), e(r["target"]),
                                                     e(r["expected"]), e(r["actual"]), e(r["fix"])))
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


_TEXT_COLUMNS = (("status", "STATUS", 6), ("check", "CHECK", 12), ("target", "TARGET", 38),
                 ("expected", "EXPECTED", 22), ("actual", "ACTUAL", 40))


def _cell(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def render_text(report, width=160):
    """A fixed-column table for the console, fails first; the fix column takes what is left of ``width``."""
    _check_report(report)
    fixed = sum(w + 1 for _k, _t, w in _TEXT_COLUMNS)
    fix_width = max(width - fixed, 10)
    lines = [_summary(report) if not report.get("cluster") else "%s: %s" % (report["cluster"], _summary(report))]
    if report_header.text(report):
        lines.append(report_header.text(report))
    lines.append(" ".join(t.ljust(w) for _k, t, w in _TEXT_COLUMNS) + " FIX")
    for r in report["rows"]:
        cells = [_cell(r[k].upper() if k == "status" else r[k], w).ljust(w) for k, _t, w in _TEXT_COLUMNS]
        lines.append((" ".join(cells) + " " + _cell(r["fix"], fix_width)).rstrip())
    return "\n".join(lines) + "\n"
