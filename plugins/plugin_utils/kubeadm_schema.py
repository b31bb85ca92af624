# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""A validator of the config files kubeadm reads, over the field tables of kubeadm_fields.py.

kubeadm warns about and then drops a field it does not know, and rejects a value of the wrong
type; the kubelet does the same. ``validate_documents`` reports both before anything runs,
all at once, as plain sentences. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.kubeadm_fields import (  # noqa: F401 (re-exported)
    APIS,
    KUBE_PROXY_API,
    KUBEADM_API_SINCE,
    KUBEADM_GROUP,
    KUBELET_API,
)

# Fields of which at most one may be set, and where one is needed.
_EXCLUSIVE = {
    "Etcd": (("local", "external"), False),
    "Discovery": (("bootstrapToken", "file"), True),
}

# kubeadm reads one document of each kind; init and join configurations do not go together.
_ONE_OF_EACH = ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
                "UpgradeConfiguration", "KubeletConfiguration", "KubeProxyConfiguration")

# Go's time.ParseDuration units; microseconds also as \u00b5s (micro sign) and \u03bcs (Greek mu).
_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_QUANTITY = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


def kubeadm_api(api_version):
    """``v1beta4`` from ``v1beta4`` or ``kubeadm.k8s.io/v1beta4``; ValueError for another version."""
    text = str(api_version or "")
    group, _sep, short = text.rpartition("/")
    if group not in ("", KUBEADM_GROUP) or KUBEADM_GROUP + "/" + short not in APIS:
        raise ValueError("kubeadm API version '%s' is not one this collection knows (v1beta3, v1beta4)"
                         % api_version)
    return short


def known_fields(api_version, type_name):
    """The field names of ``type_name`` in ``api_version`` (a full apiVersion or a kubeadm short one)."""
    full = api_version if api_version in APIS else KUBEADM_GROUP + "/" + kubeadm_api(api_version)
    return sorted(APIS[full][0][type_name])


def _minor(k8s_version):
    if k8s_version is None:
        return None
    m = _VERSION.match(str(k8s_version).strip())
    if not m or m.group(1) != "1":
        raise ValueError("'%s' is not a Kubernetes version (expected 1.31.4)" % k8s_version)
    return int(m.group(2))


