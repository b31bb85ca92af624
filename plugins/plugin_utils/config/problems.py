# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Findings about a platform config: errors and warnings, collected, never raised one by one.

Every finding names the file, the line when known, the key path or host, what
is wrong and the fix. Values of secret keys are never put into a message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

ERROR = "error"
WARNING = "warning"

# Key names whose values are secrets: their values never appear in a message.
_SECRET_KEY = re.compile(r"(pass(word|wd)?|secret|token|jwt|private_?key|credential|api_?key)", re.IGNORECASE)


def is_secret_key(key):
    """True when a key's name says its value is a secret."""
    return bool(_SECRET_KEY.search(str(key)))


def path_text(path):
    """('nodes', 3, 'ip') -> 'nodes[3].ip'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[%d]" % part
        elif out:
            out += "." + str(part)
        else:
            out = str(part)
    return out


def show_value(value, path=()):
    """A value as it may appear in a message; secrets are redacted."""
    if any(is_secret_key(p) for p in path if not isinstance(p, int)):
        return "<secret>"
    text = repr(value) if not isinstance(value, str) else "'%s'" % value
    if len(text) > 80:
        text = text[:77] + "..."
    return text


def suggest(word, candidates):
    """The closest candidate to a misspelt ``word``, or None."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.75)
    return matches[0] if matches else None


# A warning of one kind (one ``fold`` text) repeated more often than this is shown as one line: the count,
# the first FOLD_AFTER subjects and the fix (a DLWS file without accelerator counts warned once per node: 1,333
# lines at 2,000 nodes).
FOLD_AFTER = 3


class Problem(object):
    """One finding. ``key`` is a key path text or a host name.

    ``fold``: for a finding that repeats per node (or per machine entry), the text of the one line that stands
    for all of that kind, with ``{count}`` where their number goes; ``subject`` names this one (the node).
    """

    __slots__ = ("level", "file", "key", "message", "fix", "line", "fold", "subject")

    def __init__(self, level, file, key, message, fix, line=None, fold=None, subject=None):
        self.level = level
        self.file = file
        self.key = key
        self.message = message
        self.fix = fix
        self.line = line
        self.fold = fold
        self.subject = subject

    @classmethod
    def error(cls, file, key, message, fix, line=None):
        return cls(ERROR, file, key, message, fix, line)

    @classmethod
    def warning(cls, file, key, message, fix, line=None, fold=None, subject=None):
        return cls(WARNING, file, key, message, fix, line, fold, subject)

    def __str__(self):
        where = self.file or "<config>"
        if self.line:
            where += ":%d" % self.line
        text = "%s: %s" % (where, self.key + ": " if self.key else "")
        text += self.message
        if self.fix:
            text += ". Fix: " + self.fix
        return text

    def __repr__(self):
        return "Problem(%s, %r)" % (self.level, str(self))

    def as_dict(self):
        return dict((name, getattr(self, name)) for name in self.__slots__)


def errors(problems):
    return [p for p in problems if p.level == ERROR]


def warnings(problems):
    return [p for p in problems if p.level == WARNING]


def folded(problems, keep=FOLD_AFTER):
    """The texts of ``problems``, in their order; findings of one kind (the same ``fold``, file and fix) that
    repeat more than ``keep`` times become one line, at the first one's place: the count, the first ``keep``
    subjects with their lines, how many more, and the fix."""
    kinds = {}
    for problem in problems:
        if problem.fold:
            kinds.setdefault((problem.level, problem.file, problem.fold, problem.fix), []).append(problem)
    out = []
    for problem in problems:
        kind = (problem.level, problem.file, problem.fold, problem.fix)
        members = kinds.get(kind) if problem.fold else None
        if not members or len(members) <= keep:
            out.append(str(problem))
        elif members[0] is problem:
            named = ", ".join("%s%s" % (p.subject or p.key, " (line %d)" % p.line
                                        if p.line and "line" not in str(p.subject) else "")
                              for p in members[:keep])
            text = "%s: %s: %s and %s more" % (problem.file or "<config>", problem.fold.format(count="{:,}".format(
                len(members))), named, "{:,}".format(len(members) - keep))
            out.append(text + (". Fix: " + problem.fix if problem.fix else ""))
    return out


def some(names, keep=FOLD_AFTER * 2):
    """``names`` joined with commas, the first ``keep`` of them and how many more when there are more."""
    names = [str(n) for n in names]
    if len(names) <= keep:
        return ", ".join(names)
    return "%s and %s more" % (", ".join(names[:keep]), "{:,}".format(len(names) - keep))


def report(problems, source):
    """One text listing every error, for a single failure message."""
    errs = errors(problems)
    head = "%d problem%s in the platform config %s:" % (len(errs), "" if len(errs) == 1 else "s", source)
    return "\n".join([head] + ["  - " + str(p) for p in errs])
