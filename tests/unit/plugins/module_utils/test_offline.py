"""The offline bundle's pure logic: sources, base system, apt output, manifest checks."""
import pytest

from ansible_collections.aiplatform.cluster.plugins.module_utils import offline

PACKAGES = """Package: libc6
Priority: required
Version: 2.36-9+deb12u4
Architecture: amd64
Depends: libgcc-s1

Package: libgcc-s1
Priority: optional
Version: 12.2.0-14
Architecture: amd64
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)

Package: gcc-12-base
Priority: optional
Version: 12.2.0-14
Architecture: amd64

Package: dpkg
Essential: yes
Priority: required
Version: 1.21.22
Architecture: amd64
Pre-Depends: libc6 (>= 2.34), tar (>= 1.28-1) | awk

Package: tar
Essential: yes
Priority: required
Version: 1.34+dfsg-1.2
Architecture: amd64

Package: containerd
Priority: optional
Version: 1.6.20~ds1-1+b1
Architecture: amd64
Depends: libc6 (>= 2.34), runc (>= 1.0.0~rc2~)
"""


def test_base_system_is_required_and_essential_with_their_dependencies():
    status = offline.base_system([PACKAGES])
    names = [s["Package"] for s in offline.parse_control(status)]
    # gcc-12-base is optional but libc6 needs it (through libgcc-s1): the base system has it.
    assert names == ["dpkg", "gcc-12-base", "libc6", "libgcc-s1", "tar"]
    assert all(s["Status"] == "install ok installed" for s in offline.parse_control(status))
    assert "containerd" not in names


def test_base_system_takes_the_newest_version():
    newer = PACKAGES + "\nPackage: libc6\nPriority: required\nVersion: 2.36-9+deb12u10\nArchitecture: amd64\n"
    libc = [s for s in offline.parse_control(offline.base_system([newer])) if s["Package"] == "libc6"][0]
    assert libc["Version"] == "2.36-9+deb12u10"


@pytest.mark.parametrize("os_name, arch, mirror, first, security", [
    ("debian12", "amd64", "http://mirror.example/debian/", "http://mirror.example/debian bookworm main",
     "http://mirror.example/debian-security bookworm-security"),
    ("ubuntu2204", "amd64", "http://mirror.example/ubuntu", "http://mirror.example/ubuntu jammy main",
     "http://mirror.example/ubuntu jammy-security"),
    ("ubuntu2404", "arm64", "http://mirror.example/ubuntu", "http://mirror.example/ubuntu-ports noble main",
     "http://mirror.example/ubuntu-ports noble-security"),
])
def test_apt_sources(os_name, arch, mirror, first, security):
    lines = offline.apt_sources(os_name, arch, mirror, "/k.gpg")
    assert len(lines) == 3
    assert lines[0].startswith("deb [arch=%s signed-by=/k.gpg] %s" % (arch, first))
    assert security in lines[2]


def test_apt_sources_refuses_rpm_systems():
    with pytest.raises(ValueError, match="openeuler2203. cannot be bundled"):
        offline.apt_sources("openeuler2203", "amd64", "http://m", "/k")


def test_print_uris():
    text = ("Reading package lists...\n"
            "'http://mirror.example/debian/pool/main/c/containerd/containerd_1.6.20~ds1-1%2bb1_amd64.deb' "
            "containerd_1.6.20~ds1-1+b1_amd64.deb 26107072 SHA256:" + "ab" * 32 + "\n"
            "'http://m/pool/x/libfoo1_1%3a2.0-1_arm64.deb' libfoo1_1%3a2.0-1_arm64.deb 10 MD5Sum:00\n"
            "'http://m/pool/j/jq_1.6-2.1%2bdeb12u3_amd64.deb' jq_1.6-2.1+deb12u3_amd64.deb 64432 \n")
    items = offline.parse_print_uris(text)
    assert [i["filename"] for i in items] == ["containerd_1.6.20~ds1-1+b1_amd64.deb", "libfoo1_1%3a2.0-1_arm64.deb",
                                              "jq_1.6-2.1+deb12u3_amd64.deb"]
    assert items[2]["sha256"] == "" and items[2]["size"] == 64432  # apt printed no hash
    assert items[0]["sha256"] == "ab" * 32 and items[0]["size"] == 26107072
    assert items[1]["sha256"] == ""
    assert offline.deb_fields(items[1]["filename"]) == {"name": "libfoo1", "version": "1:2.0-1", "arch": "arm64"}


