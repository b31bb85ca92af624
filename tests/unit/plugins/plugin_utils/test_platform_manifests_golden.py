"""Platform manifests against a golden copy: the objects the role applies, byte for byte (key order
included: the role writes them unsorted, so a reordered key rewrites the file on the node).

The golden file was written from the Python-dict builders the templates replaced, and matched the
templates' output for 1,034 input combinations when they came in. A change to a template that is
meant shows here as a failure: review the diff, then rewrite the file with
``PYTHONPATH=.collections .venv/bin/python tests/unit/plugins/plugin_utils/test_platform_manifests_golden.py``.
"""

import json
import os
import sys

import pytest

if __name__ == "__main__":  # the update command above: the collection on the path as conftest.py puts it
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", ".collections"))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "support"))

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import platform_manifests as pm  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "platform_manifests", "golden.json")

from platform_sites import ADDRESSES, ALL_ON, SHARES  # noqa: E402

# Together these take every branch of the templates: each service on and off, GPU and NPU nodes,
# the NPU exporter with and without its image, both container runtimes, Volcano on and off, a
# storage class or none, image overrides.
CASES = {
    "nothing on": ({}, {}),
    "all on, defaults": (ALL_ON, {}),
    "all on, NPU nodes only, docker, every setting": (ALL_ON, {
        "nodes_have_gpu": False, "nodes_have_npu": True, "npu_exporter_image": "registry.example.com/npu-exporter:v1",
        "container_runtime": "docker", "insecure_kubelet_tls": True, "monitoring_retention": "30d",
        "monitoring_storage_class": "fast-ssd", "grafana_admin_secret": "grafana-site", "nfs_capacity": "500Gi",
        "nfs_claim_namespace": "team-a", "ascend_families": ("Ascend910", "Ascend310"),
        "version_table": {"prometheus": "registry.example.com/prometheus:v9", "grafana": "registry.example.com/grafana:9"}}),
    "Ascend without Volcano, NPU nodes without exporter image": (
        {"ascend_device_plugin": True, "monitoring": True}, {"nodes_have_npu": True}),
    "GPU and NPU nodes, NPU exporter": (
        {"monitoring": True, "volcano": True}, {"nodes_have_npu": True, "npu_exporter_image": "r.example/npu:2"}),
}


def render_all():
    return dict((name, pm.manifests(services, SHARES, ADDRESSES, **settings))
                for name, (services, settings) in CASES.items())


def test_the_golden_file_covers_every_case():
    with open(GOLDEN) as handle:
        assert sorted(json.load(handle)) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_objects_match_the_golden_copy_key_order_included(name):
    with open(GOLDEN) as handle:
        golden = json.load(handle)[name]
    services, settings = CASES[name]
    got = pm.manifests(services, SHARES, ADDRESSES, **settings)
    assert list(got) == list(golden)
    for directory in golden:
        assert len(got[directory]) == len(golden[directory]), directory
        for obj, want in zip(got[directory], golden[directory]):
            assert json.dumps(obj, indent=1) == json.dumps(want, indent=1), (directory, want["kind"],
                                                                          want["metadata"]["name"])


if __name__ == "__main__":
    with open(GOLDEN, "w") as out:
        json.dump(render_all(), out, indent=1)
        out.write("\n")
