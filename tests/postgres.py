"""The PostgreSQL server the scale-out tests need (``scripts/postgres-for-tests.sh`` starts one)."""

from __future__ import annotations

import os

import pytest


def postgres_url() -> str:
    """``$PODPIPE_TEST_POSTGRES``; without it the calling test module is skipped (failed in CI)."""
    url = os.environ.get("PODPIPE_TEST_POSTGRES")
    if not url:
        reason = "no PostgreSQL: run `eval \"$(bash scripts/postgres-for-tests.sh)\"` first"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return url
