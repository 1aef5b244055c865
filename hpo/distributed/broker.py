"""Connections to the Redis broker: the one place hpo makes redis-py clients, and the TLS options
Celery, kombu and Flower get.

TLS is set in the broker URL alone, so every process that reads ``HPO_BROKER_URL`` (or ``--broker``,
``broker_url=``) connects alike::

    rediss://[[USER]:PASSWORD@]HOST:PORT/DB?ssl_ca_certs=CA.crt[&ssl_certfile=CLIENT.crt&ssl_keyfile=CLIENT.key]

The parameters (:data:`TLS_PARAMETERS`) are redis-py's and kombu's own. The server's certificate is
always verified unless ``ssl_cert_reqs=none`` says otherwise (against the system's CAs when no
``ssl_ca_certs`` is given), also by Celery, whose own default for ``rediss://`` verifies nothing.
"""

from __future__ import annotations

import os
import ssl
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from hpo.distributed.config import masked_url
from hpo.exceptions import ConfigError

#: The TLS parameters a ``rediss://`` broker URL may carry.
TLS_PARAMETERS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname")
_FILES = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
_CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
_BOOLEANS = {"true": True, "false": False}


def tls_options(url: str) -> dict[str, Any] | None:
    """The TLS options of a ``rediss://`` URL, checked, as redis-py's ``SSLConnection`` and Celery's
    ``broker_use_ssl`` take them; None for a URL of another scheme.

    Raises :class:`ConfigError` naming the fix: a TLS parameter on a ``redis://`` URL, an unknown
    parameter or value, a file that does not exist.
    """
    parts = urlsplit(url)
    given = {key: value for key, value in parse_qsl(parts.query) if key.startswith("ssl")}
    if parts.scheme != "rediss":
        if given:
            raise ConfigError(
                f"The broker URL {masked_url(url)} has TLS parameters ({', '.join(given)}) but is not a rediss:// "
                "URL: write rediss://... to connect with TLS."
            )
        return None
    unknown = [key for key in given if key not in TLS_PARAMETERS]
    if unknown:
        raise ConfigError(
            f"Unknown TLS parameter(s) {', '.join(unknown)} in the broker URL {masked_url(url)}; "
            f"hpo knows {', '.join(TLS_PARAMETERS)}."
        )
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    for key in _FILES:
        if key in given:
            if not os.path.isfile(given[key]):
                raise ConfigError(
                    f"{key}={given[key]} in the broker URL {masked_url(url)}: no such file on this machine. "
                    "Give the path of a PEM file readable here."
                )
            options[key] = given[key]
    for key, choices in (("ssl_cert_reqs", _CERT_REQS), ("ssl_check_hostname", _BOOLEANS)):
        if key in given:
            value = choices.get(given[key].lower())
            if value is None:
                raise ConfigError(
                    f"{key}={given[key]} in the broker URL {masked_url(url)}: use one of {', '.join(choices)}."
                )
            options[key] = value
    return options


def redis_client(url: str) -> redis.Redis:
    """A redis-py client of the broker at ``url``, with its TLS options (see :func:`tls_options`)."""
    tls = tls_options(url)
    if tls is None:
        return redis.Redis.from_url(url)
    parts = urlsplit(url)
    rest = urlencode([(key, value) for key, value in parse_qsl(parts.query) if not key.startswith("ssl")])
    without_tls = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
    return redis.Redis.from_url(without_tls, **tls)


def unreachable(url: str, error: BaseException, fix: str, action: str = "reach") -> str:
    """"Cannot ``action`` the broker at ``url``" (its password masked), ``error``, then how to mend
    the TLS mismatch the error shows, if any, else ``fix``."""
    return f"Cannot {action} the broker at {masked_url(url)}: {str(error).rstrip('.')}. {_tls_fix(url, error) or fix}"


def _tls_fix(url: str, error: BaseException) -> str | None:
    """How to mend the TLS mismatch ``error`` shows, if it shows one."""
    text = str(error)
    tls = urlsplit(url).scheme == "rediss"
    if "CERTIFICATE_VERIFY_FAILED" in text and "mismatch" in text:
        return ("The broker's certificate does not name the host in the URL: connect by a name or address its "
                "certificate holds (subjectAltName), or issue it for this one.")
    if "CERTIFICATE_VERIFY_FAILED" in text:
        ca = dict(parse_qsl(urlsplit(url).query)).get("ssl_ca_certs")
        trusted = f"the CA in ssl_ca_certs={ca}" if ca else "the system's CAs (the URL names no ssl_ca_certs)"
        return (f"The broker's TLS certificate is not signed by {trusted}: point ssl_ca_certs= in the broker URL "
                "at the CA that signed redis-server's tls-cert-file.")
    if tls and ("EOF occurred" in text or "CERTIFICATE_REQUIRED" in text or "alert" in text.lower()):
        return ("The broker ended the TLS handshake: if it requires client certificates (redis-server "
                "tls-auth-clients, yes by default), add ssl_certfile=CLIENT.crt&ssl_keyfile=CLIENT.key to the broker "
                "URL, signed by a CA in its tls-ca-cert-file.")
    if tls and isinstance(error, redis.TimeoutError):
        return "If that port serves Redis without TLS, write redis://; else check the host and port."
    if not tls and "reset by peer" in text:
        return "If the broker serves TLS on that port (tls-port), write rediss://... with ssl_ca_certs=CA.crt."
    return None
