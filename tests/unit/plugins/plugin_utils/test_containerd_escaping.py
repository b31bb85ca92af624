"""Registry credentials holding quotes, backslashes and dollars survive every file they are written to:
containerd's config.toml (rendered from the role's own template, parsed back with tomllib). registry_push's
basic auth: tests/unit/plugins/modules/test_registry_push.py; docker's and kubelet's config.json, htpasswd: molecule registry."""
import os
import tomllib

import jinja2
import pytest

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.containerd import toml_string

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))

NASTY = [
    'pa"ss\\word$HOME',
    '\\"; injected = "x',
    '$(reboot)`id`${x}',
    "{{ lookup('pipe', 'id') }}",
    "tab\there\nnewline\x7fdel\x01ctl",
    "ünïcødé 密码 😀",
    "ends with backslash \\",
    "",
]


@pytest.mark.parametrize("text", NASTY)
def test_toml_string_round_trips(text):
    assert tomllib.loads("v = %s\n" % toml_string(text))["v"] == text


def render_containerd_config(version, auths):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROOT, "roles", "container_runtime",
                                                                        "templates")),
                             trim_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["aiplatform.cluster.toml_string"] = toml_string
    return env.get_template("config.toml.j2").render(
        ansible_managed="managed", __container_runtime_version={"stdout": "containerd 1.6.20"},
        __container_runtime_config_version=version, container_runtime_config_dir="/etc/containerd",
        container_runtime_certs_dir="/etc/containerd/certs.d", container_runtime_sandbox_image="r/pause:3.10",
        container_runtime_registry_auths=auths)


@pytest.mark.parametrize("version, section", [(2, "io.containerd.grpc.v1.cri"), (3, "io.containerd.cri.v1.images")])
@pytest.mark.parametrize("password", NASTY[:-1])
def test_containerd_config_carries_any_password(version, section, password):
    auths = [{"host": "172.31.242.11:5000", "username": 'us"er\\', "password": password},
             {"host": "harbor.corp.example:443", "username": "puller", "password": "x$y"}]
    config = tomllib.loads(render_containerd_config(version, auths))
    configs = config["plugins"][section]["registry"]["configs"]
    assert configs["172.31.242.11:5000"]["auth"] == {"username": 'us"er\\', "password": password}
    assert configs["harbor.corp.example:443"]["auth"] == {"username": "puller", "password": "x$y"}



def test_docker_logins_carry_any_password():
    from ansible_collections.aiplatform.cluster.plugins.plugin_utils.containerd import docker_logins
    import base64
    import json

    auths = [{"host": "172.31.242.11:5000", "username": "aiplatform", "password": p} for p in NASTY[:1]]
    for password in NASTY:
        text = json.dumps(docker_logins([{"host": "172.31.242.11:5000", "username": "aiplatform",
                                          "password": password}]))
        auth = json.loads(text)["auths"]["172.31.242.11:5000"]["auth"]
        assert base64.b64decode(auth).decode("utf-8").split(":", 1) == ["aiplatform", password]
    assert list(docker_logins(auths + [{"host": "h:443", "username": "u", "password": "p"}])["auths"]) == [
        "172.31.242.11:5000", "h:443"]
