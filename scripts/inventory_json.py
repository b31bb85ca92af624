"""`ansible-inventory --list` as plain Python data (for the lab, the benchmark and the tests).

ansible-core 2.19 prints untrusted strings as {"__ansible_unsafe": "..."}; unwrap() turns them
back into strings so that outputs of different inventory sources compare equal.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def unwrap(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def environment(enabled=None):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    if enabled:
        env["ANSIBLE_INVENTORY_ENABLED"] = enabled
    return env


def run_inventory(source, *extra, enabled=None):
    """The finished `ansible-inventory -i source --list` process (text mode, output captured)."""
    return subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", str(source), "--list"] + list(extra),
                          cwd=ROOT, env=environment(enabled), capture_output=True, text=True, timeout=600, check=False)


def list_inventory(source, *extra, enabled=None):
    """The inventory as data; SystemExit with Ansible's message when it does not parse."""
    result = run_inventory(source, *extra, enabled=enabled)
    if result.returncode != 0:
        raise SystemExit("ansible-inventory -i %s failed:\n%s" % (source, result.stderr[-3000:]))
    return unwrap(json.loads(result.stdout))


# What a site puts where the customer template holds a "<placeholder>" (any well-formed value: the
# tests only build inventories and validate role arguments from it).
TEMPLATE_FILLINGS = {"ascend_docker_runtime_package": "/srv/aiplatform/Ascend-docker-runtime_6.0.0_linux-aarch64.run"}
TEMPLATE_PIN = "ab" * 32


def fill_template(text):
    """inventories/customer/config.yaml with every placeholder filled in, as a site would."""
    return re.sub(r'(\w+): "<[^<>]+>"', lambda m: "%s: %s" % (m.group(1), TEMPLATE_FILLINGS.get(m.group(1), TEMPLATE_PIN)),
                  text)
