"""Platform service manifests: every object valid for the Kubernetes API, names unique, selectors
matching the inventory's node labels, the image list matching what is rendered.

Kubernetes cannot run here: the objects are validated against the OpenAPI schemas that
kubernetes-validate carries offline, in strict mode (an unknown field fails).

Over 600 lines: one test file per source file (docs/testing.md), and the platform's six services each need
their own tables of rendered objects, selectors and images; split by service, the shared sites and the
schema loader would be imported by every part.
"""

import copy
import json
import re

import kubernetes_validate
import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.module_utils import offline
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import nfs
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import platform_manifests as pm
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

# The minors of the clusters we install, checked against their own schemas.
K8S_VERSIONS = ("1.28", "1.30", "1.31")

from platform_sites import ADDRESSES, ALL_ON, SHARES  # noqa: E402

# The site's own NPU exporter image (Huawei's is not pinned here; the site supplies it).
NPU_IMAGE = "registry.example.com/ascend/npu-exporter:v26.0.0"

BUILDERS = {
    "nvidia_device_plugin": lambda: pm.nvidia_device_plugin(),
    "nvidia_device_plugin in kube-system": lambda: pm.nvidia_device_plugin(ns="kube-system"),
    "ascend_device_plugin": lambda: pm.ascend_device_plugin(),
    "ascend_device_plugin without volcano, docker": lambda: pm.ascend_device_plugin(
        volcano=False, container_runtime="docker"),
    "nfs_storage": lambda: pm.nfs_storage(SHARES, ADDRESSES, capacity="500Gi"),
    "platform_namespaces": lambda: pm.platform_namespaces(ALL_ON),
    "platform_namespaces, nothing on": lambda: pm.platform_namespaces({}),
    "metrics_server": lambda: pm.metrics_server(),
    "metrics_server, insecure kubelet TLS": lambda: pm.metrics_server(insecure_kubelet_tls=True),
    "monitoring": lambda: pm.monitoring(),
    "monitoring without GPU": lambda: pm.monitoring(nodes_have_gpu=False),
    "monitoring with NPU, no exporter image": lambda: pm.monitoring(nodes_have_npu=True),
    "monitoring with NPU exporter, storage class": lambda: pm.monitoring(
        nodes_have_npu=True, npu_exporter_image=NPU_IMAGE, storage_class="fast-ssd", retention="30d"),
    "monitoring NPU only, docker": lambda: pm.monitoring(
        nodes_have_gpu=False, nodes_have_npu=True, npu_exporter_image=NPU_IMAGE, container_runtime="docker"),
}
MONITORING_BUILDERS = sorted(b for b in BUILDERS if b.startswith("monitoring"))

# A small table of service combinations: everything off, everything on, each service alone,
# and the pairs a site really has (GPU + NPU, NPU with and without Volcano).
SERVICE_KEYS = sorted(ALL_ON)
COMBINATIONS = (
    [{}, dict(ALL_ON)]
    + [{key: True} for key in SERVICE_KEYS]
    + [dict(ALL_ON, **{key: False}) for key in SERVICE_KEYS]
    + [{"nvidia_device_plugin": True, "ascend_device_plugin": True},
       {"ascend_device_plugin": True, "volcano": True},
       {"ascend_device_plugin": True, "nfs_storage": True, "monitoring": True}]
)


def combo_id(services):
    return "+".join(k for k in SERVICE_KEYS if services.get(k)) or "none"


def rendered(services, **options):
    return pm.manifests(services, SHARES, ADDRESSES, **options)


def all_objects(services, **options):
    return [obj for objs in rendered(services, **options).values() for obj in objs]


# What a site's nodes can be: the settings of manifests() that change what monitoring renders.
NODE_OPTIONS = [
    {},
    {"nodes_have_gpu": False},
    {"nodes_have_npu": True},
    {"nodes_have_npu": True, "npu_exporter_image": NPU_IMAGE},
    {"nodes_have_gpu": False, "nodes_have_npu": True, "npu_exporter_image": NPU_IMAGE},
    {"nodes_have_gpu": False, "npu_exporter_image": NPU_IMAGE},  # an image but no NPU node: nothing
]


def options_id(options):
    return ",".join("%s=%s" % (k, "image" if k == "npu_exporter_image" else v) for k, v in sorted(options.items())) \
        or "defaults"


def key(obj):
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def pod_specs(objects):
    return [(o, o["spec"]["template"]["spec"]) for o in objects if o["kind"] in ("DaemonSet", "Deployment")]


def images_in(objects):
    return sorted(set(c["image"] for _, spec in pod_specs(objects)
                      for c in spec.get("initContainers", []) + spec["containers"]))


def validate(obj, version):
    return kubernetes_validate.validate(copy.deepcopy(obj), version, strict=True)


# --- every object is valid for the API ---------------------------------------------------


