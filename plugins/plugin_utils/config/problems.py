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


class Problem(object):
    """One finding. ``key`` is a key path text or a host name."""

    __slots__ = ("level", "file", "key", "message", "fix", "line")

    def __init__(self, level, file, key, message, fix, line=None):
        self.level = level
        self.file = file
        self.key = key
        self.message = message
        self.fix = fix
        self.line = line

    @classmethod
    def error(cls, file, key, message, fix, line=None):
        return cls(ERROR, file, key, message, fix, line)

    @classmethod
    def warning(cls, file, key, message, fix, line=None):
        return cls(WARNING, file, key, message, fix, line)

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


def report(problems, source):
    """One text listing every error, for a single failure message."""
    errs = errors(problems)
    head = "%d problem%s in the platform config %s:" % (len(errs), "" if len(errs) == 1 else "s", source)
    return "\n".join([head] + ["  - " + str(p) for p in errs])
