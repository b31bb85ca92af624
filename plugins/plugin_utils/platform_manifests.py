# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Kubernetes objects of the platform services: the role's templates, rendered with what must be computed.

The objects live as Jinja2 templates of YAML in the platform role,
``roles/platform/templates/manifests/`` (one per manifest directory; each names the upstream
manifests and sources it was read off). This module picks the inputs (which nodes, which
images, which options), checks them, renders the templates with Jinja2 and parses the YAML:
every consumer (the ``platform_manifests`` filter the role applies through, the offline plan,
the tests) gets the same objects from one renderer. Controller only: it reads the role's files.

Images keep their upstream names: containerd on every node resolves them through the local
registry and the mirrors, so nothing here is rewritten per site. Every image comes from
``IMAGES`` (one place to bump a version; the offline bundle lists ``images_for(services)``),
except the NPU exporter's, which the site supplies (``monitoring(npu_exporter_image=...)``).
Huawei's NPU exporter image downloads only once Ascend Hub grants access, so none is pinned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import os
import re

import jinja2
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.nfs import pv_objects

# The role's templates, at the same place relative to this file in a checkout and in an
# installed collection (ansible_collections/aiplatform/cluster/{plugins,roles}).
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "roles", "platform", "templates", "manifests")

# component -> image. Upstream names: the registry mirrors resolve them. The template of each
# component names the upstream release it was read off.
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
NFS_STORAGE_CLASS = "nfs-static"

# exporter (its DaemonSet, Service and Prometheus job) -> metrics port
EXPORTER_PORTS = {"node-exporter": 9100, "dcgm-exporter": 9400, "npu-exporter": 8082}

# container runtime -> the (volume, host path) of its socket, for the Ascend plugin and NPU exporter
_RUNTIME_SOCKETS = {
    "containerd": [("containerd", "/run/containerd")],
    "docker": [("docker-sock", "/run/docker.sock"), ("docker-dir", "/run/docker")],
}

# Prometheus durations: one or more <number><unit>, units y w d h m s ms (e.g. 15d, 1w, 12h30m).
_DURATION = re.compile(r"^([0-9]+(ms|y|w|d|h|m|s))+$")
# A DNS-1123 subdomain: what Kubernetes accepts as the name of a Secret or a StorageClass.
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

_ENV = []  # the Jinja2 environment, made on first use
# libyaml's safe loader where PyYAML has it (ten times faster), else the pure-Python one: the same objects.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _environment():
    if not _ENV:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                                 autoescape=False)
        # A value as a YAML flow scalar/collection: JSON is YAML, and quoting keeps "true" a string.
        env.filters["json"] = lambda value: json.dumps(value)
        env.globals.update(NVIDIA_GPU_LABEL=NVIDIA_GPU_LABEL, ASCEND_LABEL_KEY=ASCEND_LABEL_KEY,
                           EXPORTER_PORTS=EXPORTER_PORTS, MONITORING_NAMESPACE=MONITORING_NAMESPACE)
        _ENV.append(env)
    return _ENV[0]


def render(template, **context):
    """The YAML documents of ``template`` (a path under TEMPLATE_DIR) rendered with ``context``, in order."""
    try:
        loaded = _environment().get_template(template)
    except jinja2.TemplateNotFound:
        raise ValueError("the platform role's template %s is not in %s: this copy of the collection is incomplete "
                         "(reinstall it, or restore roles/platform/templates from git)" % (template, TEMPLATE_DIR))
    text = loaded.render(**context)
    return [doc for doc in yaml.load_all(text, Loader=_LOADER) if doc is not None]


def image(service, version_table=None):
    """The image of ``service``: ``version_table`` (service -> image) first, then ``IMAGES``."""
    table = dict(IMAGES)
    table.update(version_table or {})
    if service not in table:
        raise ValueError("service %s has no image in the version table (known: %s)"
                         % (service, ", ".join(sorted(table))))
    return table[service]


def _runtime_sockets(container_runtime, what):
    if container_runtime not in _RUNTIME_SOCKETS:
        raise ValueError("container runtime %r: the %s manifests know %s"
                         % (container_runtime, what, ", ".join(sorted(_RUNTIME_SOCKETS))))
    return _RUNTIME_SOCKETS[container_runtime]


