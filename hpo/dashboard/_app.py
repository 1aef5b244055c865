"""The dashboard's web app (Starlette): two pages, their static files, and a read-only JSON API."""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpo.dashboard._data import DashboardData, View

STATIC = Path(__file__).parent / "static"
TOKEN_COOKIE = "hpo_dashboard_token"


#: plotly.js never changes under its versioned URL (``/plotly.min.js?v=VERSION``): browsers keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def plotly_js() -> Path:
    """plotly.js as shipped inside the installed plotly package (no network needed)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@functools.cache
def plotly_gzip() -> bytes:
    """plotly.js gzipped once per process (4.8 MB become 1.4 MB)."""
    return gzip.compress(plotly_js().read_bytes(), compresslevel=6, mtime=0)


def plotly_response(request: Request) -> Response:
    """plotly.js, gzipped when the browser accepts it, cached for a year (its URL names its version)."""
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(plotly_gzip(), media_type="text/javascript", headers=headers)
    return FileResponse(plotly_js(), media_type="text/javascript", headers=headers)


class Guard:
    """ASGI middleware: every request needs HTTP Basic ``user:password`` or the token (``Authorization:
    Bearer T``, ``?token=T`` once, which sets a cookie, or that cookie). No guard when neither is set."""

    def __init__(self, app: ASGIApp, basic: str | None, token: str | None) -> None:
        self.app = app
        self.basic = basic
        self.token = token

    def _allowed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if self.basic is not None and scheme.lower() == "basic":
            try:
                given = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            return secrets.compare_digest(given.encode(), self.basic.encode())
        if self.token is not None:
            bearer = credential if scheme.lower() == "bearer" else None
            candidates: tuple[str | None, ...] = (bearer, request.query_params.get("token"),
                                                  request.cookies.get(TOKEN_COOKIE))
            for candidate in candidates:
                if candidate is not None and secrets.compare_digest(candidate.encode(), self.token.encode()):
                    return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.basic is None and self.token is None):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not self._allowed(request):
            headers = {"WWW-Authenticate": 'Basic realm="hpo dashboard"'} if self.basic is not None else {}
            await PlainTextResponse("Unauthorized", status_code=401, headers=headers)(scope, receive, send)
            return
        if self.token is not None and request.query_params.get("token") is not None:

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode()
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        await self.app(scope, receive, send)


def create_app(data: DashboardData, *, basic: str | None = None, token: str | None = None) -> ASGIApp:
    """The dashboard over ``data``; ``basic`` (``user:password``) or ``token`` guard every request."""
    import plotly

    plotly_url = f"/plotly.min.js?v={plotly.__version__}"

    def page(file: str) -> Callable[[Request], Response]:
        html = (STATIC / file).read_text().replace("{{plotly}}", plotly_url)

        def serve(request: Request) -> Response:
            return HTMLResponse(html, headers={"Cache-Control": "no-store"})

        return serve

    def api(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
        """A JSON endpoint: unknown studies/trials are 404, bad arguments 400."""

        def endpoint(request: Request) -> Response:
            try:
                return JSONResponse(handler(request), headers={"Cache-Control": "no-store"})
            except KeyError as e:
                return JSONResponse({"error": f"Not found: {e.args[0]}"}, status_code=404)
            except ValueError as e:
                return JSONResponse({"error": str(e)}, status_code=400)

        return endpoint

    def _int(request: Request, key: str, default: int) -> int:
        raw = request.query_params.get(key)
        try:
            return default if raw is None else int(raw)
        except ValueError:
            raise ValueError(f"{key} must be an integer, got {raw!r}.") from None

    def _float(request: Request, key: str) -> float | None:
        raw = request.query_params.get(key)
        try:
            return None if raw is None else float(raw)
        except ValueError:
            raise ValueError(f"{key} must be a number, got {raw!r}.") from None

    def _view(request: Request) -> View | None:
        """The plot area a history is thinned for: ``width``, ``height`` (pixels) and, zoomed in, ``x0``,
        ``x1``, ``y0``, ``y1``; None without ``width``."""
        if request.query_params.get("width") is None:
            return None
        spans = []
        for axis in ("x", "y"):
            low, high = _float(request, axis + "0"), _float(request, axis + "1")
            spans.append(None if low is None or high is None else (low, high))
        return View(_int(request, "width", 0), _int(request, "height", 0), spans[0], spans[1])

    def name(request: Request) -> str:
        value = request.query_params.get("study")
        if not value:
            raise ValueError("Pass the study's name: ?study=NAME.")
        return value

    def chart(request: Request) -> Response:
        try:
            study_name = name(request)
            kind = request.query_params.get("kind", "history")
            params = [p for p in request.query_params.get("params", "").split(",") if p]
            objective = _int(request, "objective", 0)
            cached = data.figure(study_name, kind, params, objective, _view(request))
        except KeyError as e:
            return JSONResponse({"error": f"Not found: {e.args[0]}"}, status_code=404)
        except ValueError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return Response(cached, media_type="application/json", headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page("studies.html")),
        Route("/study", page("study.html")),
        Route("/plotly.min.js", plotly_response),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/studies", api(lambda r: {"studies": data.studies(r.query_params.get("filter", "")),
                                             "runtime": data.broker_url is not None})),
        Route("/api/version", api(lambda r: {"version": data.version(r.query_params.get("study") or None)})),
        Route("/api/study", api(lambda r: data.study_summary(name(r)))),
        Route("/api/trials", api(lambda r: data.page(
            name(r), limit=_int(r, "limit", 50), offset=_int(r, "offset", 0), sort=r.query_params.get("sort", "number"),
            descending=r.query_params.get("order", "asc") == "desc", filter_text=r.query_params.get("filter", "")))),
        Route("/api/trial", api(lambda r: data.trial(name(r), _int(r, "number", 0)))),
        Route("/api/chart", chart),
        Route("/api/runtime", api(lambda r: {"runtime": data.runtime()})),
    ]
    # Compressed quickly: the larger charts' JSON is several MB, and a fast level keeps a local dashboard quick.
    return Guard(Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)]),
                 basic, token)
