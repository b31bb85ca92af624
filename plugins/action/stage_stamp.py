# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Action of aiplatform.cluster.stage_stamp: the inputs digest, computed on the control machine.

The digest covers the whole collection's code, the versions of ansible-core and of the collections in
use, every inventory variable of the host and of every host, the facts the stage's roles read and the
files it takes from the control machine (plugins/plugin_utils/stage_inputs.py). The module (run on the
node) compares it, and the files and probes of the record, with what the last run of the stage left;
see plugins/modules/stage_stamp.py and docs/stages.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import hashlib
import importlib.util
import json
import os

import jinja2
from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display
from ansible.utils.vars import combine_vars
from ansible.vars.manager import VariableManager

from ansible_collections.aiplatform.cluster.plugins.module_utils.stage_state import message
from ansible_collections.aiplatform.cluster.plugins.module_utils.timed_command import DEFAULT_TIMEOUT
from ansible_collections.aiplatform.cluster.plugins.plugin_utils import collection_info, stage_inputs

MODULE = "aiplatform.cluster.stage_stamp"
display = Display()
UNREADABLE = "unreadable"


def _read_cache(path):
    try:
        with open(path) as handle:
            return True, json.load(handle)
    except (IOError, OSError, ValueError):
        return False, None


def _cached(name, compute):
    """``compute()``, once per ansible-playbook run (its local temporary directory is shared by the workers).

    The workers of one task start together (one per host, up to ``forks``): without a lock each would compute the
    same value at once (the facts a stage reads: ~0.1 s of CPU; every host's variables: one read per host, so N x N
    over the workers). The first takes the lock and computes, the others wait for it and read its result. A lock
    that cannot be taken only costs the time: the value is computed here.

    Only digests and fact keys are cached, never a variable's value (they may hold secrets)."""
    directory = C.DEFAULT_LOCAL_TMP
    path = os.path.join(directory, "aiplatform-stage-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:32])
    found, value = _read_cache(path)
    if found:
        return value
    lock = None
    try:
        lock = open(path + ".lock", "a")
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    except (IOError, OSError):
        pass
    try:
        found, value = _read_cache(path)  # computed by the worker that held the lock before
        if found:
            return value
        value = compute()
        try:
            temp = "%s.%d" % (path, os.getpid())
            with open(temp, "w") as handle:
                json.dump(value, handle)
            os.rename(temp, path)
        except (IOError, OSError):
            pass
        return value
    finally:
        if lock is not None:
            lock.close()  # releases the lock


def collection_root(role_path):
    """The collection that holds the role: two directories above it."""
    return os.path.dirname(os.path.dirname(os.path.realpath(role_path)))


def _installed_version(name):
    """Version of an installed collection (``ns.name``), as Ansible's collection loader finds it."""
    try:
        spec = importlib.util.find_spec("ansible_collections." + name)
    except (ImportError, ValueError, AttributeError):
        spec = None
    locations = list(getattr(spec, "submodule_search_locations", None) or [])
    if not locations:
        return "not installed"
    return collection_info.collection_version(locations[0])


def versions(root):
    """ansible-core, Jinja2 and every collection this one depends on, with the version in use."""
    out = {"ansible-core": ansible_version, "jinja2": jinja2.__version__}
    for name in stage_inputs.dependencies(root):
        out[name] = _installed_version(name)
    return out


class _NoInventory(Exception):
    """The inventory cannot be read from this task: the stage runs."""


def _flat(items):
    """A list of strings from a list whose items may be lists (a templated list inside the task's list)."""
    out = []
    for item in items or []:
        if isinstance(item, (list, tuple)):
            out.extend(_flat(item))
        elif item is not None and str(item):
            out.append(str(item))
    return out


def _controller_file(path):
    """sha256 of a file of the control machine; "directory" or "absent" for what is not a file."""
    if os.path.isdir(path):
        return "directory"
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        return "absent"


def _controller_files_part(paths):
    """The controller_files part of the inputs: sha256 over each listed file's sha256."""
    files = dict((p, _controller_file(p)) for p in _flat(paths))
    return stage_inputs.sha(stage_inputs.canonical(files))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("stage", "state", "inputs", "input_parts", "files", "probes", "controller_files",
                             "stamp_dir", "timeout"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        stage = args.get("stage")
        state = args.get("state", "check")
        if not stage:
            raise AnsibleActionFail("stage_stamp: 'stage' is required (the role's name)")
        module_args = dict(stage=stage, state=state, files=_flat(args.get("files")), probes=_flat(args.get("probes")))
        if args.get("stamp_dir"):
            module_args["stamp_dir"] = args["stamp_dir"]
        module_args["timeout"] = self.timeout(args, task_vars)
        if state == "check":
            role_path = task_vars.get("role_path")
            if not role_path:
                raise AnsibleActionFail("stage_stamp: state=check runs inside a role (no role_path here)")
            inputs, parts = self.inputs(str(role_path), task_vars, args.get("controller_files") or [])
            # an inventory that could not be read is never taken as unchanged
            unreadable = UNREADABLE in parts.values()
            force = unreadable or not boolean(task_vars.get("aiplatform_skip_unchanged", True), strict=False)
            module_args.update(inputs=inputs, input_parts=parts, force=force)
        else:
            if not args.get("inputs"):
                raise AnsibleActionFail("stage_stamp: state=record needs 'inputs' (the digest the check returned)")
            inputs, parts = args["inputs"], dict(args.get("input_parts") or {})
            if args.get("controller_files") and "controller_files" in parts:
                # The files the check read, as the stage left them (a certificate it issued again, a password it
                # generated): the record must hold what the next run's check will find, or that run would not
                # skip. Only the check lists them (controller_files: "{{ <the check>.controller_files }}" here).
                parts["controller_files"] = _controller_files_part(args["controller_files"])
                inputs, parts = stage_inputs.digest(parts)
            module_args.update(inputs=inputs, input_parts=parts)
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        if "reasons" in result:
            host = task_vars.get("inventory_hostname", "")
            result["msg"] = (message(stage, host, result["reasons"]) if state == "check"
                             else "%s: recorded what stage %s left" % (host, stage))
        if state == "check" and result.get("current") is False and not result.get("failed"):
            # The stage runs: its role's arguments are checked here when the play loaded the role without Ansible's
            # own check (rolespec_validate: false, site.yml), so that an unchanged node skips that check too.
            errors = self.argument_errors(task_vars)
            if errors:
                result.update(failed=True, argument_errors=errors, msg=errors[0] if len(errors) == 1 else
                              "%d problems:\n%s" % (len(errors), "\n".join(errors)))
                return result
        if state == "check":
            # The paths (never their content): the record reads them again (see above).
            result["controller_files"] = _flat(args.get("controller_files"))
        if state == "check" and "current" in result and not result.get("failed"):
            # Read by the stage_summary callback (its "unchanged" column), rather than the text of msg.
            result["aiplatform_stage"] = {"stage": stage, "unchanged": bool(result["current"])}
        return result

    def argument_errors(self, task_vars):
        """What is wrong with the role's arguments, checked against its meta/argument_specs.yml as Ansible checks them
        at the start of a role (the variables the spec names, templated, and the role's parameters); [] when they
        hold, or when Ansible has checked them already.

        Ansible checks a role's arguments in a task of their own, ahead of the role's first task, on every host of
        every run: one worker per host even where the stage is unchanged. site.yml loads the stamped roles with
        ``rolespec_validate: false`` and this check runs instead, only where the stage runs. Skipping it where the
        stage is current loses nothing: the record's inputs take in the collection's code (the specs) and every
        variable of the host, so the arguments are those the last run checked. A role loaded the usual way
        (``roles:``, include_role) was checked by Ansible already: it is not checked twice."""
        role = getattr(self._task, "_role", None)
        if role is None or getattr(role, "_should_validate", False):
            return []
        entry = (getattr(role, "_from_files", None) or {}).get("tasks") or "main"
        # Ansible's own reading of the specs (meta/argument_specs.yml or .yaml, else meta/main.yml), as for its task
        spec = ((role._get_role_argspecs() or {}).get(entry) or {}).get("options") or {}
        if not spec:
            return []
        found = self._templar.template(dict((name, task_vars[name]) for name in spec if name in task_vars))
        provided = dict(getattr(role, "_role_params", None) or {})
        checked = ArgumentSpecValidator(spec).validate(combine_vars(found, provided), validate_role_argument_spec=True)
        # a message may quote a value: those of no_log options are masked
        errors = [remove_values(error, getattr(checked, "_no_log_values", set())) for error in checked.error_messages]
        name = role.get_name()
        return ["%s: role %s (entry point %s): %s. Fix the value (its description: ansible-doc -t role %s)"
                % (task_vars.get("inventory_hostname", ""), name, entry, error, name) for error in errors]

    def timeout(self, args, task_vars):
        """Seconds per probe: the task's ``timeout`` argument, else ``aiplatform_command_timeout``, else 30.

        Not an input of the stage: a longer or shorter wait does not change what the stage does."""
        value = args.get("timeout")
        if value is None:
            value = self._templar.template(task_vars.get("aiplatform_command_timeout", DEFAULT_TIMEOUT))
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = -1
        if seconds <= 0:
            raise AnsibleActionFail("stage_stamp: aiplatform_command_timeout is %r; it must be a number of seconds "
                                    "above 0 (default %d)" % (value, DEFAULT_TIMEOUT))
        return seconds

    def inputs(self, role_path, task_vars, controller_files):
        """(digest, {part: sha256}) of the stage whose role is at ``role_path``. When the inventory cannot be read,
        its parts read UNREADABLE: run() then runs the stage, and its record never matches a later run."""
        root = collection_root(role_path)
        stage = os.path.basename(os.path.realpath(role_path))
        code = _cached("code:" + root, lambda: stage_inputs.code_digest(root))
        parts = {
            "code": code,
            "versions": _cached("versions:" + root, lambda: stage_inputs.sha(stage_inputs.canonical(versions(root)))),
        }
        reads = _cached("facts:%s:%s:%s" % (root, stage, code),
                        lambda: stage_inputs.stage_facts(os.path.join(root, "roles"), stage))
        parts["facts"] = stage_inputs.sha(stage_inputs.canonical(
            stage_inputs.facts_read(reads, task_vars.get("ansible_facts"))))
        parts["controller_files"] = _controller_files_part(controller_files)
        try:
            parts["vars"], parts["hostvars"] = self.inventory_digests(task_vars.get("inventory_hostname"))
        except _NoInventory as exc:
            display.warning("stage_stamp: %s; the stage runs" % exc)
            parts["vars"] = parts["hostvars"] = UNREADABLE
        return stage_inputs.digest(parts)

    def play_variables(self):
        """What the play sets rather than the inventory: the play's vars, the role's parameters (its parents'
        included) and the include parameters of the task's chain (include_role/include_tasks ``vars:``), raw
        (templates unrendered), less the per-run switches. A play that passes other values to a stage (another
        password, a service switched on) is another input: the stage runs."""
        found = {}
        play = self._task.get_play() if hasattr(self._task, "get_play") else None
        found.update(play.get_vars() if play is not None else {})
        role = getattr(self._task, "_role", None)
        if role is not None:
            found.update(role.get_role_params())
        found.update(self._task.get_include_params() if hasattr(self._task, "get_include_params") else {})
        return stage_inputs.inventory_variables(found)

    def inventory_digests(self, host_name):
        """sha256 of the inventory variables of this host, and of every host's (with its groups).

        Read through a VariableManager of their own over the run's inventory: the host's variables with no play,
        task, set_fact or register behind them (stage_inputs.inventory_variables)."""
        manager = self._task.get_variable_manager() if hasattr(self._task, "get_variable_manager") else None
        inventory = getattr(manager, "_inventory", None)
        if manager is None or inventory is None:
            raise _NoInventory("no inventory reaches this task")
        clean = VariableManager(loader=getattr(manager, "_loader", None) or self._loader, inventory=inventory)
        clean.safe_basedir = getattr(manager, "safe_basedir", clean.safe_basedir)

        def of(host):
            try:
                facts = clean._fact_cache.get(host.name) or {}
            except KeyError:
                facts = {}
            return stage_inputs.inventory_variables(clean.get_vars(host=host, include_hostvars=False), facts)

        host = inventory.get_host(host_name) if host_name else None
        if host is None:
            raise _NoInventory("host %r is not in the inventory" % host_name)
        own = stage_inputs.sha(stage_inputs.canonical({"inventory": of(host), "play": self.play_variables()}))
        hosts = sorted(inventory.get_hosts(), key=lambda h: h.name)
        # The same for every host of the run: read once per run, not once per host (N x N reads).
        every = _cached("inventory:" + ",".join(h.name for h in hosts),
                        lambda: stage_inputs.sha(stage_inputs.canonical(dict((h.name, of(h)) for h in hosts))))
        return own, every