def test_the_package_carries_the_schemas_we_validate_against():
    carried = set(".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions())
    assert set(K8S_VERSIONS) <= carried


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_every_object_is_valid_in_strict_mode(builder, version):
    objects = BUILDERS[builder]()
    assert objects
    for obj in objects:
        # validate() names the schema version it used: the one asked for, never an older fallback
        assert validate(obj, version) == version, key(obj)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("services", COMBINATIONS, ids=combo_id)
def test_every_combination_is_valid(services, version):
    for obj in all_objects(services):
        validate(obj, version)


def _daemonset(objects):
    return next(o for o in objects if o["kind"] == "DaemonSet")


def _container(objects):
    return _daemonset(objects)["spec"]["template"]["spec"]["containers"][0]


# Each breaks one object the way a typo or a wrong type would: the validator must say so, or
# the validation tests above prove nothing.
BREAKAGES = [
    ("unknown pod field", "nvidia_device_plugin",
     lambda objs: _daemonset(objs)["spec"]["template"]["spec"].update(nodeSelectr={"a": "b"}), "nodeSelectr"),
    ("env value not a string", "nvidia_device_plugin",
     lambda objs: _container(objs)["env"][0].update(value=False), "is not of type 'string'"),
    ("privileged as a string", "ascend_device_plugin",
     lambda objs: _container(objs)["securityContext"].update(privileged="yes"), "is not of type 'boolean'"),
    ("volume mount without a path", "ascend_device_plugin",
     lambda objs: _container(objs)["volumeMounts"][0].pop("mountPath"), "'mountPath' is a required property"),
    ("storage class field misspelt", "nfs_storage",
     lambda objs: objs[0].update(volumeBindingmode=objs[0].pop("volumeBindingMode")), "volumeBindingmode"),
    ("role rule without verbs", "platform_namespaces",
     lambda objs: next(o for o in objs if o["kind"] == "ClusterRole")["rules"][0].pop("verbs"),
     "'verbs' is a required property"),
    ("namespace label not a string", "platform_namespaces",
     lambda objs: objs[0]["metadata"]["labels"].update(broken=1), "is not of type 'string'"),
    ("APIService field misspelt", "metrics_server",
     lambda objs: _only(objs, "APIService")["spec"].update(groupPriorityMinumum=100), "groupPriorityMinumum"),
    ("service port as a string", "monitoring",
     lambda objs: _named(objs, "Service", "prometheus")["spec"]["ports"][0].update(port="9090"),
     "is not of type 'integer'"),
    ("claim access modes not a list", "monitoring with NPU exporter, storage class",
     lambda objs: _only(objs, "PersistentVolumeClaim")["spec"].update(accessModes="ReadWriteOnce"),
     "is not of type 'array'"),
]


def _only(objects, kind):
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, [key(o) for o in found]
    return found[0]


def _named(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("case, builder, breakage, message", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_validator_rejects_a_broken_object(case, builder, breakage, message, version):
    objects = BUILDERS[builder]()
    breakage(objects)
    errors = []
    for obj in objects:
        try:
            validate(obj, version)
        except kubernetes_validate.ValidationError as exc:
            errors.append(str(exc))
    assert len(errors) == 1 and message in errors[0], errors


# --- names, namespaces, pod security -----------------------------------------------------


@pytest.mark.parametrize("services", COMBINATIONS, ids=combo_id)
def test_object_names_are_unique(services):
    keys = [key(o) for o in all_objects(services)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("services", COMBINATIONS, ids=combo_id)
def test_every_namespace_used_exists_and_host_access_is_allowed_there(services):
    objects = all_objects(services)
    namespaces = {o["metadata"]["name"]: o["metadata"]["labels"] for o in objects if o["kind"] == "Namespace"}
    for obj in objects:
        ns = obj["metadata"].get("namespace")
        assert ns is None or ns in namespaces or ns in ("kube-system", "default"), key(obj)
    for obj, spec in pod_specs(objects):
        ns = obj["metadata"]["namespace"]
        if needs_host_access(spec) and ns != "kube-system":
            assert namespaces[ns]["pod-security.kubernetes.io/enforce"] == "privileged", key(obj)


def needs_host_access(spec):
    """What pod security's baseline level forbids: host paths, host namespaces, privileged, added capabilities."""
    containers = spec.get("initContainers", []) + spec["containers"]
    return (any("hostPath" in v for v in spec.get("volumes", []))
            or spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC")
            or any(c.get("securityContext", {}).get("privileged") for c in containers)
            or any(c.get("securityContext", {}).get("capabilities", {}).get("add") for c in containers))


@pytest.mark.parametrize("options", NODE_OPTIONS, ids=options_id)
def test_monitoring_namespace_allows_what_its_exporters_do(options):
    objects = all_objects(ALL_ON, **options)
    namespaces = {o["metadata"]["name"]: o["metadata"]["labels"] for o in objects if o["kind"] == "Namespace"}
    hosts = [obj for obj, spec in pod_specs(objects)
             if obj["metadata"]["namespace"] == pm.MONITORING_NAMESPACE and needs_host_access(spec)]
    assert hosts  # the node exporter at least
    assert namespaces[pm.MONITORING_NAMESPACE]["pod-security.kubernetes.io/enforce"] == "privileged"


# Roles Kubernetes itself provides, which the objects bind to without creating them.
BUILT_IN_ROLES = {("ClusterRole", "system:auth-delegator"), ("Role", "extension-apiserver-authentication-reader")}
WITH_ACCOUNTS = ["ascend_device_plugin", "platform_namespaces", "metrics_server"] + MONITORING_BUILDERS


@pytest.mark.parametrize("builder", WITH_ACCOUNTS)
def test_service_accounts_and_bindings_agree(builder):
    objects = BUILDERS[builder]()
    accounts = set(key(o) for o in objects if o["kind"] == "ServiceAccount")
    roles = set((o["kind"], o["metadata"]["name"]) for o in objects if o["kind"] in ("ClusterRole", "Role"))
    bindings = [o for o in objects if o["kind"] in ("ClusterRoleBinding", "RoleBinding")]
    assert bindings
    for binding in bindings:
        ref = (binding["roleRef"]["kind"], binding["roleRef"]["name"])
        assert ref in roles or ref in BUILT_IN_ROLES, key(binding)
        for subject in binding["subjects"]:
            assert ("ServiceAccount", subject["namespace"], subject["name"]) in accounts, key(binding)
    for obj, spec in pod_specs(objects):
        if "serviceAccountName" in spec:
            assert ("ServiceAccount", obj["metadata"]["namespace"], spec["serviceAccountName"]) in accounts
        else:  # the namespace's default account: such a pod has no business with the API
            assert spec["automountServiceAccountToken"] is False, key(obj)


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_workload_selectors_match_their_pods(builder):
    objects = BUILDERS[builder]()
    for obj, _ in pod_specs(objects):
        selector = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), key(obj)
    # one workload never adopts another's pods
    for obj, _ in pod_specs(objects):
        selector = obj["spec"]["selector"]["matchLabels"].items()
        adopters = [o for o, _ in pod_specs(objects)
                    if o["metadata"]["namespace"] == obj["metadata"]["namespace"]
                    and selector <= o["spec"]["template"]["metadata"]["labels"].items()]
        assert adopters == [obj], key(obj)


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_every_service_selects_one_workload_on_a_named_port(builder):
    objects = BUILDERS[builder]()
    for service in (o for o in objects if o["kind"] == "Service"):
        ns, selector = service["metadata"]["namespace"], service["spec"]["selector"].items()
        workloads = [(o, spec) for o, spec in pod_specs(objects) if o["metadata"]["namespace"] == ns
                     and selector <= o["spec"]["template"]["metadata"]["labels"].items()]
        assert len(workloads) == 1, key(service)
        ports = {p["name"]: p["containerPort"] for c in workloads[0][1]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (key(service), port)
        if service["spec"].get("clusterIP") == "None":  # headless: Prometheus scrapes the pods' own port
            assert [p["port"] for p in service["spec"]["ports"]] == [ports[p["targetPort"]]
                                                                      for p in service["spec"]["ports"]]


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_objects_share_no_data_and_dump_as_plain_yaml(builder):
    # one dict or list in two places dumps as a YAML anchor and alias, and a change to one object
    # would show in the other; a tuple does not dump at all
    objects = BUILDERS[builder]()
    text = yaml.safe_dump(objects, default_flow_style=False)
    assert "&id" not in text and "*id" not in text
    seen, alive = {}, []  # alive: ids stay unique while the parsed ConfigMap files are kept
    for obj in objects:
        for path, name, value in entries_in(obj):
            if isinstance(value, (dict, list)):
                alive.append(value)
                where = (key(obj), path, name)
                assert seen.setdefault(id(value), where) == where, where
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        for text in config_map["data"].values():
            assert "&id" not in text


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_every_volume_mount_names_a_volume_of_its_pod(builder):
    objects = BUILDERS[builder]()
    config_maps = set(o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap")
    claims = set(o["metadata"]["name"] for o in objects if o["kind"] == "PersistentVolumeClaim")
    for obj, spec in pod_specs(objects):
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounted = set()
        for container in spec.get("initContainers", []) + spec["containers"]:
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, (key(obj), mount)
                mounted.add(mount["name"])
            paths = [m["mountPath"] for m in container.get("volumeMounts", [])]
            assert len(paths) == len(set(paths)), (key(obj), paths)
        assert mounted == set(volumes), (key(obj), sorted(set(volumes) - mounted))  # no volume left over
        for volume in volumes.values():
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, (key(obj), volume)
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, (key(obj), volume)


# --- node selectors against the inventory's labels ----------------------------------------

# A tiny site through the real loader and inventory model: one node per accelerator kind.
SITE = {
    "schema_version": 1,
    "cluster": {"name": "site", "domain": "ai.example", "kubernetes_version": "1.30.2"},
    "network": {"node_networks": ["10.1.0.0/24"]},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane"]},
        {"hostname": "cpu-01", "ip": "10.1.0.12"},
        {"hostname": "gpu-01", "ip": "10.1.0.21", "accelerator": {"vendor": "nvidia", "model": "H100", "count": 8}},
        {"hostname": "npu-910", "ip": "10.1.0.31", "arch": "arm64",
         "accelerator": {"vendor": "huawei", "model": "Ascend910", "count": 8}},
        {"hostname": "npu-910b", "ip": "10.1.0.32", "arch": "arm64",
         "accelerator": {"vendor": "huawei", "model": "910B", "count": 8}},
        {"hostname": "npu-310p", "ip": "10.1.0.33",
         "accelerator": {"vendor": "huawei", "model": "Ascend310P", "count": 4}},
        {"hostname": "npu-310", "ip": "10.1.0.34",
         "accelerator": {"vendor": "huawei", "model": "Ascend310", "count": 4}},
    ],
}


@pytest.fixture(scope="module")
def node_labels():
    result = parse(yaml.safe_dump(SITE, sort_keys=False), "platform.yml")
    assert [str(p) for p in result.errors] == []
    return {host: hv["node_labels"] for host, hv in result.model.hosts.items()}


def selected(node_selector, node_labels):
    return sorted(h for h, labels in node_labels.items() if node_selector.items() <= labels.items())


def test_nvidia_plugin_runs_on_the_gpu_nodes_only(node_labels):
    spec = _daemonset(pm.nvidia_device_plugin())["spec"]["template"]["spec"]
    assert selected(spec["nodeSelector"], node_labels) == ["gpu-01"]


@pytest.mark.parametrize("family, nodes", [
    ("Ascend910", ["npu-910", "npu-910b"]),  # MindX: 910B nodes run the 910 plugin
    ("Ascend310P", ["npu-310p"]),
    ("Ascend310", ["npu-310"]),
])
def test_ascend_plugin_runs_on_its_family_only(node_labels, family, nodes):
    daemonsets = [o for o in pm.ascend_device_plugin() if o["kind"] == "DaemonSet"]
    spec = next(o for o in daemonsets
                if o["metadata"]["labels"]["aiplatform.cluster/ascend-family"] == family)["spec"]["template"]["spec"]
    assert selected(spec["nodeSelector"], node_labels) == nodes
    assert {"key": "huawei.com/" + family, "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]


def test_every_npu_node_gets_exactly_one_ascend_plugin(node_labels):
    daemonsets = [o for o in pm.ascend_device_plugin() if o["kind"] == "DaemonSet"]
    for host, labels in node_labels.items():
        count = sum(1 for o in daemonsets if selected(o["spec"]["template"]["spec"]["nodeSelector"], {host: labels}))
        assert count == (1 if labels.get("npu") == "true" else 0), host


def test_node_selector_can_be_overridden():
    spec = _daemonset(pm.nvidia_device_plugin(node_selector={"gpu": "true"}))["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"gpu": "true"}
    spec = _daemonset(pm.ascend_device_plugin(families=["Ascend910"], node_selectors={
        "Ascend910": {"workerselector": "dls-worker-node"}}))["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"workerselector": "dls-worker-node"}


# --- what each builder promises -----------------------------------------------------------


def test_nvidia_plugin_fields():
    objects = pm.nvidia_device_plugin()
    assert [key(o) for o in objects] == [("Namespace", "", "nvidia-device-plugin"),
                                         ("DaemonSet", "nvidia-device-plugin", "nvidia-device-plugin")]
    spec = _daemonset(objects)["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert spec["priorityClassName"] == "system-node-critical"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    assert {"name": "FAIL_ON_INIT_ERROR", "value": "false"} in container["env"]
    assert container["image"] == pm.IMAGES["nvidia_device_plugin"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert [v["hostPath"]["path"] for v in spec["volumes"]] == ["/var/lib/kubelet/device-plugins"]
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/var/lib/kubelet/device-plugins"]


def test_nvidia_plugin_in_kube_system_makes_no_namespace():
    assert [o["kind"] for o in pm.nvidia_device_plugin(ns="kube-system")] == ["DaemonSet"]


def _ascend_args(objects, family):
    ds = next(o for o in objects if o["kind"] == "DaemonSet"
              and o["metadata"]["labels"]["aiplatform.cluster/ascend-family"] == family)
    return ds["spec"]["template"]["spec"]["containers"][0]["args"]


def test_ascend_plugin_fields():
    objects = pm.ascend_device_plugin()
    assert [key(o) for o in objects] == [
        ("ServiceAccount", "kube-system", "ascend-device-plugin"),
        ("ClusterRole", "", "ascend-device-plugin"),
        ("ClusterRoleBinding", "", "ascend-device-plugin"),
        ("DaemonSet", "kube-system", "ascend-device-plugin-910"),
        ("DaemonSet", "kube-system", "ascend-device-plugin-310p"),
        ("DaemonSet", "kube-system", "ascend-device-plugin-310"),
    ]
    spec = _daemonset(objects)["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["image"] == pm.IMAGES["ascend_device_plugin"]
    assert container["securityContext"]["privileged"] is True
    assert spec["priorityClassName"] == "system-node-critical"
    paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    for path in ("/usr/local/Ascend/driver", "/var/lib/kubelet/device-plugins", "/var/log/mindx-dl/devicePlugin",
                 "/var/lib/kubelet/pod-resources", "/run/containerd"):
        name = next(n for n, p in paths.items() if p == path)
        assert mounts[name]["mountPath"] == path
    assert mounts[next(n for n, p in paths.items() if p == "/usr/local/Ascend/driver")]["readOnly"] is True
    assert set(paths) == set(mounts)
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert env == {"NODE_NAME": "spec.nodeName", "HOST_IP": "status.hostIP"}


@pytest.mark.parametrize("volcano, family, expected", [
    (True, "Ascend910", ["-volcanoType=true", "-presetVirtualDevice=true"]),
    (True, "Ascend310P", ["-volcanoType=true", "-presetVirtualDevice=true"]),
    (True, "Ascend310", ["-volcanoType=true"]),
    (False, "Ascend910", ["-volcanoType=false", "-presetVirtualDevice=true"]),
])
def test_ascend_plugin_args(volcano, family, expected):
    args = _ascend_args(pm.ascend_device_plugin(volcano=volcano), family)
    assert args == expected + ["-logFile=/var/log/mindx-dl/devicePlugin/devicePlugin.log", "-logLevel=0"]
    # gone in mind-cluster v26.1.0 (an unknown flag stops the plugin); ignored since v7.2
    assert not any(a.startswith("-useAscendDocker") for a in args)


def test_ascend_plugin_follows_the_volcano_and_runtime_settings():
    off = _daemonset(pm.ascend_device_plugin(volcano=False, container_runtime="docker"))["spec"]["template"]["spec"]
    paths = [v["hostPath"]["path"] for v in off["volumes"]]
    assert "/var/lib/kubelet/pod-resources" not in paths and "/run/containerd" not in paths
    assert "/run/docker.sock" in paths
    services = pm.manifests({"ascend_device_plugin": True, "volcano": False})
    assert _ascend_args(services["ascend_device_plugin"], "Ascend910")[0] == "-volcanoType=false"


@pytest.mark.parametrize("kwargs, text", [
    ({"families": ["Ascend910B"]}, "Ascend family Ascend910B is not one of"),
    ({"container_runtime": "cri-o"}, "container runtime 'cri-o'"),
])
def test_ascend_plugin_refuses_what_it_does_not_know(kwargs, text):
    with pytest.raises(ValueError, match=text):
        pm.ascend_device_plugin(**kwargs)


def test_nfs_storage_class_and_the_share_volumes_in_it():
    objects = pm.nfs_storage(SHARES, ADDRESSES, capacity="500Gi", claim_namespace="aiplatform")
    storage_class = objects[0]
    assert (storage_class["kind"], storage_class["metadata"]["name"]) == ("StorageClass", "nfs-static")
    assert storage_class["provisioner"] == "kubernetes.io/no-provisioner"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["reclaimPolicy"] == "Retain"
    assert "annotations" not in storage_class["metadata"]  # never the default class: nothing provisions
    # the share volumes are nfs.pv_objects, only put in the class (on both sides of each pair)
    expected = nfs.pv_objects(SHARES, ADDRESSES, capacity="500Gi", namespace="aiplatform")
    for obj in expected:
        obj["spec"]["storageClassName"] = "nfs-static"
    assert objects[1:] == expected


def test_nfs_storage_without_shares_is_the_class_alone():
    assert [o["kind"] for o in pm.nfs_storage([], {})] == ["StorageClass"]


@pytest.mark.parametrize("services, expected", [
    ({}, {"aiplatform": "baseline"}),
    ({"monitoring": True}, {"aiplatform": "baseline", "monitoring": "privileged"}),
    ({"volcano": True}, {"aiplatform": "baseline", "volcano-system": "baseline"}),
    (ALL_ON, {"aiplatform": "baseline", "monitoring": "privileged", "volcano-system": "baseline"}),
])
def test_platform_namespaces(services, expected):
    objects = pm.platform_namespaces(services)
    found = {o["metadata"]["name"]: o["metadata"]["labels"] for o in objects if o["kind"] == "Namespace"}
    assert {n: labels["pod-security.kubernetes.io/enforce"] for n, labels in found.items()} == expected
    for labels in found.values():
        assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/enforce"]
    role = next(o for o in objects if o["kind"] == "ClusterRole")
    groups = set(g for rule in role["rules"] for g in rule["apiGroups"])
    assert ("batch.volcano.sh" in groups) == bool(services.get("volcano"))


def test_namespace_refuses_an_unknown_pod_security_level():
    with pytest.raises(ValueError, match="namespace x: pod security level 'open'"):
        pm.namespace("x", "open")


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("services", COMBINATIONS, ids=combo_id)
def test_images_for_lists_exactly_the_rendered_images(services):
    assert pm.images_for(services) == images_in(all_objects(services))


@pytest.mark.parametrize("options", NODE_OPTIONS, ids=options_id)
@pytest.mark.parametrize("services", [ALL_ON, {"monitoring": True}, dict(ALL_ON, monitoring=False)], ids=combo_id)
def test_images_for_follows_the_nodes_like_the_manifests(services, options):
    assert pm.images_for(services, **options) == images_in(all_objects(services, **options))


def test_every_service_with_an_image_renders_it():
    assert sorted(pm.IMAGES.values()) == images_in(all_objects(ALL_ON))


@pytest.mark.parametrize("service", sorted(pm.IMAGES))
def test_images_are_upstream_names_pinned_by_tag(service):
    ref = pm.IMAGES[service]
    registry, repository, tag = offline.image_ref(ref)
    assert offline.canonical_image(ref) == ref  # registry written out: the mirrors resolve it as is
    # a release number first (v0.7.2, 13.1.3, 4.5.3-4.8.2-distroless), never a moving tag
    assert re.match(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.-]+)?$", tag), ref


def test_version_table_overrides_one_image_everywhere():
    table = {"nvidia_device_plugin": "nvcr.io/nvidia/k8s-device-plugin:v0.19.3"}
    services = {"nvidia_device_plugin": True, "ascend_device_plugin": True}
    objects = [o for objs in pm.manifests(services, version_table=table).values() for o in objs]
    assert images_in(objects) == pm.images_for(services, table) == sorted(
        [table["nvidia_device_plugin"], pm.IMAGES["ascend_device_plugin"]])


def test_unknown_service_image_is_an_error():
    with pytest.raises(ValueError, match="service volcano has no image in the version table"):
        pm.image("volcano")


def test_combinations_table_covers_every_service_on_and_off():
    for service in SERVICE_KEYS:
        assert any(c.get(service) for c in COMBINATIONS) and any(not c.get(service) for c in COMBINATIONS)
    assert len(set(map(combo_id, COMBINATIONS))) == len(COMBINATIONS)


def test_every_image_belongs_to_a_service():
    listed = [c for components in pm.SERVICE_IMAGES.values() for c in components]
    assert sorted(listed) == sorted(pm.IMAGES)


# --- metrics-server -------------------------------------------------------------------------------

METRICS_SERVER_ARGS = ["--cert-dir=/tmp", "--secure-port=10250",
                       "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                       "--kubelet-use-node-status-port", "--metric-resolution=15s"]


@pytest.mark.parametrize("insecure, extra", [(False, []), (True, ["--kubelet-insecure-tls"])])
def test_metrics_server_args(insecure, extra):
    objects = pm.metrics_server(insecure_kubelet_tls=insecure)
    container = _only(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == METRICS_SERVER_ARGS + extra
    assert container["image"] == pm.IMAGES["metrics_server"]
    assert {"name": "https", "containerPort": 10250, "protocol": "TCP"} in container["ports"]


def test_metrics_server_objects():
    objects = pm.metrics_server()
    assert sorted(key(o) for o in objects) == sorted([
        ("ServiceAccount", "kube-system", "metrics-server"),
        ("ClusterRole", "", "system:aggregated-metrics-reader"),
        ("ClusterRole", "", "system:metrics-server"),
        ("RoleBinding", "kube-system", "metrics-server-auth-reader"),
        ("ClusterRoleBinding", "", "metrics-server:system:auth-delegator"),
        ("ClusterRoleBinding", "", "system:metrics-server"),
        ("Service", "kube-system", "metrics-server"),
        ("Deployment", "kube-system", "metrics-server"),
        ("APIService", "", "v1beta1.metrics.k8s.io"),
    ])
    reader = _named(objects, "ClusterRole", "system:aggregated-metrics-reader")
    for role in ("view", "edit", "admin"):
        assert reader["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-%s" % role] == "true"
    role = _named(objects, "ClusterRole", "system:metrics-server")
    assert {"apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"]} in role["rules"]
    # the API server finds metrics-server through the APIService's Service, on that Service's port
    api = _only(objects, "APIService")["spec"]
    service = _named(objects, "Service", api["service"]["name"])
    assert service["metadata"]["namespace"] == api["service"]["namespace"]
    assert api["service"]["port"] in [p["port"] for p in service["spec"]["ports"]]
    assert (api["group"], api["version"]) == ("metrics.k8s.io", "v1beta1")


def test_label_values_are_valid():
    # label values: at most 63 characters of [A-Za-z0-9_.-] (no colon, though role names carry one)
    for builder in sorted(BUILDERS):
        for obj in BUILDERS[builder]():
            for label, value in obj["metadata"].get("labels", {}).items():
                assert re.match(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", value), (key(obj), label)


# --- monitoring ------------------------------------------------------------------------------------

# Metric names of each exporter, read in its source (node_exporter v1.12.1 collector/cpu_common.go,
# meminfo.go, uname.go; dcgm-exporter 4.5.3-4.8.2 etc/default-counters.csv; mind-cluster v26.0.0
# component/npu-exporter/collector/metrics/collector_for_npu.go and collector_for_hbm.go).
EXPORTER_METRICS = {
    "node-exporter": {"node_uname_info", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
                      "node_memory_MemTotal_bytes"},
    "dcgm-exporter": {"DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"},
    "npu-exporter": {"npu_chip_info_utilization", "npu_chip_info_hbm_used_memory"},
}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset"}


def metric_names(expr):
    """The metric names a PromQL expression reads: identifiers outside strings, selectors, ranges and
    grouping clauses that are not function calls."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    names = set(m.group(1) for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", expr) if not m.group(2))
    return names - PROMQL_WORDS


@pytest.mark.parametrize("expr, names", [
    ('100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[5m])))', {"node_cpu_seconds_total"}),
    ("sum by (node) (a_total) / sum without (gpu) (b_bytes)", {"a_total", "b_bytes"}),
    ("count(node_uname_info)", {"node_uname_info"}),
])
def test_metric_names_reads_promql(expr, names):
    assert metric_names(expr) == names


def exporters_in(objects):
    return sorted(o["metadata"]["name"] for o in objects if o["kind"] == "DaemonSet")


def _pod(objects, kind, name):
    return _named(objects, kind, name)["spec"]["template"]["spec"]


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["dcgm-exporter", "node-exporter"]),
    ({"nodes_have_gpu": False}, ["node-exporter"]),
    ({"nodes_have_npu": True}, ["dcgm-exporter", "node-exporter"]),  # no image: no NPU exporter
    ({"nodes_have_npu": True, "npu_exporter_image": NPU_IMAGE}, ["dcgm-exporter", "node-exporter", "npu-exporter"]),
    ({"nodes_have_gpu": False, "npu_exporter_image": NPU_IMAGE}, ["node-exporter"]),  # no NPU node
    ({"nodes_have_gpu": False, "nodes_have_npu": True, "npu_exporter_image": NPU_IMAGE},
     ["node-exporter", "npu-exporter"]),
])
def test_monitoring_exporters_follow_the_nodes(kwargs, expected):
    objects = pm.monitoring(**kwargs)
    assert exporters_in(objects) == expected
    services = sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Service")
    assert services == sorted(expected + ["grafana", "prometheus"])


def test_exporters_run_on_their_nodes_only(node_labels):
    objects = pm.monitoring(nodes_have_npu=True, npu_exporter_image=NPU_IMAGE)

    def placed(name):
        spec = _pod(objects, "DaemonSet", name)
        hosts = selected(spec.get("nodeSelector", {}), node_labels)
        for term in spec.get("affinity", {}).get("nodeAffinity", {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", []):
            hosts = [h for h in hosts if all(e["operator"] == "In" and node_labels[h].get(e["key"]) in e["values"]
                                             for e in term["matchExpressions"])]
        return hosts

    assert placed("node-exporter") == sorted(node_labels)
    assert placed("dcgm-exporter") == ["gpu-01"]
    assert placed("npu-exporter") == ["npu-310", "npu-310p", "npu-910", "npu-910b"]
    for name in ("node-exporter", "dcgm-exporter", "npu-exporter"):  # tainted nodes too
        assert _pod(objects, "DaemonSet", name)["tolerations"] == [{"operator": "Exists"}]


def test_node_exporter_reads_the_host_read_only():
    spec = _pod(pm.monitoring(), "DaemonSet", "node-exporter")
    container = spec["containers"][0]
    assert spec["hostNetwork"] is True and spec["hostPID"] is True
    paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    mounts = {paths[m["name"]]: m for m in container["volumeMounts"]}
    assert sorted(mounts) == ["/", "/proc", "/sys"]
    assert all(m["readOnly"] is True for m in mounts.values())
    for flag, host in (("--path.procfs=", "/proc"), ("--path.sysfs=", "/sys"), ("--path.rootfs=", "/")):
        assert flag + mounts[host]["mountPath"] in container["args"]
    assert container["ports"][0]["containerPort"] == 9100
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_node_exporter_listens_on_the_node_address_only():
    # hostNetwork: a listen address of ":9100" would open the metrics on every interface of the host
    container = _pod(pm.monitoring(), "DaemonSet", "node-exporter")["containers"][0]
    assert "--web.listen-address=$(HOST_IP):9100" in container["args"]
    assert not [a for a in container["args"] if a.startswith("--web.listen-address=:")]
    assert container["env"] == [{"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]


def test_dcgm_exporter_relies_on_the_default_nvidia_runtime():
    spec = _pod(pm.monitoring(), "DaemonSet", "dcgm-exporter")
    container = spec["containers"][0]
    assert spec["nodeSelector"] == pm.NVIDIA_GPU_LABEL == {"nvidia.com/gpu.present": "true"}
    assert "runtimeClassName" not in spec
    assert container["image"] == pm.IMAGES["dcgm_exporter"]
    assert container["securityContext"]["capabilities"]["add"] == ["SYS_ADMIN"]
    assert not container["securityContext"].get("privileged")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["NVIDIA_VISIBLE_DEVICES"] == "all" and env["DCGM_EXPORTER_LISTEN"] == ":9400"
    # no driver or device from the host: only the kubelet's pod-resources socket, read-only
    assert [v["hostPath"]["path"] for v in spec["volumes"]] == ["/var/lib/kubelet/pod-resources"]
    assert all(m["readOnly"] for m in container["volumeMounts"])


@pytest.mark.parametrize("runtime, mode, socket", [("containerd", "containerd", "/run/containerd"),
                                                   ("docker", "docker", "/run/docker.sock")])
def test_npu_exporter(runtime, mode, socket):
    objects = pm.monitoring(nodes_have_npu=True, npu_exporter_image=NPU_IMAGE, container_runtime=runtime)
    spec = _pod(objects, "DaemonSet", "npu-exporter")
    container = spec["containers"][0]
    assert container["image"] == NPU_IMAGE
    assert container["securityContext"]["privileged"] is True
    assert "-port=8082" in container["args"] and "-containerMode=" + mode in container["args"]
    assert container["ports"][0]["containerPort"] == 8082
    paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    mounts = {paths[m["name"]]: m for m in container["volumeMounts"]}
    assert mounts["/usr/local/Ascend/driver"]["readOnly"] is True
    assert mounts["/usr/local/dcmi"]["readOnly"] is True
    assert mounts[socket]["readOnly"] is True
    log_file = next(a for a in container["args"] if a.startswith("-logFile="))[len("-logFile="):]
    assert log_file.rsplit("/", 1)[0] == mounts["/var/log/mindx-dl/npu-exporter"]["mountPath"]
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "accelerator", "operator": "In", "values": [
        "huawei-Ascend910", "huawei-Ascend310P", "huawei-Ascend310"]}]}]


def test_npu_exporter_refuses_an_unknown_runtime():
    with pytest.raises(ValueError, match="container runtime 'cri-o': the NPU exporter manifests know"):
        pm.monitoring(nodes_have_npu=True, npu_exporter_image=NPU_IMAGE, container_runtime="cri-o")


SECRETISH = re.compile(r"passw|secret|token|credential", re.I)


def entries_in(value, path=()):
    """Every (path, key, value) of the dicts in ``value``; a ConfigMap's files are parsed and walked too."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k, v
            if isinstance(v, str) and len(path) >= 1 and path[-1] == "data":
                v = yaml.safe_load(v)  # a file (YAML, or JSON which YAML reads)
            for item in entries_in(v, path + (k,)):
                yield item
    elif isinstance(value, list):
        for i, v in enumerate(value):
            for item in entries_in(v, path + (i,)):
                yield item


def secret_literals(objects):
    """What in ``objects`` looks like a secret written out: a Secret, a password/secret/token/credential
    field with a literal value (in the objects or in their ConfigMaps' files), or such an env var with a
    ``value`` instead of a ``valueFrom``. Paths to files are fine (the ServiceAccount's token file)."""
    found = [key(o) for o in objects if o["kind"] == "Secret"]
    for obj in objects:
        for path, name, value in entries_in(obj):
            literal = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            if SECRETISH.search(str(name)) and literal and not str(value).startswith("/"):
                found.append((key(obj), path, name))
            if name == "env":
                found += [(key(obj), path, e["name"]) for e in value if SECRETISH.search(e["name"]) and "value" in e]
    return found


@pytest.mark.parametrize("builder", MONITORING_BUILDERS)
def test_no_secret_is_written_into_the_monitoring_objects(builder):
    objects = BUILDERS[builder]()
    assert secret_literals(objects) == []
    env = {e["name"]: e for e in _pod(objects, "Deployment", "grafana")["containers"][0]["env"]}
    for name, secret_key in (("GF_SECURITY_ADMIN_USER", "admin-user"),
                             ("GF_SECURITY_ADMIN_PASSWORD", "admin-password")):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "grafana-admin", "key": secret_key}}}


def test_the_secret_check_finds_a_password_written_out():
    objects = pm.monitoring()
    env = _pod(objects, "Deployment", "grafana")["containers"][0]["env"]
    env[1] = {"name": "GF_SECURITY_ADMIN_PASSWORD", "value": "admin"}
    assert [f[2] for f in secret_literals(objects)] == ["GF_SECURITY_ADMIN_PASSWORD"]
    objects = pm.monitoring()
    _named(objects, "ConfigMap", "grafana-datasources")["data"]["prometheus.yaml"] += "secureJsonData: {password: x}\n"
    assert [f[2] for f in secret_literals(objects)] == ["password"]
    objects = pm.monitoring()
    _named(objects, "ConfigMap", "prometheus-config")["data"]["prometheus.yml"] += "x: {bearer_token: abc}\n"
    assert [f[2] for f in secret_literals(objects)] == ["bearer_token"]
    assert secret_literals(objects + [{"kind": "Secret", "metadata": {"name": "s", "namespace": "monitoring"}}])


def test_grafana_admin_secret_is_the_callers():
    env = _pod(pm.monitoring(grafana_admin_secret="site-grafana"), "Deployment", "grafana")["containers"][0]["env"]
    assert set(e["valueFrom"]["secretKeyRef"]["name"] for e in env if "valueFrom" in e) == {"site-grafana"}


def prometheus_yml(objects):
    config_map = _named(objects, "ConfigMap", "prometheus-config")
    return yaml.safe_load(config_map["data"]["prometheus.yml"])


@pytest.mark.parametrize("builder", MONITORING_BUILDERS)
def test_prometheus_scrapes_every_exporter_rendered(builder):
    objects = BUILDERS[builder]()
    config = prometheus_yml(objects)
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    exporters = exporters_in(objects)
    assert sorted(jobs) == sorted(["kubernetes-apiservers", "kubernetes-nodes-cadvisor", "prometheus"] + exporters)
    for exporter in exporters:
        job = jobs[exporter]
        service = _named(objects, "Service", exporter)
        # the job keeps the endpoints of that Service's port, in the namespace it lives in
        (sd,) = job["kubernetes_sd_configs"]
        assert sd["namespaces"]["names"] == [service["metadata"]["namespace"]]
        keep = [r for r in job["relabel_configs"] if r.get("action") == "keep"]
        assert len(keep) == 1
        values = dict(zip(keep[0]["source_labels"], keep[0]["regex"].split(";")))
        assert values["__meta_kubernetes_service_name"] == service["metadata"]["name"]
        port_label = "__meta_kubernetes_%s_port_name" % sd["role"]
        assert values[port_label] in [p["name"] for p in service["spec"]["ports"]]
    cadvisor = jobs["kubernetes-nodes-cadvisor"]
    path = next(r for r in cadvisor["relabel_configs"] if r.get("target_label") == "__metrics_path__")
    assert path["replacement"] == "/api/v1/nodes/$1/proxy/metrics/cadvisor"


def test_prometheus_rbac_covers_its_discovery_and_the_node_proxy():
    role = _named(pm.monitoring(), "ClusterRole", "prometheus")
    grants = set()
    for rule in role["rules"]:
        for group in rule.get("apiGroups", []):
            for resource in rule["resources"]:
                grants |= set((group, resource, verb) for verb in rule["verbs"])
    for resource in ("nodes", "services", "endpoints", "pods"):
        assert {("", resource, v) for v in ("get", "list", "watch")} <= grants
    assert {("discovery.k8s.io", "endpointslices", v) for v in ("get", "list", "watch")} <= grants
    assert ("", "nodes/proxy", "get") in grants and ("", "nodes/metrics", "get") in grants
    assert not any(verb in ("create", "update", "patch", "delete") for _, _, verb in grants)
    assert {"nonResourceURLs": ["/metrics"], "verbs": ["get"]} in role["rules"]


@pytest.mark.parametrize("kwargs, claim", [({}, None), ({"storage_class": ""}, None),
                                           ({"storage_class": "fast-ssd"}, "fast-ssd")])
def test_prometheus_storage_and_retention(kwargs, claim):
    objects = pm.monitoring(retention="30d", **kwargs)
    spec = _pod(objects, "Deployment", "prometheus")
    container = spec["containers"][0]
    assert "--storage.tsdb.retention.time=30d" in container["args"]
    data_mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/prometheus")
    data = next(v for v in spec["volumes"] if v["name"] == data_mount["name"])
    claims = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    if claim is None:
        assert data == {"name": data_mount["name"], "emptyDir": {}} and claims == []
    else:
        (pvc,) = claims
        assert data["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
        assert pvc["spec"]["storageClassName"] == claim
        assert pvc["spec"]["resources"]["requests"]["storage"] == "50Gi"
        assert _named(objects, "Deployment", "prometheus")["spec"]["strategy"] == {"type": "Recreate"}
    # the config file it reads is the ConfigMap's
    config_flag = next(a for a in container["args"] if a.startswith("--config.file="))[len("--config.file="):]
    config_mount = next(m for m in container["volumeMounts"] if config_flag.startswith(m["mountPath"] + "/"))
    volume = next(v for v in spec["volumes"] if v["name"] == config_mount["name"])
    assert config_flag[len(config_mount["mountPath"]) + 1:] in _named(
        objects, "ConfigMap", volume["configMap"]["name"])["data"]
    service = _named(objects, "Service", "prometheus")["spec"]
    assert service["type"] == "ClusterIP" and service["ports"][0]["port"] == 9090


def test_a_changed_config_rolls_the_pods():
    def annotations(objects, name):
        return _named(objects, "Deployment", name)["spec"]["template"]["metadata"]["annotations"]
    gpu, cpu = pm.monitoring(), pm.monitoring(nodes_have_gpu=False)
    for name in ("prometheus", "grafana"):  # a job and a panel fewer
        assert annotations(gpu, name) != annotations(cpu, name)
    assert annotations(pm.monitoring(), "prometheus") == annotations(gpu, "prometheus")  # stable otherwise


@pytest.mark.parametrize("kwargs, text", [
    ({"retention": "15 days"}, "monitoring: retention '15 days' is not a Prometheus duration"),
    ({"retention": ""}, "monitoring: retention '' is not a Prometheus duration"),
    ({"storage_class": "Fast_SSD"}, "monitoring: storage class 'Fast_SSD' is not a Kubernetes object name"),
    ({"grafana_admin_secret": ""}, "monitoring: Grafana admin Secret '' is not a Kubernetes object name"),
])
def test_monitoring_refuses_bad_settings(kwargs, text):
    with pytest.raises(ValueError, match=re.escape(text)):
        pm.monitoring(**kwargs)


@pytest.mark.parametrize("retention", ["15d", "1w", "12h30m", "90d", "500ms"])
def test_monitoring_accepts_prometheus_durations(retention):
    assert "--storage.tsdb.retention.time=" + retention in _pod(
        pm.monitoring(retention=retention), "Deployment", "prometheus")["containers"][0]["args"]


def grafana_files(objects):
    files = {}
    for name in ("grafana-datasources", "grafana-dashboard-providers", "grafana-dashboard-cluster"):
        files.update(_named(objects, "ConfigMap", name)["data"])
    return files


@pytest.mark.parametrize("builder", MONITORING_BUILDERS)
def test_grafana_dashboard_queries_metrics_of_the_rendered_exporters(builder):
    objects = BUILDERS[builder]()
    exporters = exporters_in(objects)
    available = set().union(*(EXPORTER_METRICS[e] for e in exporters))
    dashboard = json.loads(grafana_files(objects)["cluster.json"])
    datasource = yaml.safe_load(grafana_files(objects)["prometheus.yaml"])["datasources"][0]
    assert dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names and names <= available, (panel["title"], sorted(names - available))
    used = set().union(*(metric_names(t["expr"]) for p in dashboard["panels"] for t in p["targets"]))
    for exporter in exporters:  # every exporter rendered shows on the dashboard
        assert used & EXPORTER_METRICS[exporter], exporter
    titles = [p["title"] for p in dashboard["panels"]]
    assert ("GPU utilisation" in titles) == ("dcgm-exporter" in exporters)
    assert ("NPU AI core utilisation" in titles) == ("npu-exporter" in exporters)


def test_grafana_reads_its_provisioning_where_it_is_mounted():
    objects = pm.monitoring()
    files = grafana_files(objects)
    spec = _pod(objects, "Deployment", "grafana")
    mounts = {v["configMap"]["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]
              for v in spec["volumes"] if v["name"] == m["name"] and "configMap" in v}
    assert mounts["grafana-datasources"] == "/etc/grafana/provisioning/datasources"
    assert mounts["grafana-dashboard-providers"] == "/etc/grafana/provisioning/dashboards"
    (provider,) = yaml.safe_load(files["aiplatform.yaml"])["providers"]
    assert provider["options"]["path"] == mounts["grafana-dashboard-cluster"]
    # the data source is the Prometheus Service, by its in-cluster name and port
    (datasource,) = yaml.safe_load(files["prometheus.yaml"])["datasources"]
    service = _named(objects, "Service", "prometheus")
    assert datasource["url"] == "http://%s.%s.svc:%d" % (
        service["metadata"]["name"], service["metadata"]["namespace"], service["spec"]["ports"][0]["port"])
    assert datasource["type"] == "prometheus" and datasource["isDefault"] is True
    grafana = _named(objects, "Service", "grafana")["spec"]
    assert grafana["type"] == "ClusterIP" and grafana["ports"][0]["port"] == 3000
    assert spec["containers"][0]["image"] == pm.IMAGES["grafana"]


def test_monitoring_is_wired_into_manifests():
    out = rendered({"monitoring": True, "metrics_server": True}, nodes_have_gpu=False, insecure_kubelet_tls=True,
                   monitoring_storage_class="nfs-static", grafana_admin_secret="site-grafana")
    assert sorted(out) == ["metrics_server", "monitoring", "namespaces"]
    assert "dcgm-exporter" not in exporters_in(out["monitoring"])
    assert _only(out["monitoring"], "PersistentVolumeClaim")["spec"]["storageClassName"] == "nfs-static"
    args = _pod(out["metrics_server"], "Deployment", "metrics-server")["containers"][0]["args"]
    assert "--kubelet-insecure-tls" in args
    # the monitoring namespace is made once, by the namespaces directory
    assert [key(o) for o in out["monitoring"] if o["kind"] == "Namespace"] == []
    assert ("Namespace", "", "monitoring") in [key(o) for o in out["namespaces"]]

