"""copy_json gives what a JSON round trip gives, or says it cannot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cindersim.jsonvalues import (
    MAX_DEPTH,
    JsonTooDeep,
    NotJson,
    copy_json,
    copy_json_twice,
    depth_exceeds,
    loads,
)

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


class _Text(str):
    """A str subclass: JSON gives back a plain str, so a copy must not keep it."""


# The second row: one level down, inside an object that looks flat (a request body's
# shape), every shape it must still refuse.
@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, {"a": {3, 4}}, [b"bytes"],
                                   {"v": {1: "a"}}, {"v": {"a": (1,)}}, {"v": {"a": 1, "b": b"x"}},
                                   {"v": {_Text("k"): 1}}, {"v": {"k": _Text("x")}}])
def test_what_json_would_change_is_refused(value: Any) -> None:
    with pytest.raises(NotJson):
        copy_json(value)


def _containers(value: Any) -> list[Any]:
    """Every dict and list inside *value*, itself included."""
    found = [value] if isinstance(value, (dict, list)) else []
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) \
        else ()
    for child in children:
        found.extend(_containers(child))
    return found


@given(json_values)
def test_no_container_of_the_copy_is_one_of_the_original(value: Any) -> None:
    # copy_json starts a dict from dict.copy(): every nested container must still be new.
    originals = {id(c) for c in _containers(value)}
    assert all(id(c) not in originals for c in _containers(copy_json(value)))


@given(json_values)
def test_copy_json_twice_gives_two_copies_sharing_no_container(value: Any) -> None:
    first, second = copy_json_twice(value)
    assert first == second == copy_json(value)
    assert json.dumps(first) == json.dumps(second) == json.dumps(value)
    original, one, two = ({id(c) for c in _containers(v)} for v in (value, first, second))
    assert not original & one
    assert not original & two
    assert not one & two


@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, {"a": {3, 4}}, [b"bytes"],
                                   {"a": [1, {"b": {2: "x"}}]}, {"v": {1: "a"}},
                                   {"v": {"a": (1,)}}, {"v": {_Text("k"): 1}},
                                   {"v": {"k": _Text("x")}}])
def test_copy_json_twice_refuses_what_copy_json_refuses(value: Any) -> None:
    with pytest.raises(NotJson):
        copy_json_twice(value)


def test_a_bad_key_or_value_deep_inside_a_dict_is_refused() -> None:
    with pytest.raises(NotJson):
        copy_json({"a": 1, "b": {"c": [1, {"d": (1,)}]}})
    with pytest.raises(NotJson):
        copy_json({"a": {"b": {2: "x"}}})


@given(json_values)
def test_loads_parses_what_json_loads_parses(value: Any) -> None:
    text = json.dumps(value)
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_nesting_past_the_limit_is_a_value_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = opener * depth + ("1" if opener != "[" else "") + closer * depth
    with pytest.raises(JsonTooDeep):
        loads(text)
    with pytest.raises(ValueError):  # what callers catch for any malformed body
        loads(text.encode())


def test_nesting_up_to_the_limit_is_fine() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert not depth_exceeds(text)
    assert loads(text) == json.loads(text)


def test_brackets_inside_strings_do_not_count() -> None:
    quoted = json.dumps({"s": "[" * 500 + '\\"{' * 300})
    assert not depth_exceeds(quoted)
    assert loads(quoted) == json.loads(quoted)
    assert depth_exceeds(json.dumps(["\\"]) + "[" * 200)
