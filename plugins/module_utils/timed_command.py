# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Run an external command with a time limit, on the node. Shared by every module that runs one.

``AnsibleModule.run_command`` waits for ever: a GPU that fell off the bus can leave ``nvidia-smi``
blocked in the kernel, a dead NFS server blocks whatever touches its mount, and the whole
``ansible-playbook`` run hangs with them. :func:`run` gives up after ``timeout`` seconds: it sends
SIGTERM to the command's process group, then SIGKILL, waits a moment more, and returns with
``timed_out`` set even when the process cannot be reaped (a process stuck in uninterruptible sleep
ignores SIGKILL; it is left behind rather than hanging the run). :func:`call` does the same for a
Python function that may block in a system call (``os.lstat`` of a hung NFS mount point): it runs in
a daemon thread that is abandoned when it does not return in time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import signal
import subprocess
import threading
from collections import namedtuple

# Seconds a command may take unless the caller says otherwise (module option ``timeout``, inventory
# variable ``aiplatform_command_timeout``).
DEFAULT_TIMEOUT = 30
# Seconds given to a command after SIGTERM, then after SIGKILL.
GRACE = 2

Result = namedtuple("Result", ["rc", "stdout", "stderr", "timed_out"])


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def _signal_group(proc, signum):
    try:
        os.killpg(proc.pid, signum)
    except OSError:
        pass


def run(argv, timeout=DEFAULT_TIMEOUT, env_update=None, grace=GRACE):
    """Run ``argv`` (no shell) for at most ``timeout`` seconds -> ``Result(rc, stdout, stderr, timed_out)``.

    ``rc`` is 127 when the program is missing and 126 when it cannot be executed (as a shell says),
    None when it timed out. The environment is the module's with ``LC_ALL=C`` (tools' messages are
    matched in English), updated with ``env_update``.
    """
    env = dict(os.environ)
    env.update(LC_ALL="C", LANG="C")
    env.update(env_update or {})
    try:
        proc = subprocess.Popen([str(arg) for arg in argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, close_fds=True, start_new_session=True)
    except OSError as exc:
        rc = 127 if exc.errno == errno.ENOENT else 126
        return Result(rc, "", "%s: %s" % (argv[0], exc.strerror or exc), False)
    try:
        out, err = proc.communicate(timeout=timeout)
        return Result(proc.returncode, _text(out), _text(err), False)
    except subprocess.TimeoutExpired:
        pass
    out = err = b""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        _signal_group(proc, signum)
        try:
            out, err = proc.communicate(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        # Still there after SIGKILL: blocked in the kernel. Leave it; close our ends of its pipes.
        for stream in (proc.stdout, proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
    return Result(None, _text(out), _text(err), True)


def call(function, timeout=DEFAULT_TIMEOUT, args=(), kwargs=None):
    """``(True, function(*args, **kwargs))``, or ``(False, None)`` when it did not return within ``timeout`` s.

    An exception of ``function`` is raised here. The thread of a call that did not return is a daemon
    thread: it does not keep the module from exiting.
    """
    box = {}

    def target():
        try:
            box["value"] = function(*args, **(kwargs or {}))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="aiplatform-timed-call")
    worker.daemon = True
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return False, None
    if "error" in box:
        raise box["error"]
    return True, box.get("value")


def did_not_answer(what, timeout, hint=""):
    """The sentence for a command that timed out: ``nvidia-smi did not answer within 30 s: <hint>``."""
    return "%s did not answer within %s s%s" % (what, _seconds(timeout), (": " + hint) if hint else "")


def _seconds(timeout):
    value = float(timeout)
    return "%d" % value if value == int(value) else "%g" % value
