"""The spatial tests keep the prepared HRTFs in a cache folder of their own, not the user's."""

import pytest


@pytest.fixture(scope="session")
def hrtf_cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(autouse=True)
def _own_hrtf_cache(hrtf_cache_home, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(hrtf_cache_home))
