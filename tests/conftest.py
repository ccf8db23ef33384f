"""Shared test setup: every test starts from fresh automatic names and a fixed seed."""

import pytest

import pyminidl


@pytest.fixture(autouse=True)
def fresh_state():
    pyminidl.clear_session()
    pyminidl.set_random_seed(1234)
    threads = pyminidl.get_num_threads()
    yield
    pyminidl.set_num_threads(threads)  # tests may change it
