# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Kubernetes objects of the platform services, as data. Pure.

The ``platform`` role renders each service's objects into
``/etc/aiplatform/manifests/<service>/`` on the first control-plane node and applies them.
Images keep their upstream names: containerd on every node resolves them through the local
registry and the mirrors, so nothing here is rewritten per site. Every image comes from
``IMAGES`` (one place to bump a version; the offline bundle lists ``images_for(services)``),
except the NPU exporter's, which the site supplies (``monitoring(npu_exporter_image=...)``).

Upstream facts (read, not copied):
- NVIDIA device plugin: NVIDIA/k8s-device-plugin v0.20.0, deployments/static/nvidia-device-plugin.yml.
- Ascend device plugin: Ascend/mind-cluster v26.0.0, component/ascend-device-plugin/build/
  ascendplugin-{910,310P,310}-volcano.yaml and main.go (its flags). One DaemonSet per chip family,
  selected by the MindX label ``accelerator=huawei-<family>`` that the inventory plugin sets.
  ``-useAscendDocker`` is left out on purpose: since v7.2 the plugin ignores it (the
  ASCEND_DOCKER_RUNTIME variable that Ascend Docker Runtime sets decides) and v26.1.0 removed
  the flag, so passing it would stop a newer plugin at start-up.
- metrics-server: kubernetes-sigs/metrics-server tag v0.7.2, manifests/components/release/kustomization.yaml
  (image registry.k8s.io/metrics-server/metrics-server:v0.7.2) and manifests/base/{rbac,deployment,service,
  apiservice}.yaml (accounts, roles, flags, probes). README.md's compatibility matrix: 0.7.x serves
  Kubernetes 1.27+, 0.8.x 1.31+ and 0.9.x 1.34+, so 0.7.x is the line that covers every minor we install.
- node exporter: prometheus/node_exporter tag v1.12.1 (VERSION, CHANGELOG.md "1.12.1 / 2026-07-14");
  collector/paths.go (--path.procfs/sysfs/rootfs), README.md (quay.io/prometheus/node-exporter, host root
  mounted read-only with rslave propagation); metric names from collector/cpu_common.go, meminfo.go, uname.go.
- DCGM exporter: NVIDIA/dcgm-exporter tag 4.5.3-4.8.2, dcgm-exporter.yaml (image
  nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless, port 9400, DCGM_EXPORTER_KUBERNETES, SYS_ADMIN for
  the profiling metrics, pod-resources socket read-only), Makefile (tag = <dcgm>-<exporter>-<variant>),
  docker/Dockerfile (the image sets NVIDIA_VISIBLE_DEVICES=all), etc/default-counters.csv
  (DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED).
- NPU exporter: Ascend/mind-cluster v26.0.0, component/npu-exporter: build/npu-exporter.yaml (privileged,
  port 8082, driver and /usr/local/dcmi read-only, log directory /var/log/mindx-dl/npu-exporter),
  build/Dockerfile (binary /usr/local/bin/npu-exporter), cmd/npu-exporter/main.go (flags, -containerMode
  docker|containerd), collector/metrics/collector_for_npu.go and collector_for_hbm.go (metric names).
  Huawei's image (swr.cn-south-1.myhuaweicloud.com/ascendhub/npu-exporter:v26.0.0 in
  docs/zh/scheduling/installation_guide/03_installation.md) downloads only once Ascend Hub grants
  access, so nothing is pinned here: the site supplies its image (``npu_exporter_image``).
