"""The router's memo of parameterless routes answers as a fresh match would."""

from __future__ import annotations

from typing import Any

from cindersim.services.api.router import Route, Router
from cindersim.services.api.wsgi import ApiResponse, Version


async def _controller(*_: Any, **__: Any) -> ApiResponse:
    return ApiResponse(200)


def _router() -> Router:
    router = Router()
    router.add(Route("POST", "/volumes", _controller))
    router.add(Route("GET", "/volumes/{volume_id}", _controller))
    router.add(Route("POST", "/volumes/summary", _controller, Version(3, 12)))
    return router


def test_a_remembered_route_is_the_one_a_fresh_match_finds() -> None:
    router = _router()
    first = router.match("POST", "/volumes", Version(3, 0))
    assert first[0] is router.routes[0]
    for _ in range(3):
        assert router.match("POST", "/volumes", Version(3, 0)) == first
    assert router.match("GET", "/volumes", Version(3, 0)) == (None, {}, True)  # 405


def test_the_memo_is_per_microversion() -> None:
    router = _router()
    newer = router.match("POST", "/volumes/summary", Version(3, 12))
    assert newer[0] is router.routes[2]
    route, _params, _exists = router.match("POST", "/volumes/summary", Version(3, 11))
    assert route is None  # below the route's minimum: absent, remembered or not
    assert router.match("POST", "/volumes/summary", Version(3, 12)) == newer


def test_paths_with_parameters_are_not_remembered() -> None:
    router = _router()
    for n in range(50):
        route, params, _exists = router.match("GET", f"/volumes/v{n}", Version(3, 0))
        assert route is router.routes[1]
        assert params == {"volume_id": f"v{n}"}
    router.match("POST", "/volumes", Version(3, 0))
    assert len(router._fixed) == 1
