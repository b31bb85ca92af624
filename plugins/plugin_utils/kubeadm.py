# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Decisions of the Kubernetes lifecycle (issue: kubeadm role), as pure functions with no I/O:
which kubeadm API to render and the documents themselves, which node initialises the cluster,
who joins, whether a bootstrap token is still usable, the upgrade path and the batches, and the
label and taint changes that bring a node to what the inventory says. The role feeds them what it
read; tokens, certificate keys and CA hashes come in as arguments and are never made here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import re

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm_schema import (
    KUBE_PROXY_API,
    KUBEADM_GROUP,
    KUBELET_API,
)

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")

# The Kubernetes minors this collection deploys, oldest and newest: the one constant every check
# reads (the inventory plugin's config check, the kubeadm filters, docs/kubeadm.md). The oldest is
# where kubeadm's v1beta3 API starts; the newest is the last release whose kubeadm, kubelet and
# kube-proxy types the field tables of kubeadm_fields.py were read off.
SUPPORTED_MINORS = ((1, 22), (1, 36))
# kubeadm 1.31 introduced v1beta4 (and still reads v1beta3); v1beta3 is read from 1.22 on.
_OLDEST = SUPPORTED_MINORS[0]
_V1BETA4_FROM = (1, 31)
# KubeletConfiguration.containerRuntimeEndpoint exists from 1.27; before, kubeadm passes the
# socket to the kubelet as a flag (from nodeRegistration.criSocket).
_KUBELET_RUNTIME_ENDPOINT_FROM = (1, 27)

CRI_SOCKET = "unix:///run/containerd/containerd.sock"
DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io"
DEFAULT_DNS_DOMAIN = "cluster.local"
DEFAULT_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token"
CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Taints the node lifecycle and cloud controllers own: never removed here, whatever the prefixes.
_SYSTEM_TAINTS = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")


def parse_version(text):
    """(major, minor, patch) of `1.31.4` / `v1.31`; ValueError naming the text otherwise."""
    m = _VERSION.match(str(text or "").strip())
    if not m:
        raise ValueError("'%s' is not a Kubernetes version (expected 1.31.4)" % text)
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def supported_range():
    """The supported versions in words: ``1.22 to 1.36``."""
    (a, b), (c, d) = SUPPORTED_MINORS
    return "%d.%d to %d.%d" % (a, b, c, d)


def version_problem(k8s_version):
    """Why this collection cannot deploy ``k8s_version`` (a sentence), or None when it can."""
    major, minor, _patch = parse_version(k8s_version)
    oldest, newest = SUPPORTED_MINORS
    if (major, minor) < oldest:
        return ("Kubernetes %s is older than %d.%d, the oldest this collection deploys (kubeadm API v1beta3 "
                "starts there; supported: %s)" % (k8s_version, oldest[0], oldest[1], supported_range()))
    if (major, minor) > newest:
        return ("Kubernetes %s is newer than %d.%d, the newest this collection knows (its kubeadm, kubelet and "
                "kube-proxy configuration types are checked against tables up to that release; supported: %s)"
                % (k8s_version, newest[0], newest[1], supported_range()))
    return None


def kubeadm_api_version(k8s_version):
    """The kubeadm.k8s.io API version to render for a Kubernetes version: ``v1beta3`` for 1.22 to
    1.30, ``v1beta4`` from 1.31 (which still reads v1beta3, deprecated). A version outside
    :data:`SUPPORTED_MINORS` is refused."""
    major, minor, _patch = parse_version(k8s_version)
    problem = version_problem(k8s_version)
    if problem:
        raise ValueError(problem)
    return "v1beta4" if (major, minor) >= _V1BETA4_FROM else "v1beta3"


def api_version(k8s_version):
    """The full apiVersion of the kubeadm documents: ``kubeadm.k8s.io/v1beta4``."""
    return KUBEADM_GROUP + "/" + kubeadm_api_version(k8s_version)


