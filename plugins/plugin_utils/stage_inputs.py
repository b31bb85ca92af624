# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""What a stage reads, and one digest of it (controller side of the stage stamps, docs/stages.md).

Conservative by design: a stage that is skipped must not have missed an input, so the digest takes
whole sets rather than the parts a stage is thought to read:

- code: every file of the collection's ``roles/``, ``plugins/`` and ``playbooks/`` trees and
  ``meta/runtime.yml`` (the whole collection's code, not the stage's role: whatever a stage includes
  or imports is in it), by path relative to the collection's root;
- versions: ansible-core, Jinja2 and every collection this one depends on (galaxy.yml/MANIFEST.json);
- every inventory variable of the host, and of every other host (group and host vars, the inventory
  plugin's, extra vars), raw, minus Ansible's magic variables and the few that change every run by
  nature (``NOT_INVENTORY``, ``PER_RUN``);
- the facts the stage reads, by key: found in the files of its role and of every role it includes
  (``stage_roles``), by Jinja's syntax tree (``scan_facts``); a read that has no key (the whole of
  ``ansible_facts``) takes every fact but the volatile ones, so an unkeyed read fails towards running;
- the files it takes from the control machine (the record's ``controller_files``).

Everything here is a pure function of its arguments (no Ansible import), so the tests call it on a
copy of the collection.
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

# The collection's code: these trees and files, relative to its root. Not docs/, tests/, changelogs/, galaxy.yml
# or MANIFEST.json: a checkout and the installed collection differ there, and nothing in them runs.
CODE_TREES = ("meta/runtime.yml", "playbooks", "plugins", "roles")
_SKIP_DIRS = frozenset(("__pycache__", ".pytest_cache"))
_SKIP_SUFFIXES = (".pyc", ".pyo")
UNDEFINED = "<undefined>"

# Variables Ansible adds to every host that are not inventory data: where things are on this control machine
# (the same content in another directory must give the same digest), and per-run or per-play values.
NOT_INVENTORY = frozenset((
    "ansible_config_file", "ansible_playbook_python", "ansible_version", "ansible_facts", "ansible_local",
    "inventory_dir", "inventory_file", "playbook_dir", "role_path", "role_name", "role_names", "role_uuid",
    "groups", "omit", "hostvars", "environment", "ansible_check_mode", "ansible_diff_mode", "ansible_verbosity",
    "ansible_run_tags", "ansible_skip_tags", "ansible_forks", "ansible_play_name", "ansible_search_path",
    "ansible_play_batch", "ansible_play_hosts", "ansible_play_hosts_all", "play_hosts", "ansible_play_role_names",
    "ansible_role_names", "ansible_dependent_role_names", "ansible_parent_role_names", "ansible_parent_role_paths",
    "ansible_collection_name", "ansible_loop", "ansible_loop_var", "ansible_index_var", "ansible_facts_gathered",
))
# Inventory or extra variables that change from one run to the next by nature, never what a stage does:
# this collection's per-run switches, and the job metadata AWX and Tower pass as extra vars.
PER_RUN = frozenset(("aiplatform_skip_unchanged", "aiplatform_command_timeout"))
PER_RUN_PREFIXES = ("awx_", "tower_")
# Facts that differ from one gathering to the next: left out when a stage reads facts without a key.
VOLATILE_FACTS = frozenset((
    "date_time", "uptime_seconds", "memfree_mb", "memory_mb", "mounts", "loadavg", "hostnqn", "fibre_channel_wwn",
    "gather_subset", "module_setup", "env", "proc_cmdline", "cmdline", "swapfree_mb",
))
# Filters of this collection that take the whole of ansible_facts, and the keys they read (their docs say so).
FACT_FILTERS = {
    "os_name": ("distribution", "distribution_version"),
    "offline_fact_target": ("architecture", "distribution", "distribution_release", "distribution_version"),
}
_TEMPLATE = re.compile(r"{{|{%")
_FACTS_WORD = re.compile(r"\bansible_facts\b")
# Keys whose string value is a bare Jinja expression, not a template.
_EXPRESSION_KEYS = frozenset(("when", "changed_when", "failed_when", "until", "that"))
_ROLE_ACTIONS = frozenset(("include_role", "import_role"))
_THIS_COLLECTION = "aiplatform.cluster."
ALL_ROLES = "*"


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


def load_yaml(text):
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


# --- the collection's code -------------------------------------------------------------------------

def tree_files(path):
    """Relative paths ('/'-separated) of every file under ``path``, sorted; caches left out."""
    out = []
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS)
        for name in files:
            if not name.endswith(_SKIP_SUFFIXES):
                out.append(os.path.relpath(os.path.join(directory, name), path).replace(os.sep, "/"))
    return sorted(out)


def code_files(root):
    """Every file of the collection's code (CODE_TREES), relative to ``root``, sorted."""
    out = []
    for entry in CODE_TREES:
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            out.append(entry)
        elif os.path.isdir(path):
            out.extend(entry + "/" + relative for relative in tree_files(path))
    return sorted(out)


