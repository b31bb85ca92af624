"""Platform service manifests: every object valid for the Kubernetes API, names unique, selectors
matching the inventory's node labels, the image list matching what is rendered.

Kubernetes cannot run here: the objects are validated against the OpenAPI schemas that
kubernetes-validate carries offline, in strict mode (an unknown field fails).
"""

import copy

import kubernetes_validate
import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.module_utils import nfs, offline
from ansible_collections.aiplatform.cluster.plugins.module_utils import platform_manifests as pm
from ansible_collections.aiplatform.cluster.plugins.module_utils.platform_config import parse

# The minors of the clusters we install, checked against their own schemas.
K8S_VERSIONS = ("1.28", "1.30", "1.31")

SHARES = [
    {"name": "data", "server": "store-01", "export_path": "/srv/data", "mount_point": "/mnt/data",
     "mount_options": "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime"},
    {"name": "models.v2", "server": "cp-01", "export_path": "/srv/models", "mount_point": "/mnt/models",
     "mount_options": "ro,_netdev"},
]
ADDRESSES = {"store-01": "10.1.0.41", "cp-01": "10.1.0.11"}

ALL_ON = {"nvidia_device_plugin": True, "ascend_device_plugin": True, "nfs_storage": True,
          "metrics_server": True, "monitoring": True, "volcano": True}

BUILDERS = {
    "nvidia_device_plugin": lambda: pm.nvidia_device_plugin(),
    "nvidia_device_plugin in kube-system": lambda: pm.nvidia_device_plugin(ns="kube-system"),
    "ascend_device_plugin": lambda: pm.ascend_device_plugin(),
    "ascend_device_plugin without volcano, docker": lambda: pm.ascend_device_plugin(
        volcano=False, container_runtime="docker"),
    "nfs_storage": lambda: pm.nfs_storage(SHARES, ADDRESSES, capacity="500Gi"),
    "platform_namespaces": lambda: pm.platform_namespaces(ALL_ON),
    "platform_namespaces, nothing on": lambda: pm.platform_namespaces({}),
}

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


def rendered(services):
    return pm.manifests(services, SHARES, ADDRESSES)


def all_objects(services):
    return [obj for objs in rendered(services).values() for obj in objs]


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
]


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
        host = any("hostPath" in v for v in spec.get("volumes", [])) or any(
            c.get("securityContext", {}).get("privileged") for c in spec["containers"])
        ns = obj["metadata"]["namespace"]
        if host and ns != "kube-system":
            assert namespaces[ns]["pod-security.kubernetes.io/enforce"] == "privileged", key(obj)


def test_service_accounts_and_bindings_agree():
    for objects in (pm.ascend_device_plugin(), pm.platform_namespaces(ALL_ON)):
        accounts = set(key(o) for o in objects if o["kind"] == "ServiceAccount")
        roles = set(o["metadata"]["name"] for o in objects if o["kind"] == "ClusterRole")
        for binding in (o for o in objects if o["kind"] == "ClusterRoleBinding"):
            assert binding["roleRef"]["name"] in roles
            for subject in binding["subjects"]:
                assert ("ServiceAccount", subject["namespace"], subject["name"]) in accounts
        for obj, spec in pod_specs(objects):
            assert ("ServiceAccount", obj["metadata"]["namespace"], spec["serviceAccountName"]) in accounts


def test_daemonset_selectors_match_their_pods():
    for objects in (pm.nvidia_device_plugin(), pm.ascend_device_plugin()):
        for obj, _ in pod_specs(objects):
            selector = obj["spec"]["selector"]["matchLabels"]
            labels = obj["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items()
    selectors = [tuple(sorted(o["spec"]["selector"]["matchLabels"].items()))
                 for o, _ in pod_specs(pm.ascend_device_plugin())]
    assert len(selectors) == len(set(selectors))  # one DaemonSet never adopts another's pods


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


def test_every_service_with_an_image_renders_it():
    assert sorted(pm.IMAGES.values()) == images_in(all_objects(ALL_ON))


@pytest.mark.parametrize("service", sorted(pm.IMAGES))
def test_images_are_upstream_names_pinned_by_tag(service):
    ref = pm.IMAGES[service]
    registry, repository, tag = offline.image_ref(ref)
    assert offline.canonical_image(ref) == ref  # registry written out: the mirrors resolve it as is
    assert tag not in ("latest", "") and tag.startswith("v"), ref


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