- Prometheus: prometheus/prometheus tag v3.13.2 (CHANGELOG.md "3.13.2 / 2026-07-29"), Dockerfile (runs as
  nobody, data in /prometheus), cmd/prometheus/main.go (flags; --storage.tsdb.retention.time is marked
  deprecated in favour of the config file's storage.tsdb.retention.time but still honoured),
  docs/configuration/configuration.md (the Endpoints API is deprecated from Kubernetes 1.33: the
  ``endpointslice`` discovery role is recommended, and used here). The image is on quay.io (README.md).
- Grafana: docker.io/grafana/grafana:13.1.3, the version prometheus-operator/kube-prometheus pins in
  jsonnet/kube-prometheus/versions.json (which also pins prometheus 3.13.2 and node-exporter 1.12.1); its
  manifests/grafana-deployment.yaml: port 3000, /api/health, read-only root with /var/lib/grafana and /tmp
  writable, provisioning under /etc/grafana/provisioning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import re

try:
    import yaml
except ImportError:  # ansible-test's import sanity has no PyYAML; the controller (ansible-core) always has it
    yaml = None

from ansible_collections.aiplatform.cluster.plugins.module_utils.nfs import pv_objects

def _yaml_text(data, **options):
    """YAML text of a config file held in a ConfigMap (JSON, which YAML reads alike, without PyYAML)."""
    if yaml is None:
        return json.dumps(data, indent=2)
    return yaml.safe_dump(data, **options)


# component -> image. Upstream names: the registry mirrors resolve them.
IMAGES = {
    "nvidia_device_plugin": "nvcr.io/nvidia/k8s-device-plugin:v0.20.0",
    "ascend_device_plugin": "swr.cn-south-1.myhuaweicloud.com/ascendhub/ascend-k8sdeviceplugin:v26.0.0",
    "metrics_server": "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
    "node_exporter": "quay.io/prometheus/node-exporter:v1.12.1",
    "dcgm_exporter": "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless",
    "prometheus": "quay.io/prometheus/prometheus:v3.13.2",
    "grafana": "docker.io/grafana/grafana:13.1.3",
}

# service (config key services.<name>) -> the IMAGES it runs. The DCGM exporter runs only where
# nodes have GPUs; the NPU exporter's image is the site's own (not in IMAGES).
SERVICE_IMAGES = {
    "nvidia_device_plugin": ("nvidia_device_plugin",),
    "ascend_device_plugin": ("ascend_device_plugin",),
    "metrics_server": ("metrics_server",),
    "monitoring": ("node_exporter", "dcgm_exporter", "prometheus", "grafana"),
}

# The labels the inventory plugin (config_model.node_labels) puts on accelerator nodes.
NVIDIA_GPU_LABEL = {"nvidia.com/gpu.present": "true"}
ASCEND_FAMILIES = ("Ascend910", "Ascend310P", "Ascend310")  # 910B nodes carry the 910 label
ASCEND_LABEL_KEY = "accelerator"

NVIDIA_NAMESPACE = "nvidia-device-plugin"
ASCEND_NAMESPACE = "kube-system"  # MindX components look for the plugin's ConfigMaps there
PLATFORM_NAMESPACE = "aiplatform"
MONITORING_NAMESPACE = "monitoring"
VOLCANO_NAMESPACE = "volcano-system"
NFS_STORAGE_CLASS = "nfs-static"

METRICS_SERVER_NAMESPACE = "kube-system"  # its RoleBinding reads kube-system's authentication ConfigMap

DEVICE_PLUGIN_DIR = "/var/lib/kubelet/device-plugins"
POD_RESOURCES_DIR = "/var/lib/kubelet/pod-resources"
ASCEND_DRIVER_DIR = "/usr/local/Ascend/driver"
ASCEND_DCMI_DIR = "/usr/local/dcmi"
ASCEND_LOG_DIR = "/var/log/mindx-dl/devicePlugin"
NPU_EXPORTER_LOG_DIR = "/var/log/mindx-dl/npu-exporter"  # the exporter's default -logFile lives here

# exporter (its DaemonSet, Service and Prometheus job) -> metrics port
EXPORTER_PORTS = {"node-exporter": 9100, "dcgm-exporter": 9400, "npu-exporter": 8082}
PROMETHEUS_PORT = 9090
GRAFANA_PORT = 3000
PROMETHEUS_STORAGE = "50Gi"
GRAFANA_DATASOURCE_UID = "prometheus"
GRAFANA_DASHBOARD_DIR = "/etc/grafana/dashboards/aiplatform"

_RUNTIME_SOCKETS = {
    "containerd": [("containerd", "/run/containerd")],
    "docker": [("docker-sock", "/run/docker.sock"), ("docker-dir", "/run/docker")],
}

_MANAGED_BY = {"app.kubernetes.io/managed-by": "aiplatform.cluster"}


def image(service, version_table=None):
    """The image of ``service``: ``version_table`` (service -> image) first, then ``IMAGES``."""
    table = dict(IMAGES)
    table.update(version_table or {})
    if service not in table:
        raise ValueError("service %s has no image in the version table (known: %s)"
                         % (service, ", ".join(sorted(table))))
    return table[service]


def _labels(name, extra=None):
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "aiplatform"}
    labels.update(_MANAGED_BY)
    labels.update(extra or {})
    return labels


def _metadata(name, ns=None, labels=None):
    meta = {"name": name, "labels": dict(labels) if labels else _labels(name)}
    if ns:
        meta["namespace"] = ns
    return meta


def namespace(name, pod_security=None):
    """A Namespace; ``pod_security`` (privileged, baseline, restricted) is enforced, warned and audited."""
    labels = dict(_MANAGED_BY)
    if pod_security:
        if pod_security not in ("privileged", "baseline", "restricted"):
            raise ValueError("namespace %s: pod security level %r is not privileged, baseline or restricted"
                             % (name, pod_security))
        for mode in ("enforce", "warn", "audit"):
            labels["pod-security.kubernetes.io/%s" % mode] = pod_security
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _host_path(name, path, kind=None):
    host = {"path": path}
    if kind:
        host["type"] = kind
    return {"name": name, "hostPath": host}


def _daemonset(name, ns, pod_spec, labels=None):
    selector = {"app.kubernetes.io/name": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _metadata(name, ns, labels),
        "spec": {
            "selector": {"matchLabels": selector},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": dict(labels) if labels else _labels(name)}, "spec": pod_spec},
        },
    }


def nvidia_device_plugin(version_table=None, node_selector=None, ns=NVIDIA_NAMESPACE):
    """The namespace and the NVIDIA device plugin DaemonSet on the GPU nodes.

    The plugin mounts the kubelet's device-plugin directory (hostPath, so its namespace is
    ``privileged`` for pod security), drops every capability and tolerates the
    ``nvidia.com/gpu`` taint. FAIL_ON_INIT_ERROR=false: a node whose driver is not ready yet keeps
    a running (idle) plugin instead of a crash loop. containerd's default runtime on GPU nodes is
    nvidia (role nvidia_runtime), so no runtimeClassName is needed.
    """
    name = "nvidia-device-plugin"
    pod = {
        "priorityClassName": "system-node-critical",
        "nodeSelector": dict(node_selector if node_selector is not None else NVIDIA_GPU_LABEL),
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [{
            "name": "nvidia-device-plugin-ctr",
            "image": image("nvidia_device_plugin", version_table),
            "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "device-plugin", "mountPath": DEVICE_PLUGIN_DIR}],
        }],
        "volumes": [_host_path("device-plugin", DEVICE_PLUGIN_DIR, "Directory")],
    }
    objects = []
    if ns != "kube-system":
        objects.append(namespace(ns, "privileged"))
    objects.append(_daemonset(name, ns, pod))
    return objects


def ascend_node_selector(family):
    """The MindX node selector of an Ascend family (Ascend910 also selects 910B nodes)."""
    return {ASCEND_LABEL_KEY: "huawei-" + family}


