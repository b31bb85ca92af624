"""NFS shares: export lines, mount options, PV/PVC objects."""
import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import nfs

SHARES = [
    {"name": "data", "server": "store-01", "export_path": "/srv/data", "mount_point": "/mnt/data",
     "export_options": "rw,sync,no_subtree_check,no_root_squash",
     "mount_options": "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime", "clients": ["10.1.0.0/24", "10.2.0.0/24"]},
    {"name": "models", "server": "cp-01", "export_path": "/srv/models", "mount_point": "/mnt/models",
     "export_options": "ro,sync", "mount_options": "ro,_netdev", "clients": ["10.1.0.11/32"]},
]


def test_export_lines_per_server():
    assert nfs.export_lines(SHARES, "store-01") == [
        "/srv/data 10.1.0.0/24(rw,sync,no_subtree_check,no_root_squash) "
        "10.2.0.0/24(rw,sync,no_subtree_check,no_root_squash)"]
    assert nfs.export_lines(SHARES, "cp-01") == ["/srv/models 10.1.0.11/32(ro,sync)"]
    assert nfs.export_lines(SHARES, "gpu-01") == []


@pytest.mark.parametrize("clients, text", [
    ([], "has no clients"),
    (["*"], "exported to everyone"),
    (["10.0.0.0/8", "0.0.0.0/0"], "exported to everyone"),
])
def test_exports_never_go_to_everyone(clients, text):
    share = dict(SHARES[0], clients=clients)
    with pytest.raises(ValueError, match=text):
        nfs.export_lines([share], "store-01")


@pytest.mark.parametrize("given, expected", [
    ("rw,hard,nfsvers=4.1", "rw,hard,nfsvers=4.1,_netdev"),
    ("ro, _netdev ,hard", "ro,_netdev,hard"),
    ("", "_netdev"),
    (None, "_netdev"),
])
def test_mount_options(given, expected):
    assert nfs.mount_options(given) == expected


def test_pv_objects_bind_each_claim_to_its_volume():
    objects = nfs.pv_objects(SHARES, {"store-01": "10.1.0.41", "cp-01": "10.1.0.11"}, capacity="500Gi")
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("PersistentVolume", "nfs-data"), ("PersistentVolumeClaim", "nfs-data"),
        ("PersistentVolume", "nfs-models"), ("PersistentVolumeClaim", "nfs-models")]
    pv, pvc = objects[0], objects[1]
    assert pv["spec"]["nfs"] == {"server": "10.1.0.41", "path": "/srv/data"}
    assert pv["spec"]["accessModes"] == ["ReadWriteMany"] and pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["claimRef"] == {"namespace": "default", "name": "nfs-data"}
    assert pvc["spec"]["volumeName"] == "nfs-data" and pvc["spec"]["resources"]["requests"]["storage"] == "500Gi"
    assert "_netdev" not in objects[2]["spec"]["mountOptions"]  # a kubelet mount option list, not fstab's
