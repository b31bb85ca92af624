# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""What a stage reads, and one digest of it (controller side of the stage stamps, docs/stages.md).

A stage is one role. Its inputs are the role's own files and the variables its tasks, templates,
defaults and vars refer to, followed through the raw values of those variables (a default of
``"{{ platform_x | default(1) }}"`` brings in ``platform_x``). Facts count by the keys the role reads
(``ansible_facts['os_family']``), other hosts' variables by the attributes it reads
(``hostvars[host].node_ip``, for every host of the inventory). Names the role sets itself (register,
set_fact, loop variables, task vars) are its outputs, not inputs; so are Ansible's per-run magic
variables (``omit``, ``ansible_check_mode``...).

Everything here is a pure function of its arguments (no Ansible import), so the tests can call it
on every role of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import warnings

import yaml
from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

# Keys whose string value is a bare Jinja expression, not a template.
_EXPRESSION_KEYS = frozenset(("when", "changed_when", "failed_when", "until", "that"))
_TEMPLATE = re.compile(r"{{|{%")
# Jinja's and Ansible's globals, and per-run or per-mode magic variables: never inputs.
_NOT_INPUTS = frozenset((
    "item", "loop", "range", "lipsum", "dict", "cycler", "joiner", "namespace", "lookup", "query", "q", "now",
    "undef", "super", "varargs", "kwargs", "caller", "true", "false", "none", "True", "False", "None",
    "omit", "ansible_check_mode", "ansible_diff_mode", "ansible_verbosity", "ansible_run_tags",
    "ansible_skip_tags", "ansible_forks", "ansible_play_name", "ansible_search_path", "ansible_config_file",
    "ansible_loop", "ansible_loop_var", "ansible_index_var", "ansible_parent_role_names",
    "ansible_parent_role_paths", "ansible_role_names", "ansible_play_role_names", "ansible_dependent_role_names",
    "ansible_collection_name", "ansible_play_batch", "ansible_play_hosts", "ansible_play_hosts_all",
    "play_hosts", "ansible_failed_task", "ansible_failed_result",
    "ansible_playbook_python", "ansible_facts_gathered",
))
# Modules whose arguments are a mapping of names the task defines.
_SET_FACT = frozenset(("set_fact", "ansible.builtin.set_fact", "ansible.legacy.set_fact"))
# Files of a role that make up its code (everything but caches).
_SKIP_DIRS = frozenset(("__pycache__", ".pytest_cache"))
UNDEFINED = "<undefined>"
# Facts that differ from one gathering to the next: never inputs, even when a role reads all facts.
VOLATILE_FACTS = frozenset((
    "date_time", "uptime_seconds", "memfree_mb", "memory_mb", "mounts", "loadavg", "hostnqn", "fibre_channel_wwn",
    "gather_subset", "module_setup", "env", "proc_cmdline", "cmdline",
))


class _Loader(yaml.SafeLoader):
    """YAML loader that reads Ansible's tags (!unsafe, !vault) as plain scalars."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _any_tag)
_ENV = Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])


class References(object):
    """Names a role reads and names it sets."""

    def __init__(self):
        self.names = set()
        self.facts = set()
        self.hostvars = set()
        self.whole = set()  # ansible_facts / hostvars used as a whole (not by key)
        self.defined = set()
        self.errors = []

    def as_dict(self):
        return {"names": sorted(self.names - self.defined), "facts": sorted(self.facts),
                "hostvars": sorted(self.hostvars), "whole": sorted(self.whole), "errors": list(self.errors)}


def _key_of(node):
    """The constant key of ``x.key`` or ``x['key']``, or None."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def scan_template(text, refs, where=""):
    """Add the variables ``text`` (a Jinja template) reads to ``refs``."""
    try:
        with warnings.catch_warnings():
            # Jinja's lexer warns about regex escapes (\s, \.) inside string literals; they parse fine.
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        refs.errors.append("%s: %s" % (where, exc))
        return
    used = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner = node.node
        if isinstance(inner, nodes.Name) and inner.name == "ansible_facts":
            key = _key_of(node)
            if key is not None:
                refs.facts.add(key)
                used.add(id(inner))
        elif (isinstance(inner, nodes.Getitem) and isinstance(inner.node, nodes.Name)
              and inner.node.name == "hostvars"):
            key = _key_of(node)
            if key is not None:
                refs.hostvars.add(key)
                used.add(id(inner.node))
                # the host expression itself (hostvars[host]) may read variables
                for name in inner.arg.find_all(nodes.Name):
                    if name.ctx == "load":
                        refs.names.add(name.name)
    for name in tree.find_all(nodes.Name):
        if name.ctx == "store":
            refs.defined.add(name.name)
            continue
        if name.name in ("ansible_facts", "hostvars"):
            if id(name) not in used:
                refs.whole.add(name.name)
            continue
        refs.names.add(name.name)
    # {% set %} / {% for %} targets are local to the template
    for node in tree.find_all((nodes.For, nodes.Assign, nodes.Macro)):
        targets = [node.target] if not isinstance(node, nodes.Macro) else []
        for target in targets:
            for name in target.find_all(nodes.Name) if not isinstance(target, nodes.Name) else [target]:
                refs.defined.add(name.name)


