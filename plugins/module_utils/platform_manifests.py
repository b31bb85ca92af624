# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Kubernetes objects of the platform services, as data. Pure.

The ``platform`` role renders each service's objects into
``/etc/aiplatform/manifests/<service>/`` on the first control-plane node and applies them.
Images keep their upstream names: containerd on every node resolves them through the local
registry and the mirrors, so nothing here is rewritten per site. Every image comes from
``IMAGES`` (one place to bump a version; the offline bundle lists ``images_for(services)``).

Upstream facts (read, not copied):
- NVIDIA device plugin: NVIDIA/k8s-device-plugin v0.20.0, deployments/static/nvidia-device-plugin.yml.
- Ascend device plugin: Ascend/mind-cluster v26.0.0, component/ascend-device-plugin/build/
  ascendplugin-{910,310P,310}-volcano.yaml and main.go (its flags). One DaemonSet per chip family,
  selected by the MindX label ``accelerator=huawei-<family>`` that the inventory plugin sets.
  ``-useAscendDocker`` is left out on purpose: since v7.2 the plugin ignores it (the
  ASCEND_DOCKER_RUNTIME variable that Ascend Docker Runtime sets decides) and v26.1.0 removed
  the flag, so passing it would stop a newer plugin at start-up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.aiplatform.cluster.plugins.module_utils.nfs import pv_objects

# service -> image. Upstream names: the registry mirrors resolve them.
IMAGES = {
    "nvidia_device_plugin": "nvcr.io/nvidia/k8s-device-plugin:v0.20.0",
    "ascend_device_plugin": "swr.cn-south-1.myhuaweicloud.com/ascendhub/ascend-k8sdeviceplugin:v26.0.0",
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

DEVICE_PLUGIN_DIR = "/var/lib/kubelet/device-plugins"
POD_RESOURCES_DIR = "/var/lib/kubelet/pod-resources"
ASCEND_DRIVER_DIR = "/usr/local/Ascend/driver"
ASCEND_LOG_DIR = "/var/log/mindx-dl/devicePlugin"

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
    meta = {"name": name, "labels": labels or _labels(name)}
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
            "template": {"metadata": {"labels": labels or _labels(name)}, "spec": pod_spec},
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
    read = ["get", "list", "watch"]
    write = read + ["create", "update", "patch", "delete", "deletecollection"]
    rules = [
        {"apiGroups": [""], "resources": ["nodes", "namespaces", "events", "resourcequotas"], "verbs": read},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
         "verbs": write},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": write},
    ]
    if services.get("volcano"):
        rules += [
            {"apiGroups": ["batch.volcano.sh"], "resources": ["jobs"], "verbs": write},
            {"apiGroups": ["scheduling.volcano.sh"], "resources": ["podgroups", "queues"], "verbs": write},
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
              container_runtime="containerd", nfs_capacity="1Ti", nfs_claim_namespace="default"):
    """Objects per manifest directory (``namespaces`` and each enabled service built here).

    ``services`` is the config's ``services`` map (the loader fills its defaults); a missing
    key is off. metrics_server and monitoring have no builder yet and render nothing.
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
    return out


def images_for(services, version_table=None):
    """The images the enabled ``services`` run, sorted, each once (the offline bundle's list)."""
    return sorted(set(image(s, version_table) for s in IMAGES if services.get(s)))
