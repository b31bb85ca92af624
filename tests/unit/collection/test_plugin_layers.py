"""Where plugin code runs decides where it lives (docs/design.md, "Which side each folder runs on").

`plugins/module_utils/` is what Ansible ships to the nodes with a module; everything else under
`plugins/` runs on the control machine, its shared helpers in `plugins/plugin_utils/`. Imports go one
way: plugins -> plugin_utils/module_utils, plugin_utils -> module_utils, never module_utils -> anything
but module_utils. The imports are read from the source (AST, every import statement of a file, those
inside functions too), so a new file or a new import is checked without being listed here.
"""
import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PREFIX = "ansible_collections.aiplatform.cluster."

# Controller-only files still in module_utils, each moved by its own change (issue 18): the manifest
# builders and the kubeadm field tables become data, and nfs.py goes with platform_manifests.py, which
# imports it. Nothing may be added here: a name leaves this list when its file leaves module_utils
# (the test below fails until it does).
PENDING_MOVE = set()


def _module_of(root, path):
    """'plugins.module_utils.nvidia' for <root>/plugins/module_utils/nvidia.py."""
    return ".".join(os.path.splitext(os.path.relpath(path, root))[0].split(os.sep))


def _exists(root, dotted):
    base = os.path.join(root, *dotted.split("."))
    return os.path.isfile(base + ".py") or os.path.isdir(base)


def imports_of(root, path):
    """The collection modules a file imports ('plugins.module_utils.x'), relative imports resolved.
    ``from <package> import name`` counts as an import of the submodule when ``name`` is one."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    package = _module_of(root, path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name[len(PREFIX):] for a in node.names if a.name.startswith(PREFIX))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            elif node.module and node.module.startswith(PREFIX):
                base = node.module[len(PREFIX):]
            else:
                continue
            for alias in node.names:
                sub = base + "." + alias.name
                found.add(sub if _exists(root, sub) else base)
    return found


def import_graph(root):
    graph = {}
    for folder, _dirs, files in os.walk(os.path.join(root, "plugins")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                graph[_module_of(root, path)] = imports_of(root, path)
    return graph


def _reach(graph, start):
    seen, todo = set(), [start]
    while todo:
        for dep in graph.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _in(module, folder):
    return module.startswith("plugins.%s." % folder)


def layer_problems(root):
    """Every import against the one-way rule, as text naming the file and the import."""
    graph = import_graph(root)
    problems = []
    for module in sorted(graph):
        if _in(module, "module_utils"):
            problems += ["%s imports %s: module_utils is shipped to the nodes and may import only module_utils"
                         % (module, dep) for dep in sorted(graph[module]) if not _in(dep, "module_utils")]
        elif _in(module, "plugin_utils"):
            problems += ["%s imports %s: plugin_utils may import only plugin_utils and module_utils"
                         % (module, dep) for dep in sorted(graph[module])
                         if not (_in(dep, "plugin_utils") or _in(dep, "module_utils"))]
        if _in(module, "modules"):
            problems += ["module %s needs %s, which Ansible does not ship to the node (only module_utils)"
                         % (module, dep) for dep in sorted(_reach(graph, module)) if not _in(dep, "module_utils")]
    return problems


def node_side(root):
    """The module_utils modules some module needs, directly or through other module_utils."""
    graph = import_graph(root)
    needed = set()
    for module in graph:
        if _in(module, "modules"):
            needed |= {dep for dep in _reach(graph, module) if _in(dep, "module_utils")}
    return needed


def test_imports_go_one_way():
    assert layer_problems(ROOT) == []


def test_module_utils_holds_only_what_modules_need():
    present = {m.rsplit(".", 1)[1] for m in import_graph(ROOT) if _in(m, "module_utils")}
    needed = {m.rsplit(".", 1)[1] for m in node_side(ROOT)}
    assert sorted(present - needed - PENDING_MOVE) == [], (
        "controller-only code in plugins/module_utils/ (no module imports it): move it to plugins/plugin_utils/")
    assert sorted(PENDING_MOVE - present) == [], "moved: take it off PENDING_MOVE"
    assert sorted(PENDING_MOVE & needed) == [], "a module needs it now: take it off PENDING_MOVE"


def test_the_graph_sees_the_imports_it_must():
    """The parser is not blind: known edges of each kind are in the graph (absolute, submodule through
    ``from package import name``, and an import inside a function)."""
    graph = import_graph(ROOT)
    assert "plugins.module_utils.stage_state" in graph["plugins.modules.stage_stamp"]
    assert "plugins.module_utils.timed_command" in graph["plugins.modules.stage_stamp"]
    assert "plugins.module_utils.cert_expiry" in graph["plugins.plugin_utils.verify"]
    assert "plugins.plugin_utils.config.pipeline" in graph["plugins.inventory.platform_config"]
    assert {"plugins.module_utils.nvidia", "plugins.module_utils.pci"} <= node_side(ROOT)


def _tree(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


MU = "from ansible_collections.aiplatform.cluster.plugins.module_utils import helper\n"
PU = "from ansible_collections.aiplatform.cluster.plugins.plugin_utils import judge\n"


@pytest.mark.parametrize("files, wanted", [
    # module_utils -> plugin_utils, at the top or inside a function
    ({"plugins/module_utils/helper.py": PU, "plugins/plugin_utils/judge.py": ""},
     "plugins.module_utils.helper imports plugins.plugin_utils.judge"),
    ({"plugins/module_utils/helper.py": "def f():\n    " + PU, "plugins/plugin_utils/judge.py": ""},
     "plugins.module_utils.helper imports plugins.plugin_utils.judge"),
    # module_utils -> a filter, written as a relative import
    ({"plugins/module_utils/helper.py": "from ..filter import cni\n", "plugins/filter/cni.py": ""},
     "plugins.module_utils.helper imports plugins.filter.cni"),
    # plugin_utils -> a filter
    ({"plugins/plugin_utils/judge.py": "import ansible_collections.aiplatform.cluster.plugins.filter.cni\n",
      "plugins/filter/cni.py": ""},
     "plugins.plugin_utils.judge imports plugins.filter.cni"),
    # a module reaching plugin_utils through module_utils: the module_utils file is wrong, and so is the module
    ({"plugins/modules/probe.py": MU, "plugins/module_utils/helper.py": PU, "plugins/plugin_utils/judge.py": ""},
     "module plugins.modules.probe needs plugins.plugin_utils.judge"),
    # a module importing plugin_utils directly
    ({"plugins/modules/probe.py": PU, "plugins/plugin_utils/judge.py": ""},
     "module plugins.modules.probe needs plugins.plugin_utils.judge"),
])
def test_a_wrong_import_is_found(tmp_path, files, wanted):
    problems = layer_problems(_tree(tmp_path, files))
    assert any(p.startswith(wanted) for p in problems), problems


def test_the_allowed_directions_pass(tmp_path):
    root = _tree(tmp_path, {
        "plugins/modules/probe.py": MU,
        "plugins/module_utils/helper.py": "from . import other\n",
        "plugins/module_utils/other.py": "",
        "plugins/plugin_utils/judge.py": MU,
        "plugins/plugin_utils/config/schema.py": PU + MU,
        "plugins/filter/f.py": PU + MU + "from ..plugin_utils.config import schema\n",
    })
    assert layer_problems(root) == []
    assert node_side(root) == {"plugins.module_utils.helper", "plugins.module_utils.other"}
