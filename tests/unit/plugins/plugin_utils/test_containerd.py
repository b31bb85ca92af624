"""containerd config facts."""
import tomllib

import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils import containerd


@pytest.mark.parametrize("output, version", [
    # `containerd --version` of the Debian 12, Ubuntu 22.04 and 24.04 packages (this project's lab containers)
    ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n", 2),
    ("containerd github.com/containerd/containerd 1.5.9-0ubuntu3 \n", 2),
    ("containerd github.com/containerd/containerd 1.7.12 \n", 2),
    # a 2.x line in the same layout (constructed: no 2.x package is reachable here)
    ("containerd github.com/containerd/containerd/v2 v2.0.4 1a43cb6a1035441f9aca8f5666a9b3ef9e70ab20\n", 3),
    ("", 2),
])
def test_config_version(output, version):
    assert containerd.config_version(output) == version


@pytest.mark.parametrize("output, ok", [
    ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n", True),
    ("containerd github.com/containerd/containerd 1.5.9-0ubuntu3 \n", False),  # Ubuntu 22.04 without -updates
    ("containerd github.com/containerd/containerd 1.7.12 \n", True),
    ("containerd github.com/containerd/containerd/v2 v2.0.4 1a43cb6a1035441f9aca8f5666a9b3ef9e70ab20\n", True),
    ("", True),
])
def test_override_path_ok(output, ok):
    assert containerd.override_path_ok(output) is ok


@pytest.mark.parametrize("version, section", [
    (2, ("plugins", "io.containerd.grpc.v1.cri", "containerd")),
    (3, ("plugins", "io.containerd.cri.v1.runtime", "containerd")),
])
def test_runtime_dropin_parses(version, section):
    data = tomllib.loads(containerd.runtime_dropin("nvidia", "/usr/bin/nvidia-container-runtime", version, True))
    node = data
    for key in section:
        node = node[key]
    assert data["version"] == version
    assert node["default_runtime_name"] == "nvidia"
    assert node["runtimes"]["nvidia"]["options"] == {"BinaryName": "/usr/bin/nvidia-container-runtime",
                                                      "SystemdCgroup": True}
    plain = tomllib.loads(containerd.runtime_dropin("ascend", "/x/ascend-docker-runtime", version))
    assert "default_runtime_name" not in str(plain)
