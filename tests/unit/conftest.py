"""Make the collection importable as ansible_collections.aiplatform.cluster."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".collections"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: builds or installs something (seconds, not milliseconds); runs in the default suite")