def ascend_device_plugin(version_table=None, families=ASCEND_FAMILIES, volcano=True,
                         container_runtime="containerd", ns=ASCEND_NAMESPACE, node_selectors=None):
    """The Ascend (MindX) device plugin: its ServiceAccount and RBAC, and a DaemonSet per chip family.

    ``families``: the Ascend families of the cluster (a family without nodes costs nothing: its
    DaemonSet schedules no pod). ``volcano``: the plugin reports for Volcano's Ascend scheduler
    (``-volcanoType``), which needs the kubelet's pod-resources socket. ``node_selectors`` maps a
    family to another node selector than the MindX ``accelerator=huawei-<family>``.
    """
    if container_runtime not in _RUNTIME_SOCKETS:
        raise ValueError("container runtime %r: the Ascend device plugin manifests know %s"
                         % (container_runtime, ", ".join(sorted(_RUNTIME_SOCKETS))))
    unknown = [f for f in families if f not in ASCEND_FAMILIES]
    if unknown:
        raise ValueError("Ascend family %s is not one of %s (910B nodes use Ascend910)"
                         % (", ".join(unknown), ", ".join(ASCEND_FAMILIES)))
    name = "ascend-device-plugin"
    objects = []
    if ns != "kube-system":
        objects.append(namespace(ns, "privileged"))
    objects += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(name, ns)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _metadata(name),
            # What the plugin does: annotates its pods with the chips it gave them, patches its
            # node's labels and status (chip health), keeps per-node device ConfigMaps, records events.
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "update", "patch"]},
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]},
                {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["get", "patch", "update"]},
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch", "create", "update"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _metadata(name),
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        },
    ]
    for family in families:
        objects.append(_ascend_daemonset(name, family, version_table, volcano, container_runtime, ns,
                                         (node_selectors or {}).get(family) or ascend_node_selector(family)))
    return objects


def _ascend_daemonset(sa_name, family, version_table, volcano, container_runtime, ns, node_selector):
    short = family[len("Ascend"):].lower()
    name = "ascend-device-plugin-%s" % short
    args = ["-volcanoType=%s" % str(bool(volcano)).lower()]
    if family in ("Ascend910", "Ascend310P"):  # static vNPU presets exist only on these
        args.append("-presetVirtualDevice=true")
    args += ["-logFile=%s/devicePlugin.log" % ASCEND_LOG_DIR, "-logLevel=0"]
    mounts = [
        {"name": "device-plugin", "mountPath": DEVICE_PLUGIN_DIR},
        {"name": "driver", "mountPath": ASCEND_DRIVER_DIR, "readOnly": True},
        {"name": "log", "mountPath": ASCEND_LOG_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "localtime", "mountPath": "/etc/localtime", "readOnly": True},
    ]
    volumes = [
        _host_path("device-plugin", DEVICE_PLUGIN_DIR, "Directory"),
        _host_path("driver", ASCEND_DRIVER_DIR, "Directory"),
        _host_path("log", ASCEND_LOG_DIR, "DirectoryOrCreate"),
        _host_path("tmp", "/tmp", "Directory"),
        _host_path("localtime", "/etc/localtime"),
    ]
    if volcano:
        mounts.append({"name": "pod-resources", "mountPath": POD_RESOURCES_DIR})
        volumes.append(_host_path("pod-resources", POD_RESOURCES_DIR, "Directory"))
    for volume, path in _RUNTIME_SOCKETS[container_runtime]:
        mounts.append({"name": volume, "mountPath": path, "readOnly": True})
        volumes.append(_host_path(volume, path))
    pod = {
        "serviceAccountName": sa_name,
        "priorityClassName": "system-node-critical",
        "nodeSelector": dict(node_selector),
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"key": "huawei.com/" + family, "operator": "Exists", "effect": "NoSchedule"},
        ],
        "containers": [{
            "name": "device-plugin",
            "image": image("ascend_device_plugin", version_table),
            "command": ["/usr/local/bin/device-plugin"],
            "args": args,
            "env": [
                {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            ],
            "resources": {"requests": {"cpu": "500m", "memory": "500Mi"},
                          "limits": {"cpu": "500m", "memory": "500Mi"}},
            "securityContext": {"privileged": True, "readOnlyRootFilesystem": True},
            "volumeMounts": mounts,
        }],
        "volumes": volumes,
    }
    return _daemonset(name, ns, pod, _labels(name, {"aiplatform.cluster/ascend-family": family}))


def nfs_storage(shares, server_addresses, capacity="1Ti", claim_namespace="default",
                storage_class=NFS_STORAGE_CLASS):
    """A StorageClass for statically provisioned NFS volumes and, per share, its bound PV and PVC.

    Nothing provisions (kubernetes.io/no-provisioner): an administrator adds volumes of this
    class; WaitForFirstConsumer binds a claim only once a pod needs it, and Retain keeps the
    data when a claim goes. The per-share PV/PVC pairs are ``nfs.pv_objects``, put in the class
    (a pre-bound pair must name the same class on both sides).
    """
    objects = [{
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": _metadata(storage_class),
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Retain",
    }]
    for obj in pv_objects(shares, server_addresses, capacity=capacity, namespace=claim_namespace):
        obj = copy.deepcopy(obj)
        obj["spec"]["storageClassName"] = storage_class
        objects.append(obj)
    return objects


# --- shared pieces of the metrics-server and monitoring objects -------------------------------

# Each object is built from fresh dicts and lists, never one shared between two places: a YAML
# dump of shared data writes anchors and aliases, and a caller's change to one object would show
# in another. Hence the tuples here (a tuple left in an object fails yaml.safe_dump).
_SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
_READ = ("get", "list", "watch")
# Prometheus durations: one or more <number><unit>, units y w d h m s ms (e.g. 15d, 1w, 12h30m).
_DURATION = re.compile(r"^([0-9]+(ms|y|w|d|h|m|s))+$")
# A DNS-1123 subdomain: what Kubernetes accepts as the name of a Secret or a StorageClass.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _restricted_container():
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def _pod_security(user, fs_group=None):
    context = {"runAsNonRoot": True, "runAsUser": user, "runAsGroup": user,
               "seccompProfile": {"type": "RuntimeDefault"}}
    if fs_group is not None:
        context["fsGroup"] = fs_group
    return context


