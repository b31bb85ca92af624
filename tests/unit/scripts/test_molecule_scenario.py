"""scripts/molecule_scenario.py: the Mitogen scenario gets the folder of Mitogen's strategy plugins, or fails
saying how to install it; the scenario and the requirement files agree on what it needs (docs/mitogen.md)."""
import importlib.machinery
import importlib.util
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_SPEC = importlib.util.spec_from_file_location("molecule_scenario", os.path.join(ROOT, "scripts", "molecule_scenario.py"))
ms = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ms)


def _package(tmp_path, with_strategy=True):
    package = tmp_path / "ansible_mitogen"
    strategy = package / "plugins" / "strategy"
    strategy.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if with_strategy:
        (strategy / "mitogen_linear.py").write_text("")
    spec = importlib.machinery.ModuleSpec("ansible_mitogen", None, is_package=True)
    spec.submodule_search_locations = [str(package)]
    return spec, str(strategy)


def test_strategy_plugins_of_the_installed_package(tmp_path):
    spec, strategy = _package(tmp_path)
    assert ms.mitogen_strategy_plugins(lambda name: spec if name == "ansible_mitogen" else None) == strategy


def test_no_strategy_plugins_without_the_package_or_its_plugin(tmp_path):
    assert ms.mitogen_strategy_plugins(lambda name: None) is None
    spec, _strategy = _package(tmp_path, with_strategy=False)
    assert ms.mitogen_strategy_plugins(lambda name: spec) is None

    def broken(name):
        raise ImportError(name)
    assert ms.mitogen_strategy_plugins(broken) is None


def test_other_scenarios_keep_the_environment_as_it_is():
    env, problem = ms.scenario_env("default", {"PATH": "/bin"}, None)
    assert (env, problem) == ({"PATH": "/bin"}, None)


def test_the_mitogen_scenario_gets_the_folder_or_fails_with_the_fix():
    env, problem = ms.scenario_env("mitogen", {"PATH": "/bin"}, "/x/ansible_mitogen/plugins/strategy")
    assert problem is None
    assert env == {"PATH": "/bin", ms.MITOGEN_ENV: "/x/ansible_mitogen/plugins/strategy"}
    env, problem = ms.scenario_env("mitogen", {"PATH": "/bin"}, None)
    assert env is None
    assert "Mitogen is not installed" in problem and "pip install -r requirements-mitogen.txt" in problem


def _load(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def test_every_mitogen_scenario_reads_the_folder_and_runs_its_converge_under_mitogen():
    for scenario in ms.MITOGEN_SCENARIOS:
        config = _load("molecule", scenario, "molecule.yml")
        assert config["provisioner"]["env"]["ANSIBLE_STRATEGY_PLUGINS"] == "${%s}" % ms.MITOGEN_ENV
        # Mitogen takes over connections named by their short names only (docs/mitogen.md).
        for host, hostvars in config["provisioner"]["inventory"]["host_vars"].items():
            assert hostvars.get("ansible_connection") == "ssh", host
        plays = _load("molecule", scenario, "converge.yml")
        assert plays and all(play.get("strategy") == "mitogen_linear" for play in plays)


def _pins(name):
    with open(os.path.join(ROOT, name)) as handle:
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", handle.read(), re.M))


def test_the_tested_mitogen_is_pinned_once_and_only_for_those_who_ask():
    pinned = _pins("requirements-mitogen.txt")
    assert list(pinned) == ["mitogen"]
    assert _pins("constraints.txt")["mitogen"] == pinned["mitogen"]
    assert "mitogen" not in _pins("requirements.txt")
    with open(os.path.join(ROOT, "docs", "mitogen.md")) as handle:
        assert "mitogen %s" % pinned["mitogen"] in handle.read()
