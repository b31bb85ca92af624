"""The site registry's config rules (docs/registry.md): TLS always on with auth, credentials in pairs,
no placeholder passwords, the listen address, anonymous pull. All problems are reported at once."""

import copy

import pytest
import yaml

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.model import placeholder_password
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import warnings
from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.pipeline import parse

BASE = {
    "schema_version": 1,
    "cluster": {"name": "site", "domain": "ai.example", "kubernetes_version": "1.30.2"},
    "network": {"node_networks": ["10.1.0.0/24"]},
    "nodes": [
        {"hostname": "cp-01", "ip": "10.1.0.11", "roles": ["control_plane", "worker"]},
        {"hostname": "store-01", "ip": "10.1.0.41", "roles": ["registry"]},
    ],
    "registry": {"local": {"enabled": True}},
}


def run(local=None, company=None):
    config = copy.deepcopy(BASE)
    config["registry"]["local"].update(local or {})
    if company is not None:
        config["registry"]["company"] = company
    return parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")


def problems(result, level):
    return [(p.key, p.message, p.fix) for p in (result.errors if level == "error" else warnings(result.problems))]


def test_no_credentials_is_the_default_and_valid():
    result = run()
    assert problems(result, "error") == []
    local = result.model.group_vars["all"]["platform_registry"]["local"]
    assert not local.get("username") and not local.get("password")
    assert local["tls"] is True and local["anonymous_pull"] is False


@pytest.mark.parametrize("local, company, key, text, fix", [
    ({"tls": False}, None, "registry.local.tls", "auth over plain HTTP", "remove registry.local.tls"),
    ({"username": "pusher"}, None, "registry.local.password", "user is set without a password",
     "remove both to have them generated"),
    ({"password": "Xq7-long-and-random-enough"}, None, "registry.local.username", "password is set without a user",
     "remove both to have them generated"),
    ({"username": "a:b", "password": "Xq7-long-and-random-enough"}, None, "registry.local.username", "contains ':'",
     "without ':'"),
    ({"username": "admin", "password": "change-me"}, None, "registry.local.password", "well-known placeholder",
     "set a real password"),
    ({"username": "admin", "password": "  PassWord "}, None, "registry.local.password", "well-known placeholder",
     "set a real password"),
    ({}, {"url": "harbor.corp.example", "username": "puller", "password": "Harbor12345"},
     "registry.company.password", "well-known placeholder", "set a real password"),
    ({"anonymous_pull": True, "anonymous_pull_port": 5000}, None, "registry.local.anonymous_pull_port",
     "the registry's own port", "a port of its own"),
], ids=["tls off", "user without password", "password without user", "colon in user", "change-me",
        "Password with case and blanks", "company placeholder", "anonymous port clash"])
def test_refusals(local, company, key, text, fix):
    result = run(local, company)
    matching = [p for p in result.errors if text in p.message]
    assert matching, problems(result, "error")
    assert matching[0].key == key and fix in matching[0].fix
    assert result.model is None
    assert "Traceback" not in str(matching[0])


def test_tls_off_is_fine_when_the_local_registry_is_off():
    config = copy.deepcopy(BASE)
    config["registry"]["local"] = {"enabled": False, "tls": False}
    config["nodes"][1]["roles"] = ["worker"]
    result = parse(yaml.safe_dump(config, sort_keys=False), "platform.yml")
    assert problems(result, "error") == []


def test_every_registry_problem_at_once():
    result = run({"tls": False, "username": "admin", "password": "admin", "anonymous_pull": True,
                  "anonymous_pull_port": 5000},
                 {"url": "harbor.corp.example", "username": "puller", "password": "secret"})
    keys = sorted(p.key for p in result.errors)
    assert keys == ["registry.company.password", "registry.local.anonymous_pull_port", "registry.local.password",
                    "registry.local.tls"]


def test_a_real_password_with_quotes_backslashes_and_dollars_is_accepted():
    result = run({"username": "pusher", "password": 'a"b\\c$d{{ e }}'})
    assert problems(result, "error") == []
    assert result.model.group_vars["all"]["platform_registry"]["local"]["password"] == 'a"b\\c$d{{ e }}'


def test_vault_encrypted_password_is_not_judged():
    source = yaml.safe_dump(copy.deepcopy(BASE), sort_keys=False).replace(
        "    enabled: true\n", "    enabled: true\n    username: pusher\n    password: !vault |\n"
        "      $ANSIBLE_VAULT;1.1;AES256\n      3132\n")
    assert problems(parse(source, "platform.yml"), "error") == []


@pytest.mark.parametrize("listen, warned", [
    ("10.1.0.41", False), ("0.0.0.0", False), ("10.1.0.11", True),
])
def test_listen_address(listen, warned):
    result = run({"listen_address": listen})
    assert problems(result, "error") == []
    found = [p for p in warnings(result.problems) if p.key == "registry.local.listen_address"]
    assert bool(found) == warned, problems(result, "warning")


def test_listen_address_must_be_an_address():
    result = run({"listen_address": "every-interface"})
    assert [p.key for p in result.errors] == ["registry.local.listen_address"]


@pytest.mark.parametrize("password, placeholder", [
    ("change-me", True), ("CHANGEME", True), ("registry", True), ("secret", True), ("123456", True),
    ("admin", True), ("not-a-real-password-5", False), ("Zr4Qp9mW2xLk8Vt1Yh6Bn3Cd7Fg0Js5A", False),
])
def test_placeholder_passwords(password, placeholder):
    assert placeholder_password(password) is placeholder