def _deployment(name, ns, pod_spec, replicas=1, strategy=None, annotations=None, labels=None):
    template = {"labels": dict(labels) if labels else _labels(name)}
    if annotations:
        template["annotations"] = dict(annotations)
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        "template": {"metadata": template, "spec": pod_spec},
    }
    if strategy:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(name, ns, labels), "spec": spec}


def _service(name, ns, port, target="metrics", headless=False, labels=None):
    """A Service in front of the pods labelled ``app.kubernetes.io/name=<name>`` (headless: one target per pod)."""
    spec = {"selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": target, "port": port, "targetPort": target, "protocol": "TCP"}]}
    if headless:
        spec["clusterIP"] = "None"
    else:
        spec["type"] = "ClusterIP"
    return {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(name, ns, labels), "spec": spec}


def _config_map(name, ns, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(name, ns), "data": data}


def _config_checksum(*config_maps):
    """A pod annotation that changes with the ConfigMaps' content, so applying a new config rolls the pods."""
    digest = hashlib.sha256()
    for config_map in config_maps:
        digest.update(json.dumps(config_map["data"], sort_keys=True).encode("utf-8"))
    return {"aiplatform.cluster/config-sha256": digest.hexdigest()}


def _cluster_role(name, rules, labels=None):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": _metadata(name, labels=labels), "rules": rules}


