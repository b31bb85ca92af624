"""Every role input is in meta/argument_specs.yml, and those specs hold at runtime.

A role's defaults and its argument spec list the same variables (a default the spec lacks is an
undocumented input; a role variable the spec lists without a default is a stale entry); a static
default is stated in the spec as it is; nothing with a default is required. Then every role's
argument validation (the task Ansible runs at the start of a role, after templating every listed
variable) runs against the sample sites, as site.yml would meet them, and passes: a wrong type would
stop a real run there."""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")),
                                "scripts"))
from inventory_json import fill_template  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))
# Inputs a role may document that are not its own defaults: what the inventory plugin sets for every
# host (node_*) and the sections of the platform config (platform_*).
INVENTORY_INPUT = re.compile(r"^(node|platform)_")
SITES = ["inventories/lab", "inventories/customer", "molecule/cluster/dlws-site"]


def _defaults(role):
    single = os.path.join(ROOT, "roles", role, "defaults", "main.yml")
    files = [single] if os.path.exists(single) else sorted(glob.glob(os.path.join(ROOT, "roles", role, "defaults",
                                                                                  "main", "*.yml")))
    assert files, "role %s has no defaults" % role
    found = {}
    for path in files:
        with open(path) as handle:
            found.update(yaml.safe_load(handle) or {})
    return found


def _specs(role):
    path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
    assert os.path.exists(path), "role %s has no meta/argument_specs.yml" % role
    with open(path) as handle:
        return yaml.safe_load(handle)["argument_specs"]


def _templated(value):
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_templated(k) or _templated(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_list_the_same_variables(role):
    defaults = _defaults(role)
    options = _specs(role)["main"]["options"]
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "roles/%s: defaults not in meta/argument_specs.yml (main): %s" % (role, undocumented)
    stale = sorted(k for k in set(options) - set(defaults) if not INVENTORY_INPUT.match(k))
    assert not stale, "roles/%s: argument_specs (main) lists variables the role has no default for: %s" % (role, stale)


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_state_static_defaults_and_types(role):
    defaults = _defaults(role)
    for entry, spec in _specs(role).items():
        assert spec.get("short_description"), (role, entry)
        for name, option in (spec.get("options") or {}).items():
            where = "roles/%s %s: %s" % (role, entry, name)
            assert option.get("type") and option.get("description"), where
            if name not in defaults:
                continue
            assert not option.get("required"), where + " has a default, so it is not required"
            if not _templated(defaults[name]):
                assert "default" in option, where + " has the static default %r; state it" % (defaults[name],)
                assert option["default"] == defaults[name], where


def _validate_only(site, roles, extra=()):
    """Run each role's argument validation, and nothing else, on every host of ``site``."""
    plays = [{"name": "Arguments of %s" % role, "hosts": "all", "gather_facts": False,
              "roles": ["aiplatform.cluster.%s" % role]} for role in roles]
    return plays, [os.path.join(BIN, "ansible-playbook"), "-i", site, "--check",
                   # The validation task is tagged always: an unknown tag leaves only it.
                   "--tags", "aiplatform-argument-validation-only", "-e", "ansible_connection=local"] + list(extra)


def _run(tmp_path, site, roles, extra=()):
    # A copy of the site: role defaults the validation templates (the registry's password lookup) create
    # files under the inventory's .aiplatform/, which must not land in the source tree.
    copy = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, site), str(copy), ignore=shutil.ignore_patterns(".aiplatform"))
    if site == "inventories/customer":  # the template stops until its placeholders are filled in
        config = copy / "config.yaml"
        config.write_text(fill_template(config.read_text()))
    plays, command = _validate_only(str(copy), roles, extra)
    playbook = tmp_path / "validate.yml"
    playbook.write_text(yaml.safe_dump(plays))
    return subprocess.run(command + [str(playbook)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                                                ANSIBLE_NOCOLOR="1"))


@pytest.mark.parametrize("site", SITES)
def test_every_role_validates_its_arguments_on_the_sample_sites(tmp_path, site):
    result = _run(tmp_path, site, ROLES)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    validated = re.findall(r"^TASK \[aiplatform\.cluster\.(\w+) : Validating arguments against arg spec 'main'",
                           result.stdout, re.M)
    assert validated == ROLES, validated
    recap = re.findall(r"^\S+\s+: ok=(\d+)\s+changed=0\s+unreachable=0\s+failed=0", result.stdout, re.M)
    assert recap and all(int(ok) == len(ROLES) for ok in recap), result.stdout[-2000:]


def test_a_wrong_type_stops_the_role_at_its_start(tmp_path):
    """The check above can fail: a value of the wrong type is refused by the validation it runs."""
    result = _run(tmp_path, "inventories/lab", ["kubeadm"], ["-e", "kubeadm_ready_timeout=soon"])
    assert result.returncode != 0
    assert "kubeadm_ready_timeout" in result.stdout and "int" in result.stdout, result.stdout[-2000:]