def _describe_value(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean %s" % ("true" if value else "false")
    if isinstance(value, int):
        return "integer %d" % value
    if isinstance(value, float):
        return "number %s" % value
    if isinstance(value, str):
        return "string '%s'" % (value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _describe_type(type_, types):
    kind = type_[0]
    if kind == "list":
        return "list of " + _describe_type(type_[1], types)
    if kind == "map":
        return "map of string to " + _describe_type(type_[1], types)
    if kind == "obj":
        fields = types[type_[1]]
        if len(fields) <= 3:
            return "{%s}" % ", ".join(fields)
        return "%s object" % type_[1]
    return {
        "str": "string",
        "int": "integer",
        "bool": "boolean",
        "float": "number",
        "duration": "duration (like 4m0s)",
        "time": "RFC 3339 time (like 2026-01-02T15:04:05Z)",
        "quantity": "quantity (like 500m or 2Gi)",
    }.get(kind, kind)


class _Walk(object):
    __slots__ = ("types", "label", "minor", "other", "problems")

    def __init__(self, types, label, minor, other, problems):
        self.types = types
        self.label = label  # "v1beta4" for kubeadm, the apiVersion otherwise
        self.minor = minor  # Kubernetes minor, or None (then since/until are not checked)
        self.other = other  # (label, types) of the other kubeadm API version, for hints
        self.problems = problems

    def add(self, path, message):
        self.problems.append("%s: %s" % (path, message))

    def value(self, value, type_, path):
        kind = type_[0]
        if value is None or kind == "any":
            return
        ok = True
        if kind == "str":
            ok = isinstance(value, str)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind in ("duration", "time"):
            ok = isinstance(value, str)
            if ok and not (_DURATION if kind == "duration" else _TIME).match(value) and value != "0":
                self.add(path, "'%s' is not a %s" % (value, _describe_type(type_, self.types)))
                return
        elif kind == "quantity":
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
                isinstance(value, str) and bool(_QUANTITY.match(value)))
        elif kind == "list":
            ok = isinstance(value, (list, tuple))
            if ok:
                for i, item in enumerate(value):
                    self.value(item, type_[1], "%s[%d]" % (path, i))
        elif kind == "map":
            ok = isinstance(value, dict)
            if ok:
                for key, item in value.items():
                    if not isinstance(key, str):
                        self.add(path, "key %s is not a string" % _describe_value(key))
                    self.value(item, type_[1], "%s.%s" % (path, key))
        elif kind == "obj":
            ok = isinstance(value, dict)
            if ok:
                self.obj(value, type_[1], path)
        if not ok:
            self.add(path, "expected %s in %s, got %s"
                     % (_describe_type(type_, self.types), self.label, _describe_value(value)))

    def obj(self, data, type_name, path, top=False):
        fields = self.types[type_name]
        for key, value in data.items():
            if top and key in ("apiVersion", "kind"):
                continue
            sub = "%s.%s" % (path, key)
            field = fields.get(key)
            if field is None:
                self.add(sub, self._unknown(type_name, key, fields))
                continue
            if self.minor is not None and field.since and self.minor < field.since:
                self.add(sub, "needs Kubernetes 1.%d or later (this cluster runs 1.%d)" % (field.since, self.minor))
            if self.minor is not None and field.until and self.minor > field.until:
                self.add(sub, "was removed after Kubernetes 1.%d (this cluster runs 1.%d)" % (field.until, self.minor))
            self.value(value, field.type, sub)
            if field.choices is not None and value is not None:
                for i, item in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(item, str) and item not in field.choices:
                        where = sub if not isinstance(value, list) else "%s[%d]" % (sub, i)
                        self.add(where, "'%s' is not one of %s" % (item, ", ".join(repr(c) for c in field.choices)))
        for key, field in fields.items():
            if field.required and data.get(key) in (None, ""):
                self.add("%s.%s" % (path, key), "required field is missing")
        if type_name in _EXCLUSIVE:
            names, needed = _EXCLUSIVE[type_name]
            present = [n for n in names if data.get(n) is not None]
            if len(present) > 1:
                self.add(path, "%s are mutually exclusive: set one" % " and ".join(present))
            elif needed and not present:
                self.add(path, "needs one of %s" % ", ".join(names))

    def _unknown(self, type_name, key, fields):
        message = "unknown field in %s" % self.label
        if self.other and key in self.other[1].get(type_name, {}):
            return message + " (%s has it)" % self.other[0]
        close = difflib.get_close_matches(key, list(fields), n=1)
        if close:
            message += " (did you mean %s?)" % close[0]
        return message


def validate_documents(docs, api_version, k8s_version=None):
    """Problems of the config documents that ``kubeadm init|join --config`` would read, as sentences;
    an empty list when they are clean.

    ``api_version`` is the kubeadm API the documents were rendered for (``v1beta4`` or
    ``kubeadm.k8s.io/v1beta4``). With ``k8s_version``, fields the kubelet or kube-proxy of that
    Kubernetes minor does not have, and v1beta4 before 1.31, are reported too.
    """
    short = kubeadm_api(api_version)
    minor = _minor(k8s_version)
    expected = KUBEADM_GROUP + "/" + short
    other_short = "v1beta3" if short == "v1beta4" else "v1beta4"
    other = (other_short, APIS[KUBEADM_GROUP + "/" + other_short][0])
    problems = []
    if minor is not None and minor < KUBEADM_API_SINCE[short]:
        problems.append("kubeadm 1.%d does not read %s (it does from 1.%d on)"
                        % (minor, short, KUBEADM_API_SINCE[short]))
    if not isinstance(docs, (list, tuple)):
        return problems + ["documents: expected a list of documents, got %s" % _describe_value(docs)]
    seen = {}
    for index, doc in enumerate(docs):
        where = "documents[%d]" % index
        if not isinstance(doc, dict):
            problems.append("%s: expected a mapping (one YAML document), got %s" % (where, _describe_value(doc)))
            continue
        kind, api = doc.get("kind"), doc.get("apiVersion")
        label = kind if isinstance(kind, str) and kind else where
        if not api:
            problems.append("%s: apiVersion is missing" % label)
        if not kind:
            problems.append("%s: kind is missing" % label)
        if not api or not kind:
            continue
        if not isinstance(api, str) or not isinstance(kind, str):
            problems.append("%s: apiVersion and kind must be strings" % where)
            continue
        if api.startswith(KUBEADM_GROUP + "/") and api != expected:
            problems.append("%s: apiVersion %s, but these documents are rendered for %s" % (label, api, expected))
            continue
        if api not in APIS:
            problems.append("%s: unknown apiVersion %s (expected %s, %s or %s)"
                            % (label, api, expected, KUBELET_API, KUBE_PROXY_API))
            continue
        types, kinds = APIS[api]
        if kind not in kinds:
            close = difflib.get_close_matches(kind, kinds, n=1)
            problems.append("%s: kind %s is not a kind of %s (%s)%s"
                            % (where, kind, api, ", ".join(kinds), " - did you mean %s?" % close[0] if close else ""))
            continue
        seen[kind] = seen.get(kind, 0) + 1
        walk_label = short if api == expected else api
        walk = _Walk(types, walk_label, minor, other if api == expected else None, problems)
        walk.obj(doc, kind, kind, top=True)
    for kind in _ONE_OF_EACH:
        if seen.get(kind, 0) > 1:
            problems.append("%s: %d documents of this kind; kubeadm reads one" % (kind, seen[kind]))
    if seen.get("InitConfiguration") and seen.get("JoinConfiguration"):
        problems.append("InitConfiguration and JoinConfiguration: one file is either for kubeadm init or for "
                        "kubeadm join, not both")
    return problems