def _binding(kind, name, role_kind, role, account, account_ns, ns=None, labels=None):
    """A (Cluster)RoleBinding of ``role`` to the ServiceAccount ``account_ns/account``."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": _metadata(name, ns, labels),
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": account_ns}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
    }


def _http_probe(path, port, scheme=None, initial_delay=None):
    get = {"path": path, "port": port}
    if scheme:
        get["scheme"] = scheme
    probe = {"httpGet": get, "periodSeconds": 10, "failureThreshold": 3}
    if initial_delay:
        probe["initialDelaySeconds"] = initial_delay
    return probe


# --- metrics-server ------------------------------------------------------------------------------


def metrics_server(version_table=None, insecure_kubelet_tls=False):
    """metrics-server in kube-system: the resource metrics API (``kubectl top``, HPA) behind an APIService.

    Its account reads nodes and pods and each kubelet's ``/metrics/resource`` (nodes/metrics),
    delegates authentication and authorization to the API server (auth-delegator, and the
    ``extension-apiserver-authentication`` ConfigMap through the auth-reader Role in kube-system),
    and ``system:aggregated-metrics-reader`` lets the view, edit and admin roles read the metrics.
    The APIService skips TLS verification of metrics-server itself: it serves a certificate it
    generates in ``--cert-dir`` and no CA bundle could name it.

    ``insecure_kubelet_tls`` adds ``--kubelet-insecure-tls``: metrics-server then accepts any
    kubelet serving certificate. kubeadm's kubelets serve a self-signed certificate unless
    ``serverTLSBootstrap`` is on in the KubeletConfiguration (and their kubelet-serving CSRs are
    approved); against self-signed kubelets metrics-server fails every scrape with an unknown
    authority. The default is to verify, the safe choice; the caller passes True for a cluster
    whose kubelets serve self-signed certificates, as those of ``kubeadm.kubelet_configuration``
    do today (it does not set serverTLSBootstrap).
    """
    name = "metrics-server"
    ns = METRICS_SERVER_NAMESPACE
    labels = _labels(name)  # role names carry colons, which label values may not
    args = [
        "--cert-dir=/tmp",
        "--secure-port=10250",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
    ]
    if insecure_kubelet_tls:
        args.append("--kubelet-insecure-tls")
    pod = {
        "serviceAccountName": name,
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "securityContext": _pod_security(1000),
        "containers": [{
            "name": name,
            "image": image("metrics_server", version_table),
            "args": args,
            "ports": [{"name": "https", "containerPort": 10250, "protocol": "TCP"}],
            "readinessProbe": _http_probe("/readyz", "https", "HTTPS", initial_delay=20),
            "livenessProbe": _http_probe("/livez", "https", "HTTPS"),
            "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
            "securityContext": _restricted_container(),
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    aggregate = dict(("rbac.authorization.k8s.io/aggregate-to-%s" % role, "true") for role in ("view", "edit", "admin"))
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(name, ns, labels)},
        _cluster_role("system:aggregated-metrics-reader",
                      [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": list(_READ)}],
                      _labels(name, aggregate)),
        _cluster_role("system:metrics-server", [
            {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": list(_READ)},
        ], labels),
        _binding("RoleBinding", "metrics-server-auth-reader", "Role", "extension-apiserver-authentication-reader",
                 name, ns, ns=ns, labels=labels),
        _binding("ClusterRoleBinding", "metrics-server:system:auth-delegator", "ClusterRole", "system:auth-delegator",
                 name, ns, labels=labels),
        _binding("ClusterRoleBinding", "system:metrics-server", "ClusterRole", "system:metrics-server",
                 name, ns, labels=labels),
        _service(name, ns, 443, target="https", labels=labels),
        _deployment(name, ns, pod, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}),
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": _metadata("v1beta1.metrics.k8s.io", labels=labels),
            "spec": {
                "service": {"name": name, "namespace": ns, "port": 443},
                "group": "metrics.k8s.io",
                "version": "v1beta1",
                "insecureSkipTLSVerify": True,
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
            },
        },
    ]


# --- monitoring ----------------------------------------------------------------------------------


def npu_node_affinity(families=ASCEND_FAMILIES):
    """Required node affinity for every Ascend node: the MindX label ``accelerator`` In huawei-<family>."""
    values = [ascend_node_selector(family)[ASCEND_LABEL_KEY] for family in families]
    term = {"matchExpressions": [{"key": ASCEND_LABEL_KEY, "operator": "In", "values": values}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def monitoring(nodes_have_gpu=True, nodes_have_npu=False, npu_exporter_image=None, version_table=None, retention="15d",
               storage_class=None, grafana_admin_secret="grafana-admin", container_runtime="containerd"):
    """Exporters, Prometheus and Grafana in the ``monitoring`` namespace (``platform_namespaces`` makes it,
    privileged: the exporters read the host).

    - node exporter on every node (every taint tolerated): host network and PID namespace, the
      host's /proc, /sys and / read-only; a headless Service names one target per node.
    - DCGM exporter on the GPU nodes (``NVIDIA_GPU_LABEL``) when ``nodes_have_gpu``: no
      runtimeClassName and no driver or device mounts. It relies on what role nvidia_runtime sets
      up (``nvidia_runtime_default: true``): containerd's default runtime on GPU nodes is the NVIDIA
      container runtime, which gives the container every GPU because NVIDIA_VISIBLE_DEVICES=all
      (set by the image, and here again so the assumption is visible). A GPU node whose default
      runtime is not nvidia runs the exporter without GPUs (no DCGM metrics). SYS_ADMIN is for
      the profiling metrics; the kubelet's pod-resources socket (read-only) maps GPUs to pods.
    - NPU exporter on the Ascend nodes (``accelerator`` In huawei-<family>) only when
      ``nodes_have_npu`` and the site gives ``npu_exporter_image``: Huawei's exporter runs
      privileged with the driver and DCMI libraries read-only from the host and the container
      runtime's socket (``-containerMode`` from ``container_runtime``) to map chips to containers.
      ``nodes_have_npu`` without an image renders no NPU exporter; the caller says so.
    - Prometheus (one replica): scrapes the exporters rendered (found through their Services'
      EndpointSlices), the API server, and each kubelet's cAdvisor through the API server's node
      proxy (so its ClusterRole has ``get`` on nodes/proxy: the API server checks that for
      ``/api/v1/nodes/<node>/proxy/...``, and the kubelets' self-signed certificates never matter);
      ``--storage.tsdb.retention.time=<retention>``; data in an emptyDir (lost with the pod) unless
      ``storage_class`` is given, then a PersistentVolumeClaim of 50Gi of that class (Recreate: two
      pods never share the volume).
    - Grafana (ClusterIP on 3000; how it is exposed is decided elsewhere): Prometheus as its
      provisioned data source, and the cluster dashboard (nodes, CPU, memory, and GPU/NPU panels
      for the exporters rendered). The admin user and password come from the existing Secret
      ``grafana_admin_secret`` (keys ``admin-user``, ``admin-password``), which must exist before
      the pod starts; no password is in these objects. Grafana's database is an emptyDir: what it
      shows is provisioned, and changes made in its UI are lost when the pod restarts.

    Pods pick up a changed ConfigMap on apply: their template carries the config's sha256.
    """
    if not _DURATION.match(str(retention)):
        raise ValueError("monitoring: retention %r is not a Prometheus duration (write it like 15d, 12h or 1w)"
                         % (retention,))
    if storage_class and not _DNS_SUBDOMAIN.match(str(storage_class)):
        raise ValueError("monitoring: storage class %r is not a Kubernetes object name" % (storage_class,))
    if not _DNS_SUBDOMAIN.match(str(grafana_admin_secret or "")):
        raise ValueError("monitoring: Grafana admin Secret %r is not a Kubernetes object name"
                         % (grafana_admin_secret,))
    exporters = ["node-exporter"]
    objects = _node_exporter(version_table)
    if nodes_have_gpu:
        exporters.append("dcgm-exporter")
        objects += _dcgm_exporter(version_table)
    if nodes_have_npu and npu_exporter_image:
        exporters.append("npu-exporter")
        objects += _npu_exporter(npu_exporter_image, container_runtime)
    objects += _prometheus(exporters, version_table, retention, storage_class)
    objects += _grafana(exporters, version_table, grafana_admin_secret)
    return objects


def _exporter_port(name):
    return [{"name": "metrics", "containerPort": EXPORTER_PORTS[name], "protocol": "TCP"}]


def _exporter(name, pod):
    ns = MONITORING_NAMESPACE
    pod = dict(pod, automountServiceAccountToken=False, tolerations=[{"operator": "Exists"}])
    return [_daemonset(name, ns, pod), _service(name, ns, EXPORTER_PORTS[name], headless=True)]


def _node_exporter(version_table):
    name = "node-exporter"
    # node_exporter's own default exclusions, plus the kubelet's per-pod volumes and containerd's mounts
    excluded = ("^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+"
                "|var/lib/kubelet/pods/.+|run/containerd/.+)($|/)")
    return _exporter(name, {
        "hostNetwork": True,
        "hostPID": True,
        "securityContext": _pod_security(65534),
        "containers": [{
            "name": name,
            "image": image("node_exporter", version_table),
            "args": [
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                # The host's network, but only its cluster address: metrics carry no credentials.
                "--web.listen-address=$(HOST_IP):%d" % EXPORTER_PORTS[name],
                "--collector.filesystem.mount-points-exclude=" + excluded,
            ],
            "env": [{"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}],
            "ports": _exporter_port(name),
            "readinessProbe": _http_probe("/", "metrics"),
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            "securityContext": _restricted_container(),
            "volumeMounts": [
                {"name": "proc", "mountPath": "/host/proc", "readOnly": True},
                {"name": "sys", "mountPath": "/host/sys", "readOnly": True},
                {"name": "root", "mountPath": "/host/root", "readOnly": True, "mountPropagation": "HostToContainer"},
            ],
        }],
        "volumes": [_host_path("proc", "/proc"), _host_path("sys", "/sys"), _host_path("root", "/")],
    })


def _dcgm_exporter(version_table):
    name = "dcgm-exporter"
    return _exporter(name, {
        "nodeSelector": dict(NVIDIA_GPU_LABEL),
        "containers": [{
            "name": name,
            "image": image("dcgm_exporter", version_table),
            "env": [
                {"name": "DCGM_EXPORTER_LISTEN", "value": ":%d" % EXPORTER_PORTS[name]},
                {"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"},
                {"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"},
                {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            ],
            "ports": _exporter_port(name),
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            "securityContext": {"runAsNonRoot": False, "runAsUser": 0, "allowPrivilegeEscalation": False,
                                "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}},
            "volumeMounts": [{"name": "pod-resources", "mountPath": POD_RESOURCES_DIR, "readOnly": True}],
        }],
        "volumes": [_host_path("pod-resources", POD_RESOURCES_DIR, "Directory")],
    })


_NPU_CONTAINER_MODES = {"containerd": "containerd", "docker": "docker"}


def _npu_exporter(npu_image, container_runtime):
    if container_runtime not in _RUNTIME_SOCKETS:
        raise ValueError("container runtime %r: the NPU exporter manifests know %s"
                         % (container_runtime, ", ".join(sorted(_RUNTIME_SOCKETS))))
    name = "npu-exporter"
    mounts = [
        {"name": "driver", "mountPath": ASCEND_DRIVER_DIR, "readOnly": True},
        {"name": "dcmi", "mountPath": ASCEND_DCMI_DIR, "readOnly": True},
        {"name": "log", "mountPath": NPU_EXPORTER_LOG_DIR},
        {"name": "localtime", "mountPath": "/etc/localtime", "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    volumes = [
        _host_path("driver", ASCEND_DRIVER_DIR, "Directory"),
        _host_path("dcmi", ASCEND_DCMI_DIR),
        _host_path("log", NPU_EXPORTER_LOG_DIR, "DirectoryOrCreate"),
        _host_path("localtime", "/etc/localtime"),
        _host_path("tmp", "/tmp", "Directory"),
    ]
    for volume, path in _RUNTIME_SOCKETS[container_runtime]:
        mounts.append({"name": volume, "mountPath": path, "readOnly": True})
        volumes.append(_host_path(volume, path))
    return _exporter(name, {
        "affinity": npu_node_affinity(),
        "containers": [{
            "name": name,
            "image": npu_image,
            "command": ["/usr/local/bin/npu-exporter"],
            "args": [
                "-port=%d" % EXPORTER_PORTS[name],
                "-ip=0.0.0.0",  # the pod's own addresses: it is not on the host network
                "-updateTime=5",
                "-containerMode=%s" % _NPU_CONTAINER_MODES[container_runtime],
                "-logFile=%s/npu-exporter.log" % NPU_EXPORTER_LOG_DIR,
                "-logLevel=0",
            ],
            "ports": _exporter_port(name),
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
            "securityContext": {"privileged": True, "readOnlyRootFilesystem": True, "runAsUser": 0},
            "volumeMounts": mounts,
        }],
        "volumes": volumes,
    })


def prometheus_config(exporters):
    """prometheus.yml as data: the API server, each kubelet's cAdvisor, Prometheus itself, and a job per
    exporter (``exporters``: names in ``EXPORTER_PORTS``) found through its Service's EndpointSlices."""
    unknown = [e for e in exporters if e not in EXPORTER_PORTS]
    if unknown:
        raise ValueError("monitoring: no scrape job for exporter %s (known: %s)"
                         % (", ".join(unknown), ", ".join(sorted(EXPORTER_PORTS))))
    def in_cluster():  # the API server's CA and the pod's account token
        return {"tls_config": {"ca_file": _SA_DIR + "/ca.crt"},
                "authorization": {"credentials_file": _SA_DIR + "/token"}}

    jobs = [
        dict({
            "job_name": "kubernetes-apiservers",
            "scheme": "https",
            "kubernetes_sd_configs": [{"role": "endpointslice", "namespaces": {"names": ["default"]}}],
            "relabel_configs": [{
                "source_labels": ["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"],
                "regex": "kubernetes;https",
                "action": "keep",
            }],
        }, **in_cluster()),
        dict({
            "job_name": "kubernetes-nodes-cadvisor",
            "scheme": "https",
            "kubernetes_sd_configs": [{"role": "node"}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"},
                {"target_label": "__address__", "replacement": "kubernetes.default.svc:443"},
                {"source_labels": ["__meta_kubernetes_node_name"], "regex": "(.+)", "target_label": "__metrics_path__",
                 "replacement": "/api/v1/nodes/$1/proxy/metrics/cadvisor"},
            ],
        }, **in_cluster()),
        {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:%d" % PROMETHEUS_PORT]}]},
    ]
    for exporter in exporters:
        jobs.append({
            "job_name": exporter,
            "kubernetes_sd_configs": [{"role": "endpointslice", "namespaces": {"names": [MONITORING_NAMESPACE]}}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"],
                 "regex": exporter + ";metrics", "action": "keep"},
                # node only: the GPU/NPU exporters' own namespace/pod labels name the workload's pod
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        })
    return {
        "global": {"scrape_interval": "30s", "scrape_timeout": "10s", "evaluation_interval": "30s"},
        "scrape_configs": jobs,
    }


def _prometheus(exporters, version_table, retention, storage_class):
    name = "prometheus"
    ns = MONITORING_NAMESPACE
    config = _config_map("prometheus-config", ns, {
        "prometheus.yml": _yaml_text(prometheus_config(exporters), default_flow_style=False, sort_keys=False)})
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(name, ns)},
        # Discovery (nodes, services, endpoints, slices, pods), the kubelets' metrics directly
        # (nodes/metrics) or through the API server's node proxy (nodes/proxy, get only: cAdvisor),
        # and the API server's own /metrics.
        _cluster_role(name, [
            {"apiGroups": [""], "resources": ["nodes", "services", "endpoints", "pods"], "verbs": list(_READ)},
            {"apiGroups": [""], "resources": ["nodes/metrics", "nodes/proxy"], "verbs": ["get"]},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": list(_READ)},
            {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
        ]),
        _binding("ClusterRoleBinding", name, "ClusterRole", name, name, ns),
        config,
    ]
    if storage_class:
        claim = "prometheus-data"
        objects.append({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": _metadata(claim, ns),
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                     "resources": {"requests": {"storage": PROMETHEUS_STORAGE}}},
        })
        data = {"name": "data", "persistentVolumeClaim": {"claimName": claim}}
    else:
        data = {"name": "data", "emptyDir": {}}
    pod = {
        "serviceAccountName": name,
        "securityContext": _pod_security(65534, fs_group=65534),
        "containers": [{
            "name": name,
            "image": image("prometheus", version_table),
            "args": [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                "--storage.tsdb.retention.time=%s" % retention,
            ],
            "ports": [{"name": "web", "containerPort": PROMETHEUS_PORT, "protocol": "TCP"}],
            "readinessProbe": _http_probe("/-/ready", "web"),
            "livenessProbe": _http_probe("/-/healthy", "web", initial_delay=30),
            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}},
            "securityContext": _restricted_container(),
            "volumeMounts": [
                {"name": "config", "mountPath": "/etc/prometheus", "readOnly": True},
                {"name": "data", "mountPath": "/prometheus"},
            ],
        }],
        "volumes": [{"name": "config", "configMap": {"name": config["metadata"]["name"]}}, data],
    }
    objects += [
        _deployment(name, ns, pod, strategy={"type": "Recreate"}, annotations=_config_checksum(config)),
        _service(name, ns, PROMETHEUS_PORT, target="web"),
    ]
    return objects