def code_digest(root):
    """sha256 over the relative path and content of every code file: where the collection is does not count."""
    digest = hashlib.sha256()
    for relative in code_files(root):
        digest.update(relative.encode("utf-8") + b"\0")
        with open(os.path.join(root, relative), "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


# --- the roles a stage can run ---------------------------------------------------------------------

def _role_name(value):
    """``pki`` of ``aiplatform.cluster.pki`` or ``pki``; ALL_ROLES for a templated name; None for another
    collection's role (its code is counted by that collection's version)."""
    if not isinstance(value, str) or not value.strip():
        return ALL_ROLES
    name = value.strip()
    if _TEMPLATE.search(name):
        return ALL_ROLES
    if name.startswith(_THIS_COLLECTION):
        return name[len(_THIS_COLLECTION):]
    return None if "." in name else name


def _included_roles(data):
    """Role names a task list includes or imports (blocks and handlers opened)."""
    found = set()
    if isinstance(data, list):
        for item in data:
            found |= _included_roles(item)
    elif isinstance(data, dict):
        for key, value in data.items():
            if key.split(".")[-1] in _ROLE_ACTIONS:
                args = value if isinstance(value, dict) else {"name": value}
                name = _role_name(args.get("name", args.get("role")))
                if name:
                    found.add(name)
            elif key in ("block", "rescue", "always"):
                found |= _included_roles(value)
    return found


def _dependencies(meta):
    found = set()
    listed = meta.get("dependencies") if isinstance(meta, dict) else None
    for item in listed if isinstance(listed, list) else []:
        value = item.get("role", item.get("name")) if isinstance(item, dict) else item
        name = _role_name(value)
        if name:
            found.add(name)
    return found


def role_links(roles_dir, role):
    """Roles ``role`` runs directly: include_role/import_role in its tasks and handlers, meta dependencies."""
    found = set()
    path = os.path.join(roles_dir, role)
    for relative in tree_files(path) if os.path.isdir(path) else []:
        top = relative.split("/", 1)[0]
        if not relative.endswith((".yml", ".yaml")) or top not in ("tasks", "handlers", "meta"):
            continue
        with open(os.path.join(path, relative)) as handle:
            try:
                data = load_yaml(handle.read())
            except yaml.YAMLError:
                return {ALL_ROLES}  # unreadable: anything may be included
        found |= _dependencies(data) if relative.startswith("meta/main.") else _included_roles(data)
    return found


def stage_roles(roles_dir, role):
    """Every role of the collection the stage ``role`` can run, itself first: includes, imports and dependencies
    followed transitively. A templated role name, or a name that is no role of the collection, means all roles."""
    every = sorted(d for d in os.listdir(roles_dir) if os.path.isdir(os.path.join(roles_dir, d)))
    seen, pending = [], [role]
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        if name == ALL_ROLES or name not in every:
            return [role] + [r for r in every if r != role]
        seen.append(name)
        pending.extend(sorted(role_links(roles_dir, name)))
    return seen


# --- the facts a stage reads -----------------------------------------------------------------------

class FactReads(object):
    """Fact keys read (``ansible_facts['k']``, ``ansible_facts.k``, a filter of FACT_FILTERS), bare names that
    may be injected facts (``ansible_os_family``), and reads without a key (where, as text)."""

    def __init__(self):
        self.keys = set()
        self.names = set()
        self.unkeyed = []

    def as_dict(self):
        return {"keys": sorted(self.keys), "names": sorted(self.names), "unkeyed": list(self.unkeyed)}


def _key_of(node):
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def scan_template(text, reads, where=""):
    """Add the facts ``text`` (a Jinja template) reads to ``reads``."""
    try:
        with warnings.catch_warnings():
            # Jinja's lexer warns about regex escapes (\s, \.) inside string literals; they parse fine.
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        reads.unkeyed.append("%s: not parsed (%s)" % (where, exc))
        return
    keyed = set()
    names = 0  # places the tree reads ansible_facts (by name, or as another host's attribute)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner = node.node
        if isinstance(inner, nodes.Name) and inner.name == "ansible_facts":
            key = _key_of(node)
            if key is not None:
                reads.keys.add(key)
                keyed.add(id(inner))
        elif isinstance(inner, nodes.Getitem) and isinstance(inner.node, nodes.Name) and inner.node.name == "hostvars":
            key = _key_of(node)
            if key is not None and key.startswith("ansible_"):
                reads.unkeyed.append("%s: another host's %s" % (where, key))
                names += key == "ansible_facts"
    for node in tree.find_all(nodes.Filter):
        if isinstance(node.node, nodes.Name) and node.node.name == "ansible_facts":
            short = node.name.split(".")[-1]
            if short in FACT_FILTERS and node.name in (short, _THIS_COLLECTION + short):
                reads.keys.update(FACT_FILTERS[short])
                keyed.add(id(node.node))
    for name in tree.find_all(nodes.Name):
        if name.name == "ansible_facts":
            names += 1
            if id(name) not in keyed:
                reads.unkeyed.append("%s: ansible_facts without a key" % where)
        elif name.ctx == "load" and name.name.startswith("ansible_"):
            reads.names.add(name.name[len("ansible_"):])
    # the word in a string the tree does not see as a name (lookup('vars', 'ansible_facts'), vars['ansible_facts'])
    if len(_FACTS_WORD.findall(text)) > names:
        reads.unkeyed.append("%s: ansible_facts named in a string" % where)


def _scan_value(value, reads, where, expression=False):
    if isinstance(value, str):
        if expression and not _TEMPLATE.search(value):
            scan_template("{{ %s }}" % value, reads, where)
        elif _TEMPLATE.search(value) or _FACTS_WORD.search(value):
            scan_template(value, reads, where)
    elif isinstance(value, list):
        for item in value:
            _scan_value(item, reads, where, expression)
    elif isinstance(value, dict):
        for key, item in value.items():
            _scan_value(item, reads, where, expression or key in _EXPRESSION_KEYS)
            if isinstance(key, str) and _TEMPLATE.search(key):
                scan_template(key, reads, where)


def scan_facts(files):
    """FactReads of {relative path: text} of one or more roles: templates as Jinja, YAML values as templates
    (``when`` and its kin as expressions). Files under ``files/`` are copied as they are and not read."""
    reads = FactReads()
    for path in sorted(files):
        text = files[path]
        parts = path.split("/")
        top = parts[1] if len(parts) > 2 else parts[0]  # "<role>/templates/x" or "templates/x"
        if top == "templates":
            scan_template(text, reads, path)
        elif top in ("tasks", "handlers", "defaults", "vars", "meta") and path.endswith((".yml", ".yaml")):
            try:
                data = load_yaml(text)
            except yaml.YAMLError as exc:
                reads.unkeyed.append("%s: not parsed (%s)" % (path, exc))
                continue
            _scan_value(data, reads, path)
    return reads


def stage_facts(roles_dir, role):
    """FactReads of every role the stage can run (stage_roles), as a dict."""
    files = {}
    for name in stage_roles(roles_dir, role):
        for relative in tree_files(os.path.join(roles_dir, name)):
            if relative.endswith((".yml", ".yaml", ".j2")):
                with open(os.path.join(roles_dir, name, relative)) as handle:
                    files[name + "/" + relative] = handle.read()
    return scan_facts(files).as_dict()


def facts_read(reads, facts):
    """{key: value} of the facts a stage reads (``reads``: stage_facts()); every fact but the volatile ones when
    it reads facts without a key."""
    facts = facts or {}
    if reads.get("unkeyed"):
        return dict((k, v) for k, v in facts.items() if k not in VOLATILE_FACTS)
    keys = set(reads.get("keys", ())) | set(n for n in reads.get("names", ()) if n in facts)
    return dict((k, facts.get(k, UNDEFINED)) for k in sorted(keys))


# --- the host's inventory variables ----------------------------------------------------------------

def per_run(name):
    return name in PER_RUN or name.startswith(PER_RUN_PREFIXES)


def inventory_variables(variables, facts=()):
    """The inventory variables of a host, from what Ansible gives a host with no play, task or run behind it
    (``VariableManager.get_vars(host=...)``: group and host vars, vars plugins, extra vars, magic variables):
    every one but the magic variables, facts (``facts``: names of the host's cached facts) and PER_RUN."""
    facts = set(facts)
    return dict((k, v) for k, v in variables.items()
                if k not in NOT_INVENTORY and k not in facts and not per_run(k))


# --- versions --------------------------------------------------------------------------------------

def dependencies(root):
    """Names of the collections this one depends on: MANIFEST.json of an installed collection, else galaxy.yml."""
    try:
        with open(os.path.join(root, "MANIFEST.json")) as handle:
            found = (json.load(handle).get("collection_info") or {}).get("dependencies")
        if isinstance(found, dict):
            return sorted(found)
    except (IOError, OSError, ValueError, AttributeError):
        pass
    try:
        with open(os.path.join(root, "galaxy.yml")) as handle:
            found = (load_yaml(handle.read()) or {}).get("dependencies")
        return sorted(found) if isinstance(found, dict) else []
    except (IOError, OSError, yaml.YAMLError, AttributeError):
        return []


# --- one digest ------------------------------------------------------------------------------------

def canonical(value):
    """JSON text of a value, independent of dict and set order and of Ansible's value types."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value):
    ciphertext = getattr(value, "_ciphertext", None)
    if ciphertext is not None and not isinstance(value, (dict, list, tuple)):
        # a vaulted value: its ciphertext, never the secret (nor a decryption that may need a password)
        data = ciphertext if isinstance(ciphertext, bytes) else str(ciphertext).encode("utf-8")
        return "vault:" + hashlib.sha256(data).hexdigest()
    if isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
        return dict((str(k), _plain(value[k])) for k in value.keys())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bool) or value is None:
        return bool(value) if value is not None else None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


PARTS = ("code", "versions", "vars", "hostvars", "facts", "controller_files")


def digest(parts):
    """One sha256 over the parts ({name: sha256}, names of PARTS); returns (digest, parts)."""
    missing = [p for p in PARTS if p not in parts]
    if missing:
        raise ValueError("stage inputs without %s" % ", ".join(missing))
    return sha(canonical(parts)), dict(parts)
