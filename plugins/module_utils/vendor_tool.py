# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Find a vendor tool on the node, run one of its commands with a time limit, say what came of it. Run on the node.

The accelerator info modules read ``nvidia-smi`` and ``npu-smi`` the same way; each vendor describes its
tool in a :class:`VendorTool` (``nvidia.NVIDIA_SMI``, ``ascend.NPU_SMI``) and each command in a
:class:`Command` (``nvidia.NVIDIA_SMI_XML``, ``ascend.NPU_SMI_INFO``, ``ascend.NPU_SMI_LIST``):

- :func:`find`: the path the module was given, else the tool in ``PATH`` or the table's ``opt_dirs``; a
  tool that is not there, or not executable, is a problem in words;
- :func:`run`: the command under :func:`timed_command.run`; an :class:`Answer` holds the parsed output, or
  the problem in words and its ``kind``: ``timed_out`` (with the table's ``hint``), ``unreadable`` (the
  parser refused the output) or the kind :func:`tool_failures.classify_failure` gives a failed run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from collections import namedtuple

from ansible_collections.aiplatform.cluster.plugins.module_utils import timed_command
from ansible_collections.aiplatform.cluster.plugins.module_utils.tool_failures import classify_failure

# A vendor tool: ``failures`` (its tool_failures.ToolFailures table; ``failures.tool`` is its name),
# ``opt_dirs`` (searched after PATH) and ``hint`` (what a run that does not answer usually means).
VendorTool = namedtuple("VendorTool", ["failures", "opt_dirs", "hint"])

# One command of a tool: ``args`` (after the program), ``label`` (the command in words: "<label> did not
# answer..."), ``parse`` (stdout -> value), ``errors`` (what ``parse`` raises on output it cannot read) and
# ``unreadable`` (the problem for such output: a str.format template of ``label`` and ``error``).
Command = namedtuple("Command", ["args", "label", "parse", "errors", "unreadable"])

# What a run came to: ``value`` (parsed output, or None), ``problem`` (None, or the sentence) and ``kind``
# (None when parsed; TIMED_OUT, UNREADABLE, or the failure's kind from the tool's table).
Answer = namedtuple("Answer", ["value", "problem", "kind"])

TIMED_OUT = "timed_out"
UNREADABLE = "unreadable"


def find(tool, path, get_bin_path):
    """``(program, None)``, or ``(None, problem)`` when the tool is missing or not executable.

    ``path``: the module's option (None: search); ``get_bin_path``: ``AnsibleModule.get_bin_path``.
    """
    name = tool.failures.tool
    program = path or get_bin_path(name, opt_dirs=list(tool.opt_dirs))
    if not program:
        return None, "%s is not installed" % name
    if not os.access(program, os.X_OK):
        return None, "%s not found at %s" % (name, program)
    return program, None


def run(program, tool, command, timeout=timed_command.DEFAULT_TIMEOUT):
    """Run ``command`` of ``tool`` (found at ``program``) for at most ``timeout`` seconds -> :class:`Answer`."""
    rc, out, err, timed_out = timed_command.run([program] + list(command.args), timeout=timeout)
    if timed_out:
        return Answer(None, timed_command.did_not_answer(command.label, timeout, tool.hint), TIMED_OUT)
    if rc != 0:
        failure = classify_failure(tool.failures, out, err, rc)
        return Answer(None, failure.message, failure.kind)
    try:
        return Answer(command.parse(out), None, None)
    except command.errors as exc:
        return Answer(None, command.unreadable.format(label=command.label, error=exc), UNREADABLE)
