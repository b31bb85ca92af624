"""The sites the platform manifests' unit tests render (tests/unit/plugins/plugin_utils/test_platform_manifests.py
and its golden copy share them; tests/unit/conftest.py puts this folder on sys.path)."""

SHARES = [
    {"name": "data", "server": "store-01", "export_path": "/srv/data", "mount_point": "/mnt/data",
     "mount_options": "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime"},
    {"name": "models.v2", "server": "cp-01", "export_path": "/srv/models", "mount_point": "/mnt/models",
     "mount_options": "ro,_netdev"},
]
ADDRESSES = {"store-01": "10.1.0.41", "cp-01": "10.1.0.11"}
ALL_ON = {"nvidia_device_plugin": True, "ascend_device_plugin": True, "nfs_storage": True,
          "metrics_server": True, "monitoring": True, "volcano": True}
