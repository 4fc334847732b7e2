"""Every 2xx JSON answer a test receives is checked against the response model its route declares (the one
the OpenAPI document publishes): a body the contract does not describe, or a 2xx JSON answer without a declared
model, fails the test that caused it (at teardown, naming the route)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pydantic
from aiohttp import web

from kuaichu.api import Route
from kuaichu.routes import all_routes

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^}]*)?\}")


def _declared() -> dict[tuple[str, str], Route]:
    return {(r.method, _PARAM.sub(r"{\1}", r.path)): r for r in all_routes()}


def declared_responses(mismatches: list[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware recording, in `mismatches`, every 2xx JSON body its route's declared model refuses."""
    routes = _declared()

    @web.middleware
    async def check(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if not (
            200 <= response.status < 300
            and isinstance(response, web.Response)
            and response.content_type == "application/json"
        ):
            return response
        resource = request.match_info.route.resource
        route = routes.get((request.method, resource.canonical)) if resource is not None else None
        where = f"{request.method} {resource.canonical if resource else request.path} → {response.status}"
        model = route.responses.get(response.status) if route is not None else None
        if model is None:
            if route is None or response.status not in (route.raw_response or {}):
                mismatches.append(f"{where}: no response model declared")
            return response
        try:
            model.model_validate_json(response.body)  # type: ignore[arg-type]
        except pydantic.ValidationError as exc:
            mismatches.append(f"{where}: the body is not a {model.__name__}: {exc}")
        return response

    return check
