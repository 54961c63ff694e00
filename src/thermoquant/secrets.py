"""Secrets never leave the process in clear: the one masker for every output, log, ``job_log`` row and error.

A secret is

* a **password in a URL** — ``scheme://user:PASSWORD@host`` (also without a user) and ``password=…`` in a query
  string or a libpq ``key=value`` conninfo;
* a **settings secret** — every :class:`pydantic.SecretStr` field of :class:`thermoquant.config.Settings`, nested
  models included (``tushare_token`` today; a webhook secret added the same way is masked with no other change):
  settings hand them to :func:`remember` when they are built (this module imports nothing of the package, so
  everything may use it), and every later :func:`mask` of the process replaces them wherever they appear;
* a value passed to :func:`mask` for one message — where a driver may echo a password on its own (psycopg's
  ``invalid percent-encoded token: "…"``), the store passes the URL's :func:`url_secrets`.

Passwords are not remembered process-wide like tokens: a password is often a common word (``postgres``), and
replacing it everywhere would turn ``postgresql://`` into ``***ql://``; in a URL or ``password=`` they are always
masked by pattern. Values shorter than :data:`MIN_SECRET_LENGTH` are masked only in those forms.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "install_log_masking",
    "mask",
    "mask_url",
    "remember",
    "secret_values",
    "url_secrets",
]

MASK = "***"
MIN_SECRET_LENGTH = 4

# scheme://[user]:password@ — the password runs to the last "@" before a space or quote (a bare "@" in a password
# is wrong but common)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]*:)(?P<secret>[^\s'\"]*)@")
# password=… in a query string (up to & or a space) or a conninfo (a 'quoted value' or up to a space)
_KEY_PASSWORD = re.compile(
    r"(?P<head>password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s&'\"]+)", re.IGNORECASE
)

_remembered: set[str] = set()


def remember(*values: str | None) -> None:
    """Treat these values as secrets in every later :func:`mask` of this process."""
    _remembered.update(v for v in values if v)


def url_secrets(url: str | None) -> list[str]:
    """The password(s) a database URL carries (userinfo and ``password=`` values, raw and decoded) that a message
    could echo on their own; a password that also shows in the masked URL (``postgres`` as user and password, or
    in ``postgresql://``) is left out: replacing it would mangle the rest while revealing nothing new."""
    if not url:
        return []
    found: list[str] = []
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=False)
        netloc = parts.netloc
    except ValueError:  # a malformed URL still has its password masked by pattern
        pairs, netloc = [], ""
    userinfo, at, _ = netloc.rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found += [v for k, v in pairs if k.lower() == "password"]
    for m in _URL_PASSWORD.finditer(url):
        found.append(m.group("secret"))
    shown = _mask_patterns(url)
    return [s for v in found if v for s in {v, unquote(v)} if s not in shown]


def secret_values(model: Any) -> list[str]:
    """The values of every :class:`pydantic.SecretStr` field of a pydantic model, nested models included (also
    inside dicts and lists: ``[alerts.channels.NAME]`` tables and their ``headers``)."""
    from pydantic import BaseModel, SecretStr

    def walk(value: Any) -> list[str]:
        if isinstance(value, SecretStr):
            return [value.get_secret_value()]
        if isinstance(value, BaseModel):
            return secret_values(value)
        if isinstance(value, dict):
            return [s for v in value.values() for s in walk(v)]
        if isinstance(value, list | tuple):
            return [s for v in value for s in walk(v)]
        return []

    return [s for name in type(model).model_fields for s in walk(getattr(model, name, None))]


def _mask_patterns(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    return _KEY_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", text)


def mask(text: object, *secrets: str | None) -> str:
    """`text` with every URL password, ``password=`` value and known secret replaced by :data:`MASK`.

    `secrets`: further values to mask in this call (besides the remembered ones).
    """
    out = _mask_patterns(str(text))
    known = set(_remembered).union(s for s in secrets if s)
    for secret in sorted(known, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            out = out.replace(secret, MASK)
    return out


def mask_url(url: str) -> str:
    """A URL with its password masked (for display: `tq db info`, `tq doctor`, `tq demo` …)."""
    return mask(url, *url_secrets(url))


def install_log_masking() -> None:
    """Mask every log record of this process as it is created (any logger, vendor libraries' included); idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's to report, unmasked args dropped
            text = str(record.msg)
        record.msg, record.args = mask(text), None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return record

    factory.masks_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
