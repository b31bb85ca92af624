"""Driver version order, both vendors (tables), and the Jinja test."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.plugin_utils.driver_version import (
    DriverVersionError,
    compare_versions,
    driver_at_least,
    parse_version,
)
from ansible_collections.aiplatform.cluster.plugins.test import driver_at_least as jinja_tests

# Each pair: (older, newer). Strings are as they appear in the wild (accelerators.md).
HUAWEI_CHAIN = ["1.72.T2.100.B020", "20.2.0", "21.0.4.B030", "22.0.2", "23.0.rc2", "23.0.rc2.3", "23.0.rc3",
                "23.0.0", "23.0.7", "24.1.RC2", "24.1.0", "25.0.rc1.1", "26.0.rc2"]
HUAWEI = list(zip(HUAWEI_CHAIN, HUAWEI_CHAIN[1:])) + [
    ("1.72.T2.100.B020", "1.72.T3.100.B020"),  # later train
    ("1.72.T2.100.B020", "1.72.T2.100.B021"),  # later build
    ("1.72.T2.100.B020", "1.73.T1.100.B001"),
    ("23.0.alpha1", "23.0.beta1"),
    ("23.0.beta2", "23.0.rc1"),
    ("23.0.RC1", "23.0.rc2"),
    ("23.0.rc3", "23.0.1"),
    ("21.0.4", "21.0.4.B030"),  # a build refines its release
    ("21.0.4.B030", "21.0.4.1"),
    ("22.0.2", "22.0.10"),  # numbers, not text
    ("24.1", "24.1.1"),
    ("24.1.RC2", "24.1"),
    ("25.0.rc1", "25.0.rc1.1"),
    ("25.0.rc1.9", "25.0.rc1.10"),
    ("9.9.9", "10.0.0"),
    ("1.72.T2.100.B020", "1.72.0"),  # a train precedes the release at its position
    ("23.0.rc2.3", "23.0.rc2.10"),
    ("23.0.rc3", "23.0.RC3.1"),
    ("22.0.4", "23.0.rc1"),
    ("24.1.rc3", "24.1.0"),
    ("23.0.7", "24.1.rc3"),
    ("20.2.0", "20.2.0.B010"),
]
NVIDIA = [
    ("418.67", "430"),
    ("430", "430.09"),
    ("430.50", "440.33.01"),
    ("450.80.02", "470.57.02"),
    ("470.57.02", "470.182.03"),  # 182 > 57 numerically
    ("470.182.03", "535.104.05"),
    ("535.104.05", "535.129.03"),
    ("535.129.03", "550.54.15"),
    ("550.54.15", "580.159.04"),
    ("384.98", "390.157"),
    ("390.157", "418.226.00"),
    ("525.60.13", "525.105.17"),
    ("575.57.08", "580.65.06"),
    ("580.65.06", "580.159.04"),
    ("580.173.02", "580.178"),
    ("570.124", "570.124.06"),
    ("565.57.01", "570.124.04"),
    ("35.3.1", "390.94"),  # Jetson L4T numbering is just smaller
]
PAIRS = [("huawei",) + p for p in HUAWEI] + [("nvidia",) + p for p in NVIDIA]


def test_table_is_large_enough():
    assert len(PAIRS) >= 40


@pytest.mark.parametrize("vendor, older, newer", PAIRS, ids=["%s %s<%s" % p for p in PAIRS])
def test_order(vendor, older, newer):
    assert compare_versions(older, newer, vendor) == -1
    assert compare_versions(newer, older, vendor) == 1
    assert driver_at_least(newer, older, vendor) is True
    assert driver_at_least(older, newer, vendor) is False


@pytest.mark.parametrize("vendor, a, b", [
    ("nvidia", "430", "430.0"),
    ("nvidia", "470.57.02", "470.57.2"),
    ("nvidia", " 580.159.04\n", "580.159.04"),
    ("huawei", "24.1.RC2", "24.1.rc2"),
    ("huawei", "23.0", "23.0.0"),
    ("huawei", "1.72.t2.100.b020", "1.72.T2.100.B020"),
    ("huawei", "21.0.4.B030", "21.0.4.b30"),
    ("huawei", "\t23.0.rc3 ", "23.0.RC3"),
    ("huawei", "23.0.rc", "23.0.rc0"),
    ("nvidia", "535", "535.0.0"),
])
def test_equal(vendor, a, b):
    assert compare_versions(a, b, vendor) == 0
    assert driver_at_least(a, b, vendor)


@pytest.mark.parametrize("vendor, text", [
    ("nvidia", "430.x"),
    ("nvidia", ""),
    ("nvidia", "v535.129.03"),
    ("nvidia", "535..129"),
    ("huawei", "V100R001C15SPC012B220"),
    ("huawei", "23.0.rc3-beta"),
    ("huawei", "latest"),
    ("huawei", "23.0.B"),
    ("huawei", ""),
    ("huawei", None),
    ("huawei", "V100R001C19SPC001B124"),
    ("huawei", "23.0.rc3.SPC1"),
    ("huawei", "rc3"),
    ("huawei", "23..0"),
    ("nvidia", "23.0.rc3"),
    ("nvidia", "580.159.04-open"),
])
def test_unparsable_is_an_error_naming_the_string(vendor, text):
    with pytest.raises(DriverVersionError) as info:
        driver_at_least(text, "1.0" if vendor == "nvidia" else "23.0.0", vendor)
    assert vendor in str(info.value)
    if text:
        assert text.strip() in str(info.value)
    # the minimum is checked as strictly as the installed version
    with pytest.raises(DriverVersionError):
        driver_at_least("1.0" if vendor == "nvidia" else "23.0.0", text, vendor)


def test_inner_version_is_named_as_such():
    with pytest.raises(DriverVersionError, match="inner version"):
        compare_versions("V100R001C15SPC012B220", "23.0.7", "huawei")


def test_required_chain_is_totally_ordered():
    for i, older in enumerate(HUAWEI_CHAIN):
        for newer in HUAWEI_CHAIN[i + 1:]:
            assert compare_versions(older, newer, "huawei") == -1, (older, newer)
    padded = [parse_version("huawei", v) for v in HUAWEI_CHAIN]
    assert len(set(padded)) == len(padded)


def test_unknown_vendor():
    with pytest.raises(DriverVersionError, match="unknown vendor 'amd'"):
        driver_at_least("1", "1", "amd")


def test_jinja_test_plugin():
    test = jinja_tests.TestModule().tests()["driver_at_least"]
    assert test("580.159.04", "430") is True
    assert test("23.0.rc3", "1.72.T2.100.B020", vendor="huawei") is True
    assert test("23.0.rc3", "23.0.0", vendor="huawei") is False
    assert test("23.0.7", "23.0.7", "huawei") is True
    with pytest.raises(AnsibleFilterError, match="'garbage' is not an nvidia driver version"):
        test("garbage", "430")
    with pytest.raises(AnsibleFilterError, match="'V100R001C15SPC012B220' is not a huawei"):
        test("V100R001C15SPC012B220", "23.0.0", vendor="huawei")


def test_jinja_test_through_a_template(tmp_path):
    """The test as a playbook uses it: found by its FQCN, called from Jinja (one ansible-playbook run)."""
    import json
    import os
    import subprocess
    import sys

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    playbook = tmp_path / "play.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  vars:
    v: "580.159.04"
    a: "23.0.rc3"
    bad: V100R001C15SPC012B220
  tasks:
    - ansible.builtin.assert:
        that:
          - v is aiplatform.cluster.driver_at_least('470', vendor='nvidia')
          - v is aiplatform.cluster.driver_at_least('470')
          - a is not aiplatform.cluster.driver_at_least('23.0.0', vendor='huawei')
          - a is aiplatform.cluster.driver_at_least('1.72.T2.100.B020', vendor='huawei')
    - ansible.builtin.debug:
        msg: "{{ bad is aiplatform.cluster.driver_at_least('23.0.0', vendor='huawei') }}"
""")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, ".collections"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    tasks = json.loads(run.stdout)["plays"][0]["tasks"]
    assert tasks[0]["hosts"]["localhost"].get("failed") is not True, tasks[0]
    failed = tasks[1]["hosts"]["localhost"]
    assert failed["failed"] is True
    assert "'V100R001C15SPC012B220' is not a huawei (Ascend) driver version" in failed["msg"]
