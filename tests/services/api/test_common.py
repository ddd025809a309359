"""The body validation helpers every controller uses (cinder.api.validation's words)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cindersim.ids import IdFactory
from cindersim.services.api.common import body_of, check_keys, link, opt_int
from cindersim.services.api.wsgi import ApiRequest, HTTPError, Version
from cindersim.services.keystone.context import RequestContext


def _req(body: Any, project_id: str | None = "p1") -> ApiRequest:
    return ApiRequest("POST", "/volumes", {}, {}, body, Version(3, 0),
                      RequestContext(user_id="u", project_id="p-token"), project_id, 1)


def _message(exc: pytest.ExceptionInfo[HTTPError]) -> tuple[int, str]:
    return exc.value.status, exc.value.message


class TestBodyOf:
    def test_the_inner_object(self) -> None:
        inner = {"size": 1}
        assert body_of(_req({"volume": inner}), "volume") is inner

    @pytest.mark.parametrize("body", [None, [], ["volume"], "volume", 7, True, {},
                                      {"other": {}}])
    def test_no_such_object_is_required_property(self, body: Any) -> None:
        with pytest.raises(HTTPError) as exc:
            body_of(_req(body), "volume")
        assert _message(exc) == (400, "'volume' is a required property")

    @pytest.mark.parametrize(("inner", "shown"), [(None, "None"), ([1], "[1]"),
                                                  ("x", "'x'")])
    def test_an_inner_value_that_is_no_object(self, inner: Any, shown: str) -> None:
        with pytest.raises(HTTPError) as exc:
            body_of(_req({"volume": inner}), "volume")
        assert _message(exc) == (400, f"Invalid input for field/attribute volume. Value: "
                                      f"{inner}. {shown} is not of type 'object'")


class TestCheckKeys:
    @pytest.mark.parametrize("allowed", [("a", "b"), ["a", "b"], {"a", "b"},
                                         frozenset({"a", "b"}), iter(["a", "b"])])
    def test_allowed_keys_pass_whatever_holds_them(self, allowed: Any) -> None:
        check_keys({"a": 1, "b": 2}, allowed, strict=True)

    def test_not_strict_lets_anything_pass(self) -> None:
        check_keys({"z": 1}, ("a",), strict=False)

    def test_unexpected_keys_are_named_in_the_bodys_order(self) -> None:
        with pytest.raises(HTTPError) as exc:
            check_keys({"z": 1, "a": 1, "m": 2}, ["a"], strict=True)
        assert _message(exc) == (400, "Additional properties are not allowed ('z', 'm' were "
                                      "unexpected)")

    def test_a_nested_object_names_its_field(self) -> None:
        with pytest.raises(HTTPError) as exc:
            check_keys({"size": 1, "x": 2}, ("size",), strict=True, field="volume")
        assert _message(exc) == (400, "Invalid input for field/attribute volume. Value: "
                                      "{'size': 1, 'x': 2}. Additional properties are not "
                                      "allowed ('x' was unexpected)")


class TestOptInt:
    @pytest.mark.parametrize(("obj", "value"), [({}, None), ({"n": None}, None),
                                                ({"n": 5}, 5), ({"n": "12"}, 12),
                                                ({"n": 2**31 - 1}, 2**31 - 1)])
    def test_values(self, obj: dict[str, Any], value: int | None) -> None:
        assert opt_int(obj, "n") == value

    @pytest.mark.parametrize(("raw", "reason"), [
        (True, "True is not of type 'integer', 'string'"),
        (1.0, "1.0 is not of type 'integer', 'string'"),
        ([1], "[1] is not of type 'integer', 'string'"),
        (" 1", "' 1' does not match '^[0-9]+$'"),
        ("-1", "'-1' does not match '^[0-9]+$'"),
        ("\u0661", "'\u0661' does not match '^[0-9]+$'"),
        (0, "0 is less than the minimum of 1"),
        ("0", "0 is less than the minimum of 1"),
        (2**31, "2147483648 is greater than the maximum of 2147483647"),
    ])
    def test_refusals(self, raw: Any, reason: str) -> None:
        with pytest.raises(HTTPError) as exc:
            opt_int({"size": raw}, "size", minimum=1)
        shown = 0 if raw == "0" else raw
        assert _message(exc) == (400, f"Invalid input for field/attribute size. Value: "
                                      f"{shown}. {reason}")


class _Api:
    base_url = "http://cinder.example:8776"


def test_links_name_the_urls_project_else_the_tokens() -> None:
    assert link(_Api(), _req(None), "volumes", "v1") == [  # type: ignore[arg-type]
        {"rel": "self", "href": "http://cinder.example:8776/v3/p1/volumes/v1"},
        {"rel": "bookmark", "href": "http://cinder.example:8776/p1/volumes/v1"}]
    assert link(_Api(), _req(None, None), "volumes", "v1")[1] == {  # type: ignore[arg-type]
        "rel": "bookmark", "href": "http://cinder.example:8776/p-token/volumes/v1"}


def test_request_id_is_the_drawn_uuid() -> None:
    """oslo's ``req-<uuid>``, made from the bits cinder-api drew for the request."""
    bits = IdFactory(random.Random(4)).draw()
    req = _req({})._replace(request_bits=bits)
    assert req.request_id == f"req-{IdFactory(random.Random(4)).uuid()}"
