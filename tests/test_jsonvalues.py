"""copy_json gives what a JSON round trip gives, or says it cannot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.jsonvalues import NotJson, copy_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_a_copy_equals_the_json_round_trip_and_shares_nothing(value: Any) -> None:
    copied = copy_json(value)
    assert copied == json.loads(json.dumps(value))
    assert json.dumps(copied) == json.dumps(value)
    if isinstance(value, (dict, list)):
        assert copied is not value


@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, {"a": {3, 4}}, [b"bytes"]])
def test_what_json_would_change_is_refused(value: Any) -> None:
    with pytest.raises(NotJson):
        copy_json(value)