# --- documents --------------------------------------------------------------------------------------


def _args(mapping, short):
    """Extra arguments in the format of the API version: a map in v1beta3, a list of {name, value} in v1beta4."""
    if short == "v1beta3":
        return dict((k, str(v)) for k, v in mapping)
    return [{"name": k, "value": str(v)} for k, v in mapping]


def _unique(items):
    out = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def endpoint_host(endpoint):
    """The host part of ``host:port``, ``[v6]:port``, ``host`` or a bare IPv6 address."""
    text = str(endpoint or "").strip()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def _taints(host, taints):
    out = []
    for i, taint in enumerate(taints or []):
        if not isinstance(taint, dict) or not taint.get("key") or taint.get("effect") not in TAINT_EFFECTS:
            raise ValueError("node %s: node_taints[%d] %r needs a key and an effect (one of %s)"
                             % (host, i, taint, ", ".join(TAINT_EFFECTS)))
        item = {"key": taint["key"], "effect": taint["effect"]}
        if taint.get("value") not in (None, ""):
            item["value"] = str(taint["value"])
        out.append(item)
    return out


def _merge(base, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def control_plane_hosts(hosts):
    """Names of the hosts whose ``node_roles`` include control_plane, in inventory order."""
    return [name for name in hosts if "control_plane" in (hosts[name] or {}).get("node_roles", [])]


def kubeadm_documents(host, hosts, cluster, network=None, mirrors=None, init_host=None, join=None,
                      overrides=None):
    """The documents of the config file ``kubeadm init`` or ``kubeadm join`` reads on ``host``.

    ``hosts`` maps inventory name -> host vars (node_ip, node_fqdn, node_roles, node_taints) of every
    cluster node (Ansible's ``hostvars`` will do); ``cluster``, ``network``, ``mirrors`` are
    platform_cluster, platform_network and platform_mirrors. ``init_host`` is the node that runs
    ``kubeadm init`` (see init_node); every other node gets a JoinConfiguration, as a control-plane
    node when its roles say so. ``join`` carries what the cluster gave out: ``token`` (for init it
    becomes the bootstrap token created), ``ca_cert_hashes`` (list or one string), ``certificate_key``
    (from ``--upload-certs``; needed for a control-plane join) and optionally ``token_ttl``.
    ``overrides`` maps kind -> a partial document deep-merged into the rendered one of that kind
    (kinds not rendered for this host are left out). Check the result with
    kubeadm_schema.validate_documents.
    """
    network = network or {}
    mirrors = mirrors or {}
    join = join or {}
    if host not in hosts:
        raise ValueError("node %s is not among the cluster's hosts" % host)
    version = parse_version(cluster.get("kubernetes_version") or "")
    short = kubeadm_api_version(cluster["kubernetes_version"])
    group = KUBEADM_GROUP + "/" + short
    me = hosts[host] or {}
    control_plane = control_plane_hosts(hosts)
    port = int(cluster.get("api_port", 6443))
    endpoint = cluster.get("control_plane_endpoint")
    if not endpoint and control_plane:
        first = hosts[control_plane[0]] or {}
        address = str(first.get("node_ip") or control_plane[0])
        # host:port; an IPv6 address goes in brackets ([fd00::11]:6443), as kubeadm parses it
        endpoint = ("[%s]:%d" if ":" in address else "%s:%d") % (address, port)
    if not endpoint:
        raise ValueError("cluster %s: no control_plane_endpoint and no control-plane node to derive it from"
                         % cluster.get("name", "?"))
    dns_domain = network.get("dns_domain") or DEFAULT_DNS_DOMAIN

    registration = {"name": host, "criSocket": CRI_SOCKET, "imagePullPolicy": "IfNotPresent",
                    # an empty list, not absent: kubeadm adds its control-plane taint only when unset
                    "taints": _taints(host, me.get("node_taints"))}
    if me.get("node_ip"):
        registration["kubeletExtraArgs"] = _args([("node-ip", me["node_ip"])], short)
    local_endpoint = {"bindPort": port}
    if me.get("node_ip"):
        local_endpoint["advertiseAddress"] = me["node_ip"]

    if host == init_host:
        if host not in control_plane:
            raise ValueError("node %s initialises the cluster but has no control_plane role" % host)
        init = {"apiVersion": group, "kind": "InitConfiguration", "nodeRegistration": registration,
                "localAPIEndpoint": local_endpoint}
        if join.get("token"):
            init["bootstrapTokens"] = [{"token": join["token"], "ttl": join.get("token_ttl", "24h0m0s"),
                                        "usages": ["signing", "authentication"], "groups": [DEFAULT_TOKEN_GROUP]}]
        if join.get("certificate_key"):
            init["certificateKey"] = join["certificate_key"]
        docs = [init, cluster_configuration(cluster, network, mirrors, hosts, endpoint),
                kubelet_configuration(version, dns_domain), kube_proxy_configuration(cluster, network)]
    else:
        missing = [k for k in ("token", "ca_cert_hashes") if not join.get(k)]
        if missing:
            raise ValueError("node %s joins the cluster: join.%s is required (from the control plane: "
                             "kubeadm token create, and the CA public key hash)" % (host, " and join.".join(missing)))
        hashes = join["ca_cert_hashes"]
        hashes = [hashes] if isinstance(hashes, str) else list(hashes)
        doc = {"apiVersion": group, "kind": "JoinConfiguration", "nodeRegistration": registration,
               "discovery": {"bootstrapToken": {"apiServerEndpoint": endpoint, "token": join["token"],
                                                "caCertHashes": hashes}}}
        if host in control_plane:
            if not join.get("certificate_key"):
                raise ValueError("node %s joins the control plane: join.certificate_key is required (from "
                                 "kubeadm init phase upload-certs --upload-certs on a control-plane node)" % host)
            doc["controlPlane"] = {"localAPIEndpoint": local_endpoint, "certificateKey": join["certificate_key"]}
        docs = [doc]
    for doc in docs:
        if overrides and isinstance(overrides.get(doc["kind"]), dict):
            _merge(doc, overrides[doc["kind"]])
    return docs


def cert_sans(cluster, hosts, endpoint=None):
    """Names and addresses the API server certificate is valid for: every control-plane node's
    name, FQDN and IP, ``<name>.<domain>`` when the cluster has a domain, and the endpoint host."""
    sans = []
    for name in control_plane_hosts(hosts):
        hv = hosts[name] or {}
        sans += [name, hv.get("node_fqdn"), hv.get("node_ip")]
    if cluster.get("domain") and cluster.get("name"):
        sans.append("%s.%s" % (cluster["name"], cluster["domain"]))
    sans.append(endpoint_host(endpoint or cluster.get("control_plane_endpoint")))
    return _unique(sans)


def cluster_configuration(cluster, network, mirrors, hosts, endpoint=None):
    """The ClusterConfiguration of the cluster (the same on every control-plane node)."""
    short = kubeadm_api_version(cluster["kubernetes_version"])
    endpoint = endpoint or cluster.get("control_plane_endpoint")
    doc = {
        "apiVersion": KUBEADM_GROUP + "/" + short,
        "kind": "ClusterConfiguration",
        "kubernetesVersion": "v%d.%d.%d" % parse_version(cluster["kubernetes_version"]),
        "imageRepository": mirrors.get("image_repository") or DEFAULT_IMAGE_REPOSITORY,
        "networking": {"podSubnet": network.get("pod_network", "10.244.0.0/16"),
                       "serviceSubnet": network.get("service_network", "10.96.0.0/12"),
                       "dnsDomain": network.get("dns_domain") or DEFAULT_DNS_DOMAIN},
        "apiServer": {"certSANs": cert_sans(cluster, hosts, endpoint),
                      "extraArgs": _args([("service-node-port-range",
                                           network.get("node_port_range", "30000-32767"))], short)},
    }
    if cluster.get("name"):
        doc["clusterName"] = cluster["name"]
    if endpoint:
        doc["controlPlaneEndpoint"] = endpoint
    return doc


def kubelet_configuration(version, dns_domain=DEFAULT_DNS_DOMAIN):
    """The KubeletConfiguration kubeadm init uploads for every node (``version``: (major, minor, patch))."""
    doc = {
        "apiVersion": KUBELET_API,
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
        "clusterDomain": dns_domain,
        "rotateCertificates": True,
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                           "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}},
        "authorization": {"mode": "Webhook"},
    }
    if tuple(version[:2]) >= _KUBELET_RUNTIME_ENDPOINT_FROM:
        doc["containerRuntimeEndpoint"] = CRI_SOCKET
    return doc


def kube_proxy_configuration(cluster, network):
    """The KubeProxyConfiguration: the configured mode, the pod network as cluster CIDR."""
    return {"apiVersion": KUBE_PROXY_API, "kind": "KubeProxyConfiguration",
            "mode": cluster.get("kube_proxy_mode", "ipvs"),
            "clusterCIDR": network.get("pod_network", "10.244.0.0/16")}


# --- who inits, who joins ------------------------------------------------------------------------


def _member(state):
    return bool(state.get("admin_conf") or state.get("kubelet_conf"))


def init_node(control_plane, states):
    """The control-plane node that runs `kubeadm init`, or None when there is nothing to init.

    ``states`` maps host -> {"admin_conf": bool, "kubelet_conf": bool, ...}. A control-plane node
    with /etc/kubernetes/admin.conf or kubelet.conf already belongs to a cluster: never init again
    (the others join it). Otherwise the first reachable control-plane node inits. Unreachable hosts
    are simply absent from ``states``.
    """
    if any(_member(states.get(h, {})) for h in control_plane):
        return None
    for host in control_plane:
        if host in states:
            return host
    return None


def join_plan(control_plane, workers, states):
    """Who joins, as {"control_plane": [...], "workers": [...], "members": [...]}.

    A node with /etc/kubernetes/kubelet.conf is a member already and is left alone; the node that
    inits (see init_node) is not joined. Hosts absent from ``states`` (unreachable) are skipped.
    """
    first = init_node(control_plane, states)
    plan = {"control_plane": [], "workers": [], "members": []}
    for host in list(control_plane) + [w for w in workers if w not in control_plane]:
        state = states.get(host)
        if state is None or host == first:
            continue
        if _member(state):
            plan["members"].append(host)
        elif host in control_plane:
            plan["control_plane"].append(host)
        else:
            plan["workers"].append(host)
    return plan


# --- bootstrap tokens ------------------------------------------------------------------------------

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")


def _when(text):
    m = _RFC3339.match(str(text).strip())
    if not m:
        raise ValueError("'%s' is not an RFC 3339 time (expected 2026-11-22T12:00:00Z)" % text)
    zone = m.group(7)
    if zone in ("Z", "z"):
        tz = datetime.timezone.utc
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime.datetime(*[int(g) for g in m.groups()[:6]], tzinfo=tz)


def _now(now):
    if isinstance(now, datetime.datetime):
        return now if now.tzinfo else now.replace(tzinfo=datetime.timezone.utc)
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        return datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    return _when(now)


def parse_token_list(output):
    """The token objects of `kubeadm token list -o json`: it prints one JSON object per token, one
    after the other (no surrounding list). Also takes a JSON list, or objects already parsed."""
    if isinstance(output, dict):
        return [output]
    if isinstance(output, (list, tuple)):
        return list(output)
    text = str(output or "").strip()
    decoder = json.JSONDecoder()
    tokens, pos = [], 0
    while pos < len(text):
        try:
            obj, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            raise ValueError("kubeadm token list -o json: not JSON at character %d (%s)" % (pos, exc))
        tokens.extend(obj if isinstance(obj, list) else [obj])
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    for obj in tokens:
        if not isinstance(obj, dict) or "token" not in obj:
            raise ValueError("kubeadm token list -o json: %r is not a token object" % (obj,))
    return tokens


def usable_token(tokens, now, min_remaining_s=600):
    """A bootstrap token that can join nodes for at least ``min_remaining_s`` more seconds, or None
    (then make a new, short-lived one). ``tokens`` is the output of `kubeadm token list -o json`
    (text) or its parsed objects; ``now`` an aware datetime, RFC 3339 text (ansible_date_time.iso8601)
    or epoch seconds. Of several, the one that lives longest is returned.
    """
    now = _now(now)
    best = None
    for token in parse_token_list(tokens):
        if "authentication" not in (token.get("usages") or []):
            continue
        if DEFAULT_TOKEN_GROUP not in (token.get("groups") or []):
            continue
        expires = token.get("expires")
        left = float("inf") if not expires else (_when(expires) - now).total_seconds()
        if left >= min_remaining_s and (best is None or left > best[0]):
            best = (left, token["token"])
    return best[1] if best else None


# --- upgrades ----------------------------------------------------------------------------------


def upgrade_path(current, target):
    """Versions to go through, one minor at a time, ending at ``target``: 1.29.3 -> 1.31.4 gives
    [1.30, 1.31.4]; the intermediate minors are given without a patch (the role picks the newest
    patch its repository has). Downgrades and major changes are refused."""
    cur, tgt = parse_version(current), parse_version(target)
    if tgt < cur:
        raise ValueError("cannot go from %s down to %s: kubeadm does not downgrade" % (current, target))
    if tgt[0] != cur[0]:
        raise ValueError("cannot go from %s to %s: a major version change is not supported" % (current, target))
    if tgt == cur:
        return []
    steps = ["%d.%d" % (cur[0], minor) for minor in range(cur[1] + 1, tgt[1])]
    return steps + ["%d.%d.%d" % tgt]


def batches(hosts, size):
    """``hosts`` in batches of ``size``: an int, or a percentage such as "20%" (at least one host)."""
    hosts = list(hosts)
    text = str(size).strip()
    if isinstance(size, bool) or not re.match(r"^\d+(\.\d+)?%?$", text):
        raise ValueError("batch size %r: write a number of hosts (2) or a percentage (20%%)" % (size,))
    if text.endswith("%"):
        percent = float(text[:-1])
        if not 0 < percent <= 100:
            raise ValueError("batch size %s: a percentage must be above 0%% and at most 100%%" % text)
        count = max(1, int(len(hosts) * percent / 100))
    else:
        if "." in text:
            raise ValueError("batch size %s: a number of hosts is a whole number" % text)
        count = int(text)
        if count < 1:
            raise ValueError("batch size %s: at least 1" % text)
    return [hosts[i:i + count] for i in range(0, len(hosts), count)]


# --- nodes, labels, taints -----------------------------------------------------------------------


def parse_node_list(output):
    """{name: {ready, version, labels, taints, unschedulable, internal_ip}} from `kubectl get nodes -o json`
    (a List of Nodes; one Node, as `kubectl get node NAME -o json` prints it, is taken too), as text or parsed."""
    data = output
    if not isinstance(output, dict):
        try:
            data = json.loads(output or "")
        except ValueError as exc:
            raise ValueError("kubectl get nodes -o json: not JSON (%s)" % exc)
    if not isinstance(data, dict):
        raise ValueError("kubectl get nodes -o json: expected an object, got %s" % type(data).__name__)
    if data.get("kind") == "Node":
        items = [data]
    elif isinstance(data.get("items"), list):
        items = data["items"]
    else:
        raise ValueError("kubectl get nodes -o json: expected a List with items, got kind %s" % data.get("kind"))
    nodes = {}
    for item in items:
        meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
        name = meta.get("name")
        if not name:
            raise ValueError("kubectl get nodes -o json: a node without metadata.name")
        conditions = dict((c.get("type"), c.get("status")) for c in status.get("conditions") or [])
        addresses = dict((a.get("type"), a.get("address")) for a in status.get("addresses") or [])
        nodes[name] = {
            "ready": conditions.get("Ready") == "True",
            "version": (status.get("nodeInfo") or {}).get("kubeletVersion", ""),
            "labels": dict(meta.get("labels") or {}),
            "taints": [dict((k, t[k]) for k in ("key", "value", "effect") if t.get(k) not in (None, ""))
                       for t in spec.get("taints") or []],
            "unschedulable": bool(spec.get("unschedulable", False)),
            "internal_ip": addresses.get("InternalIP", ""),
        }
    return nodes


def _managed(key, prefixes):
    return any(key.startswith(p) for p in prefixes or ())


def _label_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def label_changes(current, wanted, managed_prefixes=()):
    """What turns the node's labels ``current`` into ``wanted``: {"add": {key: value} (new or changed),
    "remove": [keys], "args": kubectl label arguments, "changed": bool}.

    A label that is not wanted is removed only when its key starts with one of ``managed_prefixes``
    (an exact key counts as a prefix of itself), so labels others set (kubelet, operators) stay.
    Values are compared as Kubernetes stores them: True is "true". A rerun after applying gives nothing.
    """
    current = dict((k, _label_value(v)) for k, v in (current or {}).items())
    wanted = dict((k, _label_value(v)) for k, v in (wanted or {}).items())
    add = dict((k, v) for k, v in wanted.items() if current.get(k) != v)
    remove = sorted(k for k in current if k not in wanted and _managed(k, managed_prefixes))
    args = ["%s=%s" % (k, add[k]) for k in sorted(add)] + ["%s-" % k for k in remove]
    return {"add": add, "remove": remove, "args": args, "changed": bool(args)}


def _taint(taint, where):
    if not isinstance(taint, dict) or not taint.get("key") or taint.get("effect") not in TAINT_EFFECTS:
        raise ValueError("%s taint %r needs a key and an effect (one of %s)" % (where, taint, ", ".join(TAINT_EFFECTS)))
    return {"key": taint["key"], "value": _label_value(taint.get("value")), "effect": taint["effect"]}


def _taint_arg(taint):
    if taint["value"]:
        return "%s=%s:%s" % (taint["key"], taint["value"], taint["effect"])
    return "%s:%s" % (taint["key"], taint["effect"])


def taint_changes(current, wanted, managed_prefixes=(CONTROL_PLANE_TAINT,)):
    """What turns the node's taints ``current`` into ``wanted``: {"add": [taints] (new or with another
    value), "remove": [taints], "args": kubectl taint arguments, "changed": bool}.

    A taint is identified by key and effect. One that is not wanted is removed only when its key
    starts with one of ``managed_prefixes`` (by default the control-plane taint, which
    control_plane_schedulable switches); the node controller's node.kubernetes.io/ taints never are.
    """
    have = dict(((t["key"], t["effect"]), t) for t in (_taint(t, "current") for t in current or []))
    want = [_taint(t, "wanted") for t in wanted or []]
    want_ids = set((t["key"], t["effect"]) for t in want)
    add = [t for t in want if have.get((t["key"], t["effect"])) != t]
    remove = [t for ident, t in sorted(have.items()) if ident not in want_ids
              and _managed(t["key"], managed_prefixes) and not _managed(t["key"], _SYSTEM_TAINTS)]
    args = [_taint_arg(t) for t in add] + ["%s:%s-" % (t["key"], t["effect"]) for t in remove]
    return {"add": add, "remove": remove, "args": args, "changed": bool(args)}
