"""The public API v1: one flask-smorest `Api`, OpenAPI 3.1 generated from the contracts' schemas."""

from __future__ import annotations

import functools
from collections.abc import Callable
from http import HTTPStatus

from apispec import BasePlugin
from flask import Blueprint as FlaskBlueprint
from flask import Flask, Response, render_template_string, request, send_from_directory
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from werkzeug.routing import IntegerConverter

from contracts.common import MAX_ID, ProblemSchema
from ledger import db, jsonbody
from ledger.auth import PUBLIC_ENDPOINTS, public, requires
from ledger.errors import PROBLEM_JSON

PREFIX = "/api/v1"


class Api(SmorestApi):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are ledger.errors' business (problem+json), not flask-smorest's default JSON."""

    def _register_responses(self):
        """Document error responses with the media type they are sent with: application/problem+json.

        flask-smorest declares them as application/json; contract fuzzing found every 4xx undocumented.
        """
        from flask_smorest.utils import prepare_response

        for status in HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            media = PROBLEM_JSON if status >= 400 else self.DEFAULT_RESPONSE_CONTENT_TYPE
            prepare_response(response, self.spec, media)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = jsonbody.Parser()  # JSON bodies that no database can hold are 400 invalid_json

    def reads(self, roles: tuple[str, ...], schema=None, *, query=None, etag: bool = False, **response) -> Callable:
        """A read for `roles`: the query string parsed by `query` (when the view takes one, as its first argument),
        the answer (200) serialised by `schema`, with the resource's version in ETag when `etag`. `response`'s
        other words (`content_type`, `description`, `headers`) document an answer that is no schema's."""
        return self._operation(roles, 200, schema, arguments=query, location="query", etag=etag, response=response)

    def writes(self, roles: tuple[str, ...], schema, *, body=None, status: int = 200, if_match: bool = False,
               etag: bool = False) -> Callable:
        """A change for `roles`: the JSON body parsed by `body` (the view's first argument), the answer (`status`)
        serialised by `schema`; `if_match` hands the view the If-Match header as sent (`honours_if_match`), `etag`
        declares the answer's version in ETag (`sends_etag`)."""
        return self._operation(roles, status, schema, arguments=body, if_match=if_match, etag=etag)

    def _operation(self, roles, status, schema, *, arguments=None, location="json", if_match=False, etag=False,
                   response=None) -> Callable:
        """`requires`, `arguments`, `response`, `honours_if_match`, `sends_etag`, outermost first: the order the
        views stacked them in by hand, which the OpenAPI document and the answers (403 before 422) depend on."""
        stack = [requires(*roles)]
        if arguments is not None:
            stack.append(self.arguments(arguments, location=location))
        stack.append(self.response(status, schema, **(response or {})))
        if if_match:
            stack.append(honours_if_match)
        if etag:
            stack.append(sends_etag)

        def decorate(view: Callable) -> Callable:
            for decorator in reversed(stack):
                view = decorator(view)
            return view

        return decorate


IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Makes a retry safe: the same key with the same request replays the first answer "
                   "(Idempotent-Replayed: true); with another request it is 422 idempotency_key_reused.",
}
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "The ETag the change was based on (quoted, as sent): another version answers 412; "
                   "a value that is no ETag answers 400 malformed_etag. Without it the change is not checked.",
}
ETAG = {"description": "The resource's version, for If-Match", "schema": {"type": "string"}}

_HONOURS_IF_MATCH = "x-ledger-honours-if-match"  # markers the plugin turns into parameters and headers
_SENDS_ETAG = "x-ledger-sends-etag"


def honours_if_match(view):
    """The operation honours If-Match: the view is called with the header as sent (None without one) as `if_match`
    and hands it to its service, which checks it against the row it locked (`errors.check_if_match`). Declared in
    the document by `_HeadersPlugin`.

    Not flask-smorest's `@blp.etag`: that one hashes the answer into the ETag (ours name the version, e.g.
    `"party-GB-3"`), requires If-Match on PUT/PATCH/DELETE (428; ours is optional), checks it before the view
    loads and locks the row, on PUT/PATCH/DELETE only (most of ours are POST actions), knows no `malformed_etag`,
    and would add If-None-Match/304 to every GET: each of these would change the API."""

    @functools.wraps(view)
    def reading_if_match(*args, **kwargs):
        return view(*args, if_match=request.headers.get("If-Match"), **kwargs)

    return SmorestBlueprint.doc(**{_HONOURS_IF_MATCH: True})(reading_if_match)


def sends_etag(view):
    """Declare that the operation's success answer carries an ETag header."""
    return SmorestBlueprint.doc(**{_SENDS_ETAG: True})(view)


