# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Why a vendor tool failed, in words: one classifier over a table per tool. Pure functions, run on the node.

``nvidia-smi`` and ``npu-smi`` fail in known ways (driver not loaded, library mismatch, device lost,
not installed...) and print them in English (the info modules run them with ``LC_ALL=C``). Each vendor
keeps a :class:`ToolFailures` table (``nvidia.NVIDIA_SMI_FAILURES``, ``ascend.NPU_SMI_FAILURES``);
:func:`classify_failure` reads any of them the same way:

- the first rule whose ``pattern`` matches stdout or stderr gives the failure's ``kind`` and its
  ``message``, a :meth:`str.format` template filled with ``fix``, the pattern's named groups and the
  table's ``context`` values (text read anywhere in the output, e.g. the NVML library's version);
- no rule matched and the shell said 127: the tool is not installed (kind ``not_installed``);
- otherwise the exit status and the first line printed (kind ``failed``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple

# One known failure: ``kind`` (a short name, stable), ``pattern`` (compiled regex searched in stdout and
# stderr together), ``message`` (template; ``{fix}`` places the fix), ``fix`` (what to do, or None).
FailureRule = namedtuple("FailureRule", ["kind", "pattern", "message", "fix"])

# A tool's table: ``tool`` (its name in "<tool> is not installed"), ``command`` (what was run, in
# "<command> failed (rc=N): ..."), ``rules`` (FailureRule, first match wins) and ``context``
# (``(name, pattern, template)``: ``{name}`` in a message is ``template`` filled with the pattern's groups
# when the pattern is found anywhere in the output, else empty).
ToolFailures = namedtuple("ToolFailures", ["tool", "command", "rules", "context"])

# The classifier's answer: ``kind`` (a rule's, ``not_installed`` or ``failed``) and the sentence.
Failure = namedtuple("Failure", ["kind", "message"])

NOT_INSTALLED = "not_installed"
FAILED = "failed"

# What a shell (or run_command) prints for a program that is not there.
_NOT_FOUND = re.compile(r"command not found|No such file or directory|: not found", re.I)


def not_installed_rule(tool):
    """The rule every table holds, where its order among the others says: the shell found no ``tool``."""
    return FailureRule(NOT_INSTALLED, _NOT_FOUND, "%s is not installed" % tool, None)


def classify_failure(table, stdout, stderr, rc):
    """A :class:`Failure` for a failed run (rc != 0) of ``table``'s tool, whatever it printed."""
    text = "%s\n%s" % (stdout or "", stderr or "")
    values = {}
    for name, pattern, template in table.context:
        found = pattern.search(text)
        values[name] = template.format(*found.groups()) if found else ""
    for rule in table.rules:
        match = rule.pattern.search(text)
        if match:
            fields = dict(values)
            fields.update((key, value or "") for key, value in match.groupdict().items())
            return Failure(rule.kind, rule.message.format(fix=rule.fix or "", **fields))
    if rc == 127:
        return Failure(NOT_INSTALLED, "%s is not installed" % table.tool)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Failure(FAILED, "%s failed (rc=%s): %s" % (table.command, rc, first[:200] or "no output"))
