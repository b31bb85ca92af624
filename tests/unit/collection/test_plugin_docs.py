"""Every plugin and role documents itself where Ansible users look: ansible-doc shows each plugin under
its own name, its documentation parses, and a filter's or test's options are the parameters its Python
function really takes. A DOCUMENTATION block that stops parsing (a YAML colon in a description once broke
ansible-doc unnoticed) or a filter that shows another filter's doc fails here."""
import ast
import glob
import importlib
import inspect
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
COLLECTION = "aiplatform.cluster"
PLUGIN_DIRS = {"module": "modules", "inventory": "inventory", "lookup": "lookup", "callback": "callback",
               "connection": "connection", "vars": "vars", "become": "become", "cache": "cache",
               "strategy": "strategy"}
# The keys a filter/test option and its return value may have; anything else is a typo or a
# description that YAML split at a comma or a colon.
OPTION_KEYS = {"description", "type", "required", "default", "elements", "choices", "aliases", "version_added"}
RETURN_KEYS = {"description", "type", "elements", "contains", "sample", "returned"}


def _ansible_doc(*args):
    result = subprocess.run([os.path.join(BIN, "ansible-doc")] + list(args), cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=False,
                            env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")))
    problems = [line for line in result.stderr.splitlines() if "[ERROR]" in line or "[WARNING]" in line]
    assert result.returncode == 0 and not problems, "ansible-doc %s: rc=%d\n%s" % (
        " ".join(args), result.returncode, result.stderr[-3000:])
    return result.stdout


def _listed(plugin_type):
    return sorted(json.loads(_ansible_doc("-t", plugin_type, "-l", COLLECTION, "--json")))


def _docs(plugin_type, names):
    """The docs as data, after ansible-doc rendered them as text (what a user reads; a description that
    YAML turned into a mapping parses as JSON but breaks the text)."""
    if not names:
        return {}
    assert _ansible_doc("-t", plugin_type, *names).strip()
    docs = json.loads(_ansible_doc("-t", plugin_type, "--json", *names))
    for name, entry in docs.items():
        _texts_are_strings(entry, name)
    return docs


def _texts_are_strings(node, where):
    """Every description and short_description is text or a list of text."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "short_description", "details"):
                items = value if isinstance(value, list) else [value]
                assert all(isinstance(i, str) for i in items), "%s: %s is not text: %r" % (where, key, value)
            else:
                _texts_are_strings(value, "%s.%s" % (where, key))
    elif isinstance(node, list):
        for item in node:
            _texts_are_strings(item, where)


def _jinja_plugins(kind):
    """{name: function} of every filter (kind 'filter') or test ('test') file, as Ansible loads them."""
    plugins = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", kind, "*.py"))):
        module = importlib.import_module("ansible_collections.aiplatform.cluster.plugins.%s.%s"
                                         % (kind, os.path.basename(path)[:-3]))
        if kind == "filter":
            found = module.FilterModule().filters()
        else:
            found = module.TestModule().tests()
        for name, function in found.items():
            assert name not in plugins, "%s %s is defined twice" % (kind, name)
            plugins[name] = function
    return plugins


@pytest.mark.parametrize("plugin_type", sorted(PLUGIN_DIRS))
def test_every_plugin_file_is_documented_under_its_own_name(plugin_type):
    files = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", PLUGIN_DIRS[plugin_type],
                                                                             "*.py")) if not p.endswith("__init__.py"))
    listed = _listed(plugin_type)
    assert listed == ["%s.%s" % (COLLECTION, f) for f in files]
    docs = _docs(plugin_type, listed)
    assert sorted(docs) == listed
    for fqcn, entry in docs.items():
        doc = entry["doc"]
        own = fqcn.rsplit(".", 1)[1]
        assert doc.get("module" if plugin_type == "module" else "name") == own, fqcn
        assert doc.get("short_description") and doc.get("description"), fqcn
        if plugin_type == "module":
            assert entry.get("examples") and entry.get("return") is not None, fqcn
            # The fragment gives every module the same platform and attribute descriptions.
            assert doc["attributes"]["platform"]["platforms"] == "posix", fqcn
            for attribute in ("check_mode", "diff_mode"):
                assert doc["attributes"][attribute]["description"], (fqcn, attribute)
                assert doc["attributes"][attribute]["support"] in ("full", "partial", "none", "N/A"), (fqcn, attribute)


def test_module_attributes_match_the_code():
    """check_mode support in the docs is what the module declares to AnsibleModule."""
    docs = _docs("module", _listed("module"))
    for fqcn, entry in docs.items():
        with open(os.path.join(ROOT, "plugins", "modules", fqcn.rsplit(".", 1)[1] + ".py")) as handle:
            code = handle.read()
        if "AnsibleModule(" in code:
            supports = "supports_check_mode=True" in code
        else:  # the file only documents its action plugin (ActionBase supports check mode unless told not to)
            with open(os.path.join(ROOT, "plugins", "action", fqcn.rsplit(".", 1)[1] + ".py")) as handle:
                supports = "_supports_check_mode = False" not in handle.read()
        assert (entry["doc"]["attributes"]["check_mode"]["support"] != "none") == supports, fqcn


# The fragments that say how a module behaves in check and diff mode (plugins/doc_fragments/attributes.py).
BEHAVIOUR_FRAGMENTS = {"%s.attributes.%s" % (COLLECTION, name)
                       for name in ("info_module", "check_mode_only", "check_mode_and_diff", "no_check_mode")}


def test_every_module_takes_its_check_and_diff_support_from_one_fragment():
    """No module writes the check_mode/diff_mode block again: it names one behaviour fragment and its own
    attributes hold only what is its own (the block was once copied into five modules)."""
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))):
        with open(path) as handle:
            tree = ast.parse(handle.read())
        text = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                    and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["DOCUMENTATION"])
        doc = yaml.safe_load(text)
        name = os.path.basename(path)
        fragments = doc.get("extends_documentation_fragment") or []
        assert "%s.attributes" % COLLECTION in fragments, name
        assert len(BEHAVIOUR_FRAGMENTS.intersection(fragments)) == 1, (name, fragments)
        assert not {"check_mode", "diff_mode"}.intersection(doc.get("attributes") or {}), name


def test_the_action_plugin_shares_its_module_doc():
    """Ansible documents an action plugin through the module of the same name (ansible-doc has no action type)."""
    actions = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "action", "*.py")))
    assert actions
    for name in actions:
        assert os.path.exists(os.path.join(ROOT, "plugins", "modules", name + ".py")), name
        doc = _docs("module", ["%s.%s" % (COLLECTION, name)])["%s.%s" % (COLLECTION, name)]["doc"]
        assert doc["attributes"]["action"]["support"] == "full", name


@pytest.mark.parametrize("kind", ["filter", "test"])
def test_every_filter_and_test_shows_its_own_doc_with_the_options_its_function_takes(kind):
    functions = _jinja_plugins(kind)
    listed = _listed(kind)
    assert listed == sorted("%s.%s" % (COLLECTION, name) for name in functions)
    docs = _docs(kind, listed)
    assert sorted(docs) == listed
    for name, function in sorted(functions.items()):
        fqcn = "%s.%s" % (COLLECTION, name)
        doc = docs[fqcn]["doc"]
        where = "%s (%s)" % (fqcn, doc["filename"])
        assert doc["name"] == name, where
        # Its own file: a sidecar <name>.yml, or a plugin file named after it that holds only it.
        assert os.path.splitext(os.path.basename(doc["filename"]))[0] == name, where
        assert doc.get("short_description") and doc.get("description"), where
        assert docs[fqcn].get("examples") and "aiplatform.cluster.%s" % name in docs[fqcn]["examples"], where
        returned = docs[fqcn].get("return") or {}
        assert set(returned) == {"_value"} and set(returned["_value"]) <= RETURN_KEYS, where
        options = doc.get("options") or {}
        for option, spec in options.items():
            assert set(spec) <= OPTION_KEYS and spec.get("description") and spec.get("type"), (where, option)

        parameters = list(inspect.signature(function).parameters.values())
        assert parameters and all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters), where
        assert options.get("_input", {}).get("required") is True, where
        assert sorted(options) == sorted(["_input"] + [p.name for p in parameters[1:]]), where
        for parameter in parameters[1:]:
            spec = options[parameter.name]
            has_default = parameter.default is not inspect.Parameter.empty
            assert bool(spec.get("required")) == (not has_default), (where, parameter.name)
            if "default" in spec:
                python_default = list(parameter.default) if isinstance(parameter.default, tuple) else parameter.default
                assert spec["default"] == python_default, (where, parameter.name)


def test_filter_files_hold_no_documentation_of_their_own():
    """A file of several filters with a DOCUMENTATION block shows that block for every one of them."""
    for path in glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py")):
        with open(path) as handle:
            assert "DOCUMENTATION" not in handle.read(), path


def test_every_role_is_documented():
    roles = sorted(os.listdir(os.path.join(ROOT, "roles")))
    assert _listed("role") == ["%s.%s" % (COLLECTION, r) for r in roles]
    docs = _docs("role", ["%s.%s" % (COLLECTION, r) for r in roles])
    assert sorted(docs) == ["%s.%s" % (COLLECTION, r) for r in roles]
    for fqcn, doc in docs.items():
        main = doc["entry_points"]["main"]
        assert main.get("short_description") and main.get("description"), fqcn
        assert main.get("options"), fqcn
        for entry, spec in doc["entry_points"].items():
            for option, attrs in (spec.get("options") or {}).items():
                assert attrs.get("description") and attrs.get("type"), (fqcn, entry, option)