# Panels of the cluster dashboard: (exporter it needs, title, unit, PromQL, legend).
_PANELS = [
    ("node-exporter", "Nodes up", "none", "count(node_uname_info)", "nodes"),
    ("node-exporter", "CPU busy per node", "percent",
     '100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[5m])))', "{{node}}"),
    ("node-exporter", "Memory used per node", "percent",
     "100 * (1 - sum by (node) (node_memory_MemAvailable_bytes) / sum by (node) (node_memory_MemTotal_bytes))",
     "{{node}}"),
    ("dcgm-exporter", "GPU utilisation", "percent", "DCGM_FI_DEV_GPU_UTIL", "{{node}} GPU {{gpu}}"),
    ("dcgm-exporter", "GPU memory used", "mbytes", "DCGM_FI_DEV_FB_USED", "{{node}} GPU {{gpu}}"),
    ("npu-exporter", "NPU AI core utilisation", "percent", "npu_chip_info_utilization", "{{node}} NPU {{id}}"),
]


def cluster_dashboard(exporters):
    """The Grafana dashboard of the cluster as data: the panels whose exporter is in ``exporters``."""
    def datasource():
        return {"type": "prometheus", "uid": GRAFANA_DATASOURCE_UID}

    panels = []
    for exporter, title, unit, expr, legend in _PANELS:
        if exporter not in exporters:
            continue
        stat = len(panels) == 0  # the node count first, as a single number
        index = len(panels)
        panels.append({
            "id": index + 1,
            "type": "stat" if stat else "timeseries",
            "title": title,
            "datasource": datasource(),
            "gridPos": {"h": 4, "w": 24, "x": 0, "y": 0} if stat else
                       {"h": 8, "w": 12, "x": 12 * ((index - 1) % 2), "y": 4 + 8 * ((index - 1) // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"refId": "A", "datasource": datasource(), "expr": expr, "legendFormat": legend}],
        })
    return {
        "uid": "aiplatform-cluster",
        "title": "AI platform: cluster",
        "tags": ["aiplatform"],
        "timezone": "browser",
        "schemaVersion": 39,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


def _grafana(exporters, version_table, admin_secret):
    name = "grafana"
    ns = MONITORING_NAMESPACE
    prometheus_url = "http://prometheus.%s.svc:%d" % (ns, PROMETHEUS_PORT)
    datasources = _config_map("grafana-datasources", ns, {"prometheus.yaml": _yaml_text({
        "apiVersion": 1,
        "datasources": [{"name": "Prometheus", "uid": GRAFANA_DATASOURCE_UID, "type": "prometheus",
                         "access": "proxy", "url": prometheus_url, "isDefault": True, "editable": False}],
    }, default_flow_style=False, sort_keys=False)})
    providers = _config_map("grafana-dashboard-providers", ns, {"aiplatform.yaml": _yaml_text({
        "apiVersion": 1,
        "providers": [{"name": "aiplatform", "orgId": 1, "folder": "AI platform", "type": "file",
                       "disableDeletion": True, "allowUiUpdates": False,
                       "options": {"path": GRAFANA_DASHBOARD_DIR}}],
    }, default_flow_style=False, sort_keys=False)})
    dashboards = _config_map("grafana-dashboard-cluster", ns, {
        "cluster.json": json.dumps(cluster_dashboard(exporters), indent=2, sort_keys=True)})

    def secret(key):
        return {"secretKeyRef": {"name": admin_secret, "key": key}}

    pod = {
        "automountServiceAccountToken": False,
        "securityContext": _pod_security(472, fs_group=472),  # the image's grafana user
        "containers": [{
            "name": name,
            "image": image("grafana", version_table),
            "env": [
                {"name": "GF_SECURITY_ADMIN_USER", "valueFrom": secret("admin-user")},
                {"name": "GF_SECURITY_ADMIN_PASSWORD", "valueFrom": secret("admin-password")},
                # an on-prem cluster: no usage reports or update checks towards grafana.com
                {"name": "GF_ANALYTICS_REPORTING_ENABLED", "value": "false"},
                {"name": "GF_ANALYTICS_CHECK_FOR_UPDATES", "value": "false"},
            ],
            "ports": [{"name": "http", "containerPort": GRAFANA_PORT, "protocol": "TCP"}],
            "readinessProbe": _http_probe("/api/health", "http"),
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            "securityContext": _restricted_container(),
            "volumeMounts": [
                {"name": "data", "mountPath": "/var/lib/grafana"},
                {"name": "tmp", "mountPath": "/tmp"},
                {"name": "datasources", "mountPath": "/etc/grafana/provisioning/datasources", "readOnly": True},
                {"name": "dashboard-providers", "mountPath": "/etc/grafana/provisioning/dashboards", "readOnly": True},
                {"name": "dashboards", "mountPath": GRAFANA_DASHBOARD_DIR, "readOnly": True},
            ],
        }],
        "volumes": [
            {"name": "data", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
            {"name": "datasources", "configMap": {"name": datasources["metadata"]["name"]}},
            {"name": "dashboard-providers", "configMap": {"name": providers["metadata"]["name"]}},
            {"name": "dashboards", "configMap": {"name": dashboards["metadata"]["name"]}},
        ],
    }
    return [
        datasources,
        providers,
        dashboards,
        _deployment(name, ns, pod, annotations=_config_checksum(datasources, providers, dashboards)),
        _service(name, ns, GRAFANA_PORT, target="http"),
    ]


def platform_namespaces(services, ns=PLATFORM_NAMESPACE):
    """The namespaces the platform expects, and the account its own controllers run as.

    ``aiplatform`` (always; baseline: the platform's pods need no host access), ``monitoring``
    (privileged: node and accelerator exporters read the host) and ``volcano-system`` (baseline)
    when those services are on. The ServiceAccount ``aiplatform-controller`` may run the
    platform's workloads in every namespace: pods, services, config, claims, jobs, and Volcano
    jobs and queues when Volcano is on.
    """
    objects = [namespace(ns, "baseline")]
    if services.get("monitoring"):
        objects.append(namespace(MONITORING_NAMESPACE, "privileged"))
    if services.get("volcano"):
        objects.append(namespace(VOLCANO_NAMESPACE, "baseline"))
    name = "aiplatform-controller"
    read = ("get", "list", "watch")
    write = read + ("create", "update", "patch", "delete", "deletecollection")
    rules = [
        {"apiGroups": [""], "resources": ["nodes", "namespaces", "events", "resourcequotas"], "verbs": list(read)},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
         "verbs": list(write)},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": list(write)},
    ]
    if services.get("volcano"):
        rules += [
            {"apiGroups": ["batch.volcano.sh"], "resources": ["jobs"], "verbs": list(write)},
            {"apiGroups": ["scheduling.volcano.sh"], "resources": ["podgroups", "queues"], "verbs": list(write)},
        ]
    objects += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _metadata(name, ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _metadata(name),
         "rules": rules},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": _metadata(name),
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        },
    ]
    return objects


def manifests(services, shares=(), server_addresses=None, version_table=None, ascend_families=ASCEND_FAMILIES,
              container_runtime="containerd", nfs_capacity="1Ti", nfs_claim_namespace="default",
              insecure_kubelet_tls=False, nodes_have_gpu=True, nodes_have_npu=False, npu_exporter_image=None,
              monitoring_retention="15d", monitoring_storage_class=None, grafana_admin_secret="grafana-admin"):
    """Objects per manifest directory (``namespaces`` and each enabled service built here).

    ``services`` is the config's ``services`` map (the loader fills its defaults); a missing
    key is off. ``insecure_kubelet_tls`` goes to ``metrics_server``; ``nodes_have_gpu``,
    ``nodes_have_npu``, ``npu_exporter_image``, ``monitoring_retention``, ``monitoring_storage_class``
    and ``grafana_admin_secret`` to ``monitoring`` (whose namespace is in ``namespaces``).
    """
    out = {"namespaces": platform_namespaces(services)}
    if services.get("nvidia_device_plugin"):
        out["nvidia_device_plugin"] = nvidia_device_plugin(version_table)
    if services.get("ascend_device_plugin"):
        out["ascend_device_plugin"] = ascend_device_plugin(version_table, families=ascend_families,
                                                           volcano=bool(services.get("volcano")),
                                                           container_runtime=container_runtime)
    if services.get("nfs_storage"):
        out["nfs_storage"] = nfs_storage(list(shares), server_addresses or {}, capacity=nfs_capacity,
                                         claim_namespace=nfs_claim_namespace)
    if services.get("metrics_server"):
        out["metrics_server"] = metrics_server(version_table, insecure_kubelet_tls=insecure_kubelet_tls)
    if services.get("monitoring"):
        out["monitoring"] = monitoring(nodes_have_gpu=nodes_have_gpu, nodes_have_npu=nodes_have_npu,
                                       npu_exporter_image=npu_exporter_image, version_table=version_table,
                                       retention=monitoring_retention, storage_class=monitoring_storage_class,
                                       grafana_admin_secret=grafana_admin_secret,
                                       container_runtime=container_runtime)
    return out


def images_for(services, version_table=None, nodes_have_gpu=True, nodes_have_npu=False, npu_exporter_image=None):
    """The images the enabled ``services`` run, sorted, each once (the offline bundle's list).

    The node facts are those of ``manifests``: the DCGM exporter's image only where nodes have
    GPUs, and the site's NPU exporter image when it runs.
    """
    refs = set()
    for service, components in SERVICE_IMAGES.items():
        if not services.get(service):
            continue
        for component in components:
            if component == "dcgm_exporter" and not nodes_have_gpu:
                continue
            refs.add(image(component, version_table))
    if services.get("monitoring") and nodes_have_npu and npu_exporter_image:
        refs.add(npu_exporter_image)
    return sorted(refs)
