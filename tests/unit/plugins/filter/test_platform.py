"""The platform role's filters: settings checked by name, objects per directory, images."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.filter.platform import FilterModule

FILTERS = FilterModule().filters()
SHARES = [{"name": "data", "server": "store-01", "export_path": "/srv/data", "mount_point": "/mnt/data",
           "mount_options": "rw,hard"}]


def test_directories_follow_the_enabled_services():
    out = FILTERS["platform_manifests"]({"nvidia_device_plugin": True, "nfs_storage": True, "volcano": False},
                                        {"shares": SHARES, "server_addresses": {"store-01": "10.0.0.5"}})
    assert list(out)[0] == "namespaces"  # applied first: the services live in them
    assert set(out) == {"namespaces", "nvidia_device_plugin", "nfs_storage"}
    pv = [o for o in out["nfs_storage"] if o["kind"] == "PersistentVolume"][0]
    assert pv["spec"]["nfs"] == {"server": "10.0.0.5", "path": "/srv/data"}
    off = FILTERS["platform_manifests"]({}, {})
    assert set(off) == {"namespaces"}


def test_a_misspelt_setting_is_an_error_naming_it():
    with pytest.raises(AnsibleFilterError, match=r"platform: unknown setting\(s\) sharez"):
        FILTERS["platform_manifests"]({"nfs_storage": True}, {"sharez": SHARES})


def test_a_share_on_a_server_without_an_address_is_an_error():
    with pytest.raises(AnsibleFilterError, match="platform: "):
        FILTERS["platform_manifests"]({"nfs_storage": True}, {"shares": SHARES, "server_addresses": {}})


def test_images_only_of_enabled_services_and_overridable():
    assert FILTERS["platform_images"]({}) == []
    gpu = FILTERS["platform_images"]({"nvidia_device_plugin": True})
    assert len(gpu) == 1 and gpu[0].startswith("nvcr.io/nvidia/k8s-device-plugin:")
    assert FILTERS["platform_images"]({"nvidia_device_plugin": True},
                                      {"nvidia_device_plugin": "mirror.example/dp:v1"}) == ["mirror.example/dp:v1"]
