"""What the nfs role leaves on a server and a client (exports and mounts themselves need an NFS kernel)."""

SERVER = "nfs-server-01"


def test_exports_are_limited_to_the_cluster_networks(host):
    if host.backend.get_hostname() != SERVER:
        return
    assert host.package("nfs-kernel-server").is_installed
    lines = [l for l in host.file("/etc/exports.d/aiplatform.exports").content_string.splitlines()
             if l and not l.startswith("#")]
    assert lines == [
        "/srv/nfs/share 10.20.0.0/24(rw,sync,no_subtree_check,no_root_squash) "
        "10.30.0.0/24(rw,sync,no_subtree_check,no_root_squash)",
        "/srv/nfs/models 10.20.0.0/24(ro,sync,no_subtree_check)",
    ]
    assert "*" not in host.file("/etc/exports.d/aiplatform.exports").content_string


def test_default_folders(host):
    if host.backend.get_hostname() != SERVER:
        return
    for share in ("/srv/nfs/share", "/srv/nfs/models"):
        assert host.file(share).mode == 0o755
        for folder in ("jobfiles", "storage", "work", "namenodeshare"):
            entry = host.file("%s/%s" % (share, folder))
            assert entry.is_directory and entry.mode == 0o1777 and entry.user == "root"


def test_fstab_on_every_node(host):
    assert host.package("nfs-common").is_installed
    fstab = host.file("/etc/fstab").content_string.splitlines()
    share = [l.split() for l in fstab if " /mnt/share " in l]
    models = [l.split() for l in fstab if " /mnt/models " in l]
    assert share == [["10.20.0.11:/srv/nfs/share", "/mnt/share", "nfs",
                      "rw,hard,nfsvers=4.1,timeo=600,retrans=2,noatime,_netdev", "0", "0"]]
    assert models == [["10.20.0.11:/srv/nfs/models", "/mnt/models", "nfs", "ro,_netdev", "0", "0"]]
    assert host.file("/mnt/share").is_directory and host.file("/mnt/models").is_directory