def long_writer(view):
    """The operation (an API operation or an officers' page) is one of an officer's long writes (a statement
    import, a reconciliation or interest run, a month close, a payment batch's proposal or release): it waits for
    the books' locks as long as the ledger's commands do, and holds them as long. Every other API request waits a
    second at most and then answers 503 `books_busy` with Retry-After, and none at all for a lock one of these
    holds (`ledger.db.LockRole`), so a partner is never left hanging behind one of these."""
    view.long_writer = True
    return view


def waits_long(app: Flask, endpoint: str | None, method: str) -> bool:
    """Whether the view answering `method` at `endpoint` is marked `long_writer`."""
    view = app.view_functions.get(endpoint or "")
    handler = getattr(getattr(view, "view_class", None), method.lower(), view)
    return getattr(handler, "long_writer", False)


class _HeadersPlugin(BasePlugin):
    """Puts the headers the API honours into the document: Idempotency-Key on every POST (ledger.idempotency
    honours it on every POST), If-Match and ETag where the view is marked."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            parameters = operation.setdefault("parameters", [])
            if method == "post":
                parameters.append(IDEMPOTENCY_KEY)
            if operation.pop(_HONOURS_IF_MATCH, False):
                parameters.append(IF_MATCH)
            if operation.pop(_SENDS_ETAG, False):
                for status, response in operation.get("responses", {}).items():
                    if str(status).startswith("2") and isinstance(response, dict) and "$ref" not in response:
                        response.setdefault("headers", {})["ETag"] = ETAG
            if not parameters:
                del operation["parameters"]


def answer(body, etag: str, status: int = 200, location: str = ""):
    """A resource as a view answers it: with its version in ETag and, when it was just created (201), where it now
    lives in Location."""
    headers = {"ETag": etag}
    if status == 201:
        headers["Location"] = location
    return body, status, headers


def answerer(view: Callable, etag: Callable, location: str) -> Callable:
    """How a feature's views answer with one kind of its rows: `answer` with `view(session, row)` as the body,
    `etag(row)` as its version and `location` (formatted with the row: `"/api/v1/parties/{0.code}"`) as where a
    created one lives. The answerer takes the row, for a creation the status 201, and what the service read of the
    row already (`view`'s keyword arguments), so that the view does not read it again."""

    def respond(row, status: int = 200, **held):
        return answer(view(db.session(), row, **held), etag(row), status, location.format(row))

    return respond


def attachment(filename: str) -> dict[str, str]:
    """The header that has a browser save the answer as a file under this name rather than show it."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def download(body, mimetype: str, filename: str) -> Response:
    """A file to save (an export, a report, a payment file): the API's and the pages' downloads alike."""
    return Response(body, mimetype=mimetype, headers=attachment(filename))


def blueprint(name: str, description: str) -> Blueprint:
    return Blueprint(name, f"ledger.{name}", description=description)


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Returns Ledger API v1</title>
<link rel="stylesheet" href="{{ url_for('api_docs.asset', filename='swagger-ui.css') }}"></head>
<body><div id="ui"></div>
<script src="{{ url_for('api_docs.asset', filename='swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('api_docs.asset', filename='init.js') }}"></script>
</body></html>"""

_INIT_JS = """window.ui = SwaggerUIBundle({url: "%s/openapi.json", dom_id: "#ui", deepLinking: true});"""


def _docs_blueprint() -> FlaskBlueprint:
    from swagger_ui_bundle import swagger_ui_path

    docs = FlaskBlueprint("api_docs", __name__)

    @docs.get("/api/docs")
    @public
    def page():
        return render_template_string(_DOCS_PAGE)

    @docs.get("/api/docs/assets/<path:filename>")
    @public
    def asset(filename: str):
        if filename == "init.js":
            return _INIT_JS % PREFIX, 200, {"Content-Type": "text/javascript"}
        return send_from_directory(str(swagger_ui_path), filename)

    return docs


class IdConverter(IntegerConverter):
    """`<int:...>` in a route matches only numbers a database id can hold: a larger one is a 404, not a driver
    overflow (a 500). Replaces werkzeug's unbounded int converter for every route."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask, blueprints: list[Blueprint]) -> Api:
    app.config.update(
        API_TITLE="Returns Ledger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "System of record for money moving between states under returns agreements."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.json = jsonbody.JSONProvider(app)  # request.get_json refuses what jsonbody.loads refuses
    app.url_map.converters["int"] = IdConverter  # before any route is added
    api = Api(app, spec_kwargs={"extra_plugins": [_HeadersPlugin()]})
    api.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": 0, "maximum": c.max})
    for bp in blueprints:
        api.register_blueprint(bp, url_prefix=PREFIX)  # routes carry their full resource path
    app.register_blueprint(_docs_blueprint())
    # The OpenAPI document is public: partners code against it before they hold a token.
    PUBLIC_ENDPOINTS.update(e for e in app.view_functions if e.startswith("api-docs.") or e == "static")
    return api
