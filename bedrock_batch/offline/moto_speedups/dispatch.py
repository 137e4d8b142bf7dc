"""moto's request handling in process: work that never changes done once, and a request body not copied; same answers.

* Everywhere (work that never changes): ``camelcase_to_underscores``, a pure function of a short string, turns
  the same action names on every call and the same attribute names on every SendMessage (``Queue.attributes``
  names a dozen attributes), a character at a time. Here the SQS models and every handler's ``call_action`` look
  the answer up once per name.
* Everywhere (work that never changes): every request looks its handler up in ``backend.urls``, a dict of URL
  patterns built anew each time; for S3 the building even reloads ``moto.s3.urls`` twice (its URL bases follow
  ``MOTO_S3_CUSTOM_ENDPOINTS``). Here the dict is built once per backend class and per value of the settings it
  depends on (``enable_iso_regions``, ``get_s3_custom_endpoints``), and each request gets a copy. And
  ``call_action`` lists the handler class's methods (``inspect.getmembers``) on every call; here once per class.
* S3 (work that never changes): whether a request's host names its bucket (``subdomain_based_buckets``), asked three
  to five times per request through a dozen regular expressions, is answered once per host and settings.

A request body reaches moto through werkzeug, which reads it into a new bytearray and copies that into new bytes
(``Request.get_data``): a PutObject of 700 MB held 2.1 GB at once. In process, moto builds its request from the
botocore request's own bytes (``Request.from_primitives``); here, for a body that werkzeug would hand over as it is
(bytes of the declared Content-Length, not form data, not gzip-encoded), the request's data is those very bytes.
And the request is no longer a reference cycle (werkzeug's ``environ["werkzeug.request"]``, read only by its
debugger), so its body goes when moto is done with it, not at the cyclic collector's next full pass.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from .patching import set_attribute as _set


def patch(request_cls: Any) -> None:
    """Name conversions, URL tables and method lists built once; moto's ``Request`` given botocore's body bytes."""
    _patch_camelcase()
    _patch_dispatch_lookups()
    _patch_s3_host_style()
    _patch_request_body(request_cls)



def _patch_camelcase() -> None:
    from moto.core import responses, utils
    from moto.sqs import models as sqs_models

    own = utils.camelcase_to_underscores

    @functools.lru_cache(maxsize=4096)
    def known(argument: str) -> str:
        return own(argument)

    def camelcase_to_underscores(argument: str) -> str:
        return known(argument) if type(argument) is str else own(argument)

    for module in (responses, sqs_models):
        if module.__dict__.get("camelcase_to_underscores") is own:
            _set(module, "camelcase_to_underscores", camelcase_to_underscores)


def _patch_dispatch_lookups() -> None:
    from moto import settings
    from moto.core import base_backend, responses

    own_urls = base_backend.BaseBackend.__dict__.get("urls")
    if isinstance(own_urls, property):
        built: dict[tuple[Any, ...], dict[str, Any]] = {}

        def urls(self: Any) -> dict[str, Any]:
            key = (type(self), settings.enable_iso_regions(), tuple(settings.get_s3_custom_endpoints()))
            if key not in built:
                built[key] = own_urls.fget(self)
            return dict(built[key])

        _set(base_backend.BaseBackend, "urls", property(urls))

    own_names = responses.__dict__.get("method_names_from_class")
    if own_names is not None:
        @functools.lru_cache(maxsize=256)
        def listed(clazz: Any) -> tuple[str, ...]:
            return tuple(own_names(clazz))

        def method_names_from_class(clazz: Any) -> list[str]:
            return list(listed(clazz))

        _set(responses, "method_names_from_class", method_names_from_class)


def _patch_s3_host_style() -> None:
    """``S3Response.subdomain_based_buckets`` (whether a host names the bucket), answered once per host and settings.

    moto asks it three to five times per S3 request (routing, bucket name, key name), each time through a dozen
    regular expressions; the answer depends on the host and on two settings only (``S3_IGNORE_SUBDOMAIN_BUCKETNAME``
    and ``get_s3_custom_endpoints()``, both read on every call, as moto reads them).
    """
    import inspect

    from moto import settings
    from moto.s3.responses import S3Response

    own = S3Response.__dict__.get("subdomain_based_buckets")
    if not isinstance(own, staticmethod):
        return
    source = inspect.getsource(own.__func__)
    if 'request.headers.get("host", request.headers.get("Host"))' not in source or "request.url" not in source:
        return
    ask = own.__func__

    class _Host:
        """A request that is its host, for moto's own answer."""

        def __init__(self, host: str) -> None:
            self.headers = {"host": host}

    @functools.lru_cache(maxsize=256)
    def answer(host: str, custom_endpoints: tuple[str, ...]) -> bool:
        return ask(_Host(host))

    def subdomain_based_buckets(request: Any) -> bool:
        host = request.headers.get("host", request.headers.get("Host"))
        if not host or not isinstance(host, str) or settings.S3_IGNORE_SUBDOMAIN_BUCKETNAME:
            return ask(request)  # moto's own, from the request's URL
        return answer(host, tuple(settings.get_s3_custom_endpoints()))

    _set(S3Response, "subdomain_based_buckets", staticmethod(subdomain_based_buckets))


_FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _patch_request_body(request_cls: Any) -> None:
    """moto's in-process Request keeps the botocore body's bytes as its data (see the module docstring)."""
    from botocore.httpchecksum import AwsChunkedWrapper
    from_primitives = request_cls.__dict__.get("from_primitives")
    if not isinstance(from_primitives, classmethod) or "get_data" in request_cls.__dict__:
        return
    build = from_primitives.__func__

    def from_botocore(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if isinstance(body, io.BytesIO) and body.tell() == 0:
            body = body.getvalue()  # what werkzeug reads from it; the bytes botocore wrapped, not a copy
        elif isinstance(body, AwsChunkedWrapper) or (hasattr(body, "read") and not isinstance(body, bytes | str)):
            body = body.read()  # what from_primitives (a chunked body) or werkzeug (a file) reads from it
        request = build(cls, method, url, headers, body)
        if request.environ.get("werkzeug.request") is request:
            # werkzeug's back-reference (read only by its debugger) makes each request a reference cycle, so the
            # body it caches lived until the cyclic collector's next full pass: minutes, hundreds of MB, in a run.
            del request.environ["werkzeug.request"]
        # werkzeug's get_data reads Content-Length bytes of the stream, which holds ``body``; form data is parsed
        # (and not kept as data), and a gzip-encoded body is decompressed first: those are left to werkzeug.
        if type(body) is bytes and body and request.content_length == len(body) \
                and request.mimetype not in _FORMS and "gzip" not in (request.content_encoding or ""):
            request._cached_data = body
        return request

    _set(request_cls, "from_primitives", classmethod(from_botocore))
