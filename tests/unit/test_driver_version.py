"""Driver version order, both vendors (tables), and the Jinja test."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.aiplatform.cluster.plugins.module_utils.driver_version import (
    DriverVersionError,
    compare_versions,
    driver_at_least,
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
])
def test_unparsable_is_an_error_naming_the_string(vendor, text):
    with pytest.raises(DriverVersionError) as info:
        driver_at_least(text, "1.0" if vendor == "nvidia" else "23.0.0", vendor)
    if text:
        assert text.strip() in str(info.value)


def test_unknown_vendor():
    with pytest.raises(DriverVersionError, match="unknown vendor 'amd'"):
        driver_at_least("1", "1", "amd")


def test_jinja_test_plugin():
    test = jinja_tests.TestModule().tests()["driver_at_least"]
    assert test("580.159.04", "430") is True
    assert test("23.0.rc3", "1.72.T2.100.B020", vendor="huawei") is True
    assert test("23.0.rc3", "23.0.0", vendor="huawei") is False
    with pytest.raises(AnsibleFilterError, match="'garbage' is not an NVIDIA driver version"):
        test("garbage", "430")