@pytest.mark.parametrize("ref, expected", [
    ("busybox", ("docker.io", "library/busybox", "latest")),
    ("busybox:1.36", ("docker.io", "library/busybox", "1.36")),
    ("nvidia/k8s-device-plugin:v0.17.0", ("docker.io", "nvidia/k8s-device-plugin", "v0.17.0")),
    ("registry.k8s.io/pause:3.10", ("registry.k8s.io", "pause", "3.10")),
    ("10.0.0.5:5000/team/app:2", ("10.0.0.5:5000", "team/app", "2")),
    ("localhost/app", ("localhost", "app", "latest")),
])
def test_image_ref(ref, expected):
    assert offline.image_ref(ref) == expected


def test_image_ref_refuses_digests():
    with pytest.raises(ValueError, match="pin images by tag"):
        offline.image_ref("busybox@sha256:" + "0" * 64)


def test_push_target_keeps_the_upstream_name():
    assert offline.push_target("registry.k8s.io/pause:3.10") == {
        "ref": "registry.k8s.io/pause:3.10", "repository": "registry.k8s.io/pause", "tag": "3.10"}


MANIFEST = {"artifacts": [
    {"kind": "package", "target": "debian12-amd64", "name": "containerd"},
    {"kind": "package", "target": "debian12-amd64", "name": "chrony"},
    {"kind": "image", "name": "registry.k8s.io/pause:3.10"},
]}


def test_bundle_holds_what_the_site_needs():
    assert offline.bundle_problems(MANIFEST, [("debian12", "amd64")], ["containerd", "chrony"],
                                   ["registry.k8s.io/pause:3.10"]) == []


def test_bundle_problems_name_every_missing_artifact():
    problems = offline.bundle_problems(MANIFEST, ["debian12-amd64", ("ubuntu2204", "arm64")],
                                       ["containerd", "chrony", "jq"], ["registry.k8s.io/pause:3.10", "busybox:1.36"])
    assert problems == [
        "the bundle's debian12-amd64 repository lacks jq",
        "the bundle has no packages for ubuntu2204-arm64 (nodes run it); build it with that node in the config",
        "the bundle lacks image docker.io/library/busybox:1.36",
    ]


def test_sums_problems():
    out = ("packages/debian12-amd64/chrony_4.3-2_amd64.deb: FAILED\n"
           "sha256sum: packages/debian12-amd64/jq_1.6-2.1_amd64.deb: No such file or directory\n"
           "packages/debian12-amd64/jq_1.6-2.1_amd64.deb: FAILED open or read\n"
           "sha256sum: WARNING: 1 computed checksum did NOT match\n")
    assert offline.sums_problems(out.splitlines()) == offline.sums_problems(out)
    assert offline.sums_problems(out) == [
        "packages/debian12-amd64/chrony_4.3-2_amd64.deb is corrupted (its sha256 differs from the bundle's SHA256SUMS)",
        "packages/debian12-amd64/jq_1.6-2.1_amd64.deb is missing from the bundle",
    ]


def test_targets_and_unknown_os():
    nodes = [{"inventory_hostname": "a", "node_os": "debian12"},
             {"inventory_hostname": "b", "node_os": "ubuntu2204", "node_arch": "arm64"},
             {"inventory_hostname": "c", "node_os": "debian12", "node_arch": "amd64"},
             {"inventory_hostname": "d"}]
    assert offline.targets(nodes) == {"targets": ["debian12-amd64", "ubuntu2204-arm64"], "unknown": ["d"]}


@pytest.mark.parametrize("distribution, version, machine, target", [
    ("Debian", "12", "x86_64", "debian12-amd64"),
    ("Debian", "12.8", "x86_64", "debian12-amd64"),
    ("Ubuntu", "22.04", "aarch64", "ubuntu2204-arm64"),
])
def test_fact_target(distribution, version, machine, target):
    assert offline.target_name(offline.fact_os_name(distribution, version), offline.fact_arch(machine)) == target


def test_default_mirror():
    own = "deb http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian-security bookworm-security main\n"
    assert offline.default_mirror(own, "debian", "Debian") == "http://mirror.example/debian"
    with pytest.raises(ValueError, match="offline_apt_mirrors.ubuntu"):
        offline.default_mirror(own, "ubuntu", "Debian")


def test_layout_refs():
    index = {"manifests": [{"annotations": {"org.opencontainers.image.ref.name": "docker.io/a/b:1"}},
                           {"annotations": {}}]}
    assert offline.layout_refs(index) == ["docker.io/a/b:1", ""]
