# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Load a platform config file's text into plain Python data.

Pure: takes text and a file name, returns data plus findings; no I/O.

Why not the stock YAML loaders: users' real DLWS files repeat top-level keys
(copy-paste), which every YAML loader silently resolves to the last value. We
keep the last value too (that is what their old tooling used) but report both
line numbers. We also remember the line of every mapping key so that a
validation error can point at ``file:line``.

``!vault`` values are kept as :class:`VaultText` markers; the inventory plugin
turns them into Ansible's own vault objects, so they are decrypted only when a
task uses them and never appear in an error message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core on the controller
    yaml = None

if yaml is None:  # pragma: no cover
    _BaseLoader = object
else:
    # libyaml's parser is ~10x faster on large configs; marks work the same.
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.config.problems import (
    Problem,
)


class VaultText(object):
    """An ``!vault`` encrypted scalar: the ciphertext, never the plaintext."""

    __slots__ = ("ciphertext",)

    def __init__(self, ciphertext):
        self.ciphertext = ciphertext

    def __repr__(self):
        return "VaultText(<encrypted>)"

    def __eq__(self, other):
        return isinstance(other, VaultText) and other.ciphertext == self.ciphertext

    def __hash__(self):
        return hash(self.ciphertext)


class LineDict(dict):
    """A dict that knows the 1-based line of each of its keys."""

    __slots__ = ("key_lines", "line", "duplicates")

    def __init__(self, *args, **kwargs):
        super(LineDict, self).__init__(*args, **kwargs)
        self.key_lines = {}
        self.line = None
        self.duplicates = []  # (key, first line, second line)


class LineList(list):
    """A list that knows the 1-based line of each of its items."""

    __slots__ = ("item_lines", "line")

    def __init__(self, *args, **kwargs):
        super(LineList, self).__init__(*args, **kwargs)
        self.item_lines = []
        self.line = None


class _Loader(_BaseLoader):  # pylint: disable=too-many-ancestors
    """Safe loader that records key lines and duplicate keys."""

    def __init__(self, stream):
        _BaseLoader.__init__(self, stream)
        self.duplicates = []  # (key, first line, second line, at top level)
        self.root_node = None


def _construct_mapping(loader, node):
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            # YAML merge keys (<<) are rare in configs; resolve them plainly.
            merged = loader.construct_object(value_node, deep=True)
            items = merged if isinstance(merged, list) else [merged]
            for item in items:
                if isinstance(item, dict):
                    for k, v in item.items():
                        data.setdefault(k, v)
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(  # pylint: disable=raise-missing-from
                None, None, "found an unhashable key", key_node.start_mark
            )
        line = key_node.start_mark.line + 1
        if key in data:
            loader.duplicates.append((key, data.key_lines[key], line, node is loader.root_node))
            data.duplicates.append((key, data.key_lines[key], line))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_sequence(loader, node):
    data = LineList()
    data.line = node.start_mark.line + 1
    yield data
    for item_node in node.value:
        data.append(loader.construct_object(item_node, deep=True))
        data.item_lines.append(item_node.start_mark.line + 1)


def _construct_vault(loader, node):
    return VaultText(loader.construct_scalar(node))


if yaml is not None:
    _Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
    _Loader.add_constructor("!vault", _construct_vault)
    _Loader.add_constructor("!vault-encrypted", _construct_vault)
    # Ansible's !unsafe marks a string as not to be templated; keep the string.
    _Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


# A line holding something other than blanks and a comment.
_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.M)


class LoadResult(object):
    """What :func:`load_text` found: the data and any problems."""

    __slots__ = ("data", "problems")

    def __init__(self, data, problems):
        self.data = data
        self.problems = problems


def load_text(text, filename):
    """Parse ``text`` (the content of ``filename``).

    Returns a :class:`LoadResult`. ``data`` is None when the file is empty or
    unparsable; ``problems`` then holds an error that names the line.
    Duplicate keys become warnings naming both lines.
    """
    problems = []
    if yaml is None:  # pragma: no cover
        problems.append(Problem.error(filename, "", "PyYAML is missing on the control machine",
                                      "pip install -r requirements.txt"))
        return LoadResult(None, problems)
    if text is None or not _CONTENT.search(text):
        problems.append(
            Problem.error(
                filename,
                "",
                "the file is empty",
                "write the platform config into it (see docs/config.md), or remove it "
                "from the inventory directory",
            )
        )
        return LoadResult(None, problems)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        loader.root_node = node
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = "YAML syntax error: %s%s" % (what, (" (%s)" % context) if context else "")
        if column:
            message += " at column %d" % column
        problems.append(
            Problem.error(
                filename,
                "",
                message,
                "fix the YAML at that line (indentation, a missing ':' or quote, tabs)",
                line=line,
            )
        )
        return LoadResult(None, problems)
    finally:
        loader.dispose()
    if data is None:
        problems.append(Problem.error(filename, "", "the file holds no data", "write the platform config into it"))
        return LoadResult(None, problems)
    if not isinstance(data, dict):
        problems.append(
            Problem.error(
                filename,
                "",
                "the top level must be a mapping of keys, found %s" % describe(data),
                "start the file with keys such as 'cluster:' and 'nodes:' (see docs/config.md)",
                line=1,
            )
        )
        return LoadResult(None, problems)
    for key, first, second, top in loader.duplicates:
        where = "top-level key" if top else "key"
        problems.append(
            Problem.warning(
                filename,
                str(key),
                "%s '%s' appears twice (lines %d and %d); the value at line %d is used"
                % (where, key, first, second, second),
                "delete one of them",
                line=second,
                fold="%s '%s' appears twice in {count} places; the later value is used" % (where, key),
                subject="lines %d and %d" % (first, second),
            )
        )
    return LoadResult(data, problems)


def describe(value):
    """What kind of YAML value ``value`` is, for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, VaultText):
        return "a vault-encrypted value"
    if value is None:
        return "nothing (null)"
    return "a string"


def line_of(data, path):
    """Best-effort line of ``path`` (a tuple of keys / indexes) inside ``data``."""
    node = data
    line = getattr(data, "line", None)
    for part in path:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def plain(value):
    """Strip the line-tracking types: LineDict -> dict, LineList -> list."""
    if isinstance(value, dict):
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
