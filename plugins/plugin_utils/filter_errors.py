# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""One wrapper for the filter plugins: the pure function's errors of bad input (ValueError and the
ones a filter names) become an AnsibleFilterError that says which part of the platform complained."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError


def filter_errors(subject, function, errors=(ValueError,)):
    """``function`` whose ``errors`` are raised as AnsibleFilterError("<subject>: <message>")."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except errors as exc:
            raise AnsibleFilterError("%s: %s" % (subject, exc))
    return wrapper