def namespace(name, pod_security=None):
    """A Namespace; ``pod_security`` (privileged, baseline, restricted) is enforced, warned and audited."""
    if pod_security and pod_security not in ("privileged", "baseline", "restricted"):
        raise ValueError("namespace %s: pod security level %r is not privileged, baseline or restricted"
                         % (name, pod_security))
    return render("namespace.yaml.j2", name=name, pod_security=pod_security)[0]


def nvidia_device_plugin(version_table=None, node_selector=None, ns=NVIDIA_NAMESPACE):
    """The namespace (``privileged``: the plugin mounts a host path) and the NVIDIA device plugin
    DaemonSet on the GPU nodes (templates/manifests/nvidia_device_plugin.yaml.j2 says the rest)."""
    return render("nvidia_device_plugin.yaml.j2", namespace=ns, image=image("nvidia_device_plugin", version_table),
                  node_selector=dict(node_selector if node_selector is not None else NVIDIA_GPU_LABEL))


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
    sockets = _runtime_sockets(container_runtime, "Ascend device plugin")
    unknown = [f for f in families if f not in ASCEND_FAMILIES]
    if unknown:
        raise ValueError("Ascend family %s is not one of %s (910B nodes use Ascend910)"
                         % (", ".join(unknown), ", ".join(ASCEND_FAMILIES)))
    plugins = [{"family": family, "short": family[len("Ascend"):].lower(),
                "node_selector": dict((node_selectors or {}).get(family) or ascend_node_selector(family))}
               for family in families]
    return render("ascend_device_plugin.yaml.j2", namespace=ns, image=image("ascend_device_plugin", version_table),
                  plugins=plugins, volcano=bool(volcano), runtime_sockets=sockets)


def nfs_storage(shares, server_addresses, capacity="1Ti", claim_namespace="default",
                storage_class=NFS_STORAGE_CLASS):
    """A StorageClass for statically provisioned NFS volumes and, per share, its bound PV and PVC.

    The per-share PV/PVC pairs are ``nfs.pv_objects`` (the nfs role's filter builds the same),
    put in the class: a pre-bound pair must name the same class on both sides.
    """
    objects = render("nfs_storage.yaml.j2", storage_class=storage_class)
    for obj in pv_objects(shares, server_addresses, capacity=capacity, namespace=claim_namespace):
        obj = copy.deepcopy(obj)
        obj["spec"]["storageClassName"] = storage_class
        objects.append(obj)
    return objects


def metrics_server(version_table=None, insecure_kubelet_tls=False):
    """metrics-server in kube-system: the resource metrics API (``kubectl top``, HPA) behind an APIService.

    ``insecure_kubelet_tls`` adds ``--kubelet-insecure-tls``: metrics-server then accepts any
    kubelet serving certificate. kubeadm's kubelets serve a self-signed certificate unless
    ``serverTLSBootstrap`` is on (and their kubelet-serving CSRs are approved); against
    self-signed kubelets metrics-server fails every scrape with an unknown authority. The default
    is to verify, the safe choice; the caller passes True for a cluster whose kubelets serve
    self-signed certificates, as those of ``kubeadm.kubelet_configuration`` do today.
    """
    return render("metrics_server.yaml.j2", image=image("metrics_server", version_table),
                  insecure_kubelet_tls=bool(insecure_kubelet_tls))