def _scan_value(value, refs, where, expression=False):
    if isinstance(value, str):
        if expression and not _TEMPLATE.search(value):
            scan_template("{{ %s }}" % value, refs, where)
        elif _TEMPLATE.search(value):
            scan_template(value, refs, where)
    elif isinstance(value, list):
        for item in value:
            _scan_value(item, refs, where, expression)
    elif isinstance(value, dict):
        for key, item in value.items():
            _scan_value(item, refs, where, expression or key in _EXPRESSION_KEYS)
            if isinstance(key, str) and _TEMPLATE.search(key):
                scan_template(key, refs, where)


def _scan_tasks(data, refs, where):
    """Walk task lists (blocks included): note what each task defines, scan what it reads."""
    if isinstance(data, list):
        for item in data:
            _scan_tasks(item, refs, where)
        return
    if not isinstance(data, dict):
        _scan_value(data, refs, where)
        return
    if "register" in data and isinstance(data["register"], str):
        refs.defined.add(data["register"])
    for module in _SET_FACT:
        if isinstance(data.get(module), dict):
            refs.defined.update(k for k in data[module] if k not in ("cacheable",))
    loop_control = data.get("loop_control")
    if isinstance(loop_control, dict):
        for key in ("loop_var", "index_var"):
            if isinstance(loop_control.get(key), str):
                refs.defined.add(loop_control[key])
    if isinstance(data.get("vars"), dict):
        refs.defined.update(data["vars"])
    for key, value in data.items():
        if key in ("block", "rescue", "always"):
            _scan_tasks(value, refs, where)
        else:
            _scan_value(value, refs, where, key in _EXPRESSION_KEYS)


def load_yaml(text):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def role_files(role_path):
    """Relative paths of every file of a role, sorted."""
    out = []
    for directory, subdirs, files in os.walk(role_path):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                out.append(os.path.relpath(os.path.join(directory, name), role_path))
    return sorted(out)


def scan_role(files):
    """References of a role from {relative path: text}: what it reads and what it sets."""
    refs = References()
    for path in sorted(files):
        text = files[path]
        top = path.split(os.sep, 1)[0]
        if top == "templates":
            scan_template(text, refs, path)
            continue
        if top not in ("tasks", "handlers", "defaults", "vars", "meta") or not path.endswith((".yml", ".yaml")):
            continue
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            refs.errors.append("%s: %s" % (path, exc))
            continue
        if top in ("tasks", "handlers"):
            _scan_tasks(data, refs, path)
        else:
            _scan_value(data, refs, path)
    return refs


def canonical(value):
    """JSON text of a variable's value, independent of dict order and of Ansible's value types."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value):
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return dict((str(k), _plain(value[k])) for k in value.keys())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    return str(value)


def closure(refs, variables):
    """{name: canonical value} of every name ``refs`` reads, followed through raw values.

    ``variables``: the host's variables (name -> raw value). A value that holds template syntax brings
    in the names its templates read.
    """
    pending = sorted(set(refs.names) - refs.defined - _NOT_INPUTS)
    seen = {}
    while pending:
        name = pending.pop()
        if name in seen or name in _NOT_INPUTS:
            continue
        value = variables.get(name, UNDEFINED) if hasattr(variables, "get") else UNDEFINED
        if name in ("ansible_facts", "hostvars"):
            continue
        text = canonical(value)
        seen[name] = text
        if _TEMPLATE.search(text):
            inner = References()
            for chunk in _strings(value):
                if _TEMPLATE.search(chunk):
                    scan_template(chunk, inner, name)
            refs.facts.update(inner.facts)
            refs.hostvars.update(inner.hostvars)
            refs.whole.update(inner.whole)
            pending.extend(sorted(n for n in inner.names - inner.defined - _NOT_INPUTS if n not in seen))
    return seen


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            for text in _strings(item):
                yield text
    elif isinstance(value, (list, tuple)):
        for item in value:
            for text in _strings(item):
                yield text


def digest(code, values, facts, hostvars, controller_files):
    """One sha256 over the stage's code digest and every input; returns (digest, {part: digest})."""
    parts = {
        "code": code,
        "vars": _sha(canonical(values)),
        "facts": _sha(canonical(facts)),
        "hostvars": _sha(canonical(hostvars)),
        "controller_files": _sha(canonical(controller_files)),
    }
    return _sha(canonical(parts)), parts


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