def npu_node_affinity(families=ASCEND_FAMILIES):
    """Required node affinity for every Ascend node: the MindX label ``accelerator`` In huawei-<family>."""
    values = [ascend_node_selector(family)[ASCEND_LABEL_KEY] for family in families]
    term = {"matchExpressions": [{"key": ASCEND_LABEL_KEY, "operator": "In", "values": values}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def _config_checksum(*config_maps):
    """A pod annotation value that changes with the ConfigMaps' content, so a new config rolls the pods."""
    digest = hashlib.sha256()
    for config_map in config_maps:
        digest.update(json.dumps(config_map, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def monitoring(nodes_have_gpu=True, nodes_have_npu=False, npu_exporter_image=None, version_table=None, retention="15d",
               storage_class=None, grafana_admin_secret="grafana-admin", container_runtime="containerd"):
    """Exporters, Prometheus and Grafana in the ``monitoring`` namespace (``platform_namespaces`` makes it,
    privileged: the exporters read the host). The templates under templates/manifests/monitoring/ say
    what each runs and why.

    Computed here: the node exporter always; the DCGM exporter when ``nodes_have_gpu``; the NPU
    exporter only when ``nodes_have_npu`` and the site gives ``npu_exporter_image`` (with the
    container runtime's socket, ``container_runtime``); Prometheus's scrape jobs for the exporters
    rendered, ``--storage.tsdb.retention.time=<retention>`` and a 50Gi claim of ``storage_class``
    (else an emptyDir); Grafana's dashboard panels for the exporters rendered, its admin account
    from the existing Secret ``grafana_admin_secret``. Pods pick up a changed ConfigMap on apply:
    their template carries the config's sha256.
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
    objects = render("monitoring/node-exporter.yaml.j2", image=image("node_exporter", version_table))
    if nodes_have_gpu:
        exporters.append("dcgm-exporter")
        objects += render("monitoring/dcgm-exporter.yaml.j2", image=image("dcgm_exporter", version_table))
    if nodes_have_npu and npu_exporter_image:
        exporters.append("npu-exporter")
        objects += render("monitoring/npu-exporter.yaml.j2", image=npu_exporter_image,
                          container_runtime=container_runtime, affinity=npu_node_affinity(),
                          runtime_sockets=_runtime_sockets(container_runtime, "NPU exporter"))
    prometheus_data = {"prometheus.yml": yaml.safe_dump(prometheus_config(exporters), default_flow_style=False,
                                                    sort_keys=False)}
    objects += render("monitoring/prometheus.yaml.j2", image=image("prometheus", version_table), retention=retention,
                      storage_class=storage_class, config=prometheus_data,
                      config_sha256=_config_checksum(prometheus_data))
    grafana_data = [
        {"prometheus.yaml": yaml.safe_dump(render("monitoring/grafana-datasources.yaml.j2")[0],
                                       default_flow_style=False, sort_keys=False)},
        {"aiplatform.yaml": yaml.safe_dump(render("monitoring/grafana-dashboard-providers.yaml.j2")[0],
                                       default_flow_style=False, sort_keys=False)},
        {"cluster.json": json.dumps(cluster_dashboard(exporters), indent=2, sort_keys=True)},
    ]
    objects += render("monitoring/grafana.yaml.j2", image=image("grafana", version_table), config=grafana_data,
                      config_sha256=_config_checksum(*grafana_data), admin_secret=grafana_admin_secret)
    return objects


def prometheus_config(exporters):
    """prometheus.yml as data: the API server, each kubelet's cAdvisor, Prometheus itself, and a job per
    exporter (``exporters``: names in ``EXPORTER_PORTS``) found through its Service's EndpointSlices."""
    unknown = [e for e in exporters if e not in EXPORTER_PORTS]
    if unknown:
        raise ValueError("monitoring: no scrape job for exporter %s (known: %s)"
                         % (", ".join(unknown), ", ".join(sorted(EXPORTER_PORTS))))
    return render("monitoring/prometheus.yml.j2", exporters=exporters)[0]


def cluster_dashboard(exporters):
    """The Grafana dashboard of the cluster as data: the panels whose exporter is in ``exporters``."""
    return render("monitoring/cluster-dashboard.yaml.j2", exporters=exporters)[0]


def platform_namespaces(services, ns=PLATFORM_NAMESPACE):
    """The namespaces the platform expects, and the account its own controllers run as
    (templates/manifests/namespaces.yaml.j2): ``monitoring`` and ``volcano-system`` only when
    those services are on, and Volcano's jobs and queues in the account's rules with Volcano."""
    return render("namespaces.yaml.j2", namespace=ns, monitoring=bool(services.get("monitoring")),
                  volcano=bool(services.get("volcano")))


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
