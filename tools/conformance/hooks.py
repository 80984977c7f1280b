"""Schemathesis hooks for scripts/conformance.sh (loaded with SCHEMATHESIS_HOOKS=hooks).

The OpenAPI document states every rule one value can be checked against (types, lengths,
patterns, enums: each field's domain type states its own). A few documented rules depend on two values at
once or on stored data, which JSON Schema cannot say. Left alone, schemathesis generates
"valid" requests that break them and counts the service's 422 as a failure of the
positive_data_acceptance check. Rather than switch the check off or add 422 to its expected
statuses (which would hide real rejections of valid data), this hook makes the generated
*valid* requests keep those rules; invalid (negative) requests are left untouched, so the
service is still tested against them. Each rule, with where the contract states it:

- `from` < `to` and at most 92 days apart on /analytics/* (API.md: analytics windows);
  `from` <= `to` on /audit-events and in the body of POST /audit-events/export-links (422
  otherwise);
- `min_price` <= `max_price` on GET /products;
- `cursor` is opaque: only the service issues valid ones, so valid requests start at the
  first page (a made-up cursor is 422 by contract);
- `category_id` must name an existing category and `supplier_id` a live supplier (422
  otherwise): the scratch category and supplier the script created;
- role names in PUT /users/{id}/roles must exist (422 otherwise): the built-in ones;
- POST /users/me/password needs the caller's real current password (422 otherwise) and a new
  one that differs; a change ends every session of its caller, so valid changes are sent as a
  dedicated account (logged in afresh for each call, its password alternating between two),
  and the admin token stays usable for the whole run.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import gzip
import json
import urllib.request
from pathlib import Path

import requests
import schemathesis

CATEGORY_ID = os.environ["CONFORMANCE_CATEGORY_ID"]
SUPPLIER_ID = os.environ["CONFORMANCE_SUPPLIER_ID"]
PASSWORD = os.environ["CONFORMANCE_PASSWORD"]
BASE = os.environ["CONFORMANCE_BASE"]
CHANGER_EMAIL = os.environ["CONFORMANCE_CHANGER_EMAIL"]
PASSWORD_CHANGE = "/api/v1/users/me/password"
# The dedicated account's password now, and how many changes it has seen.
_changer = {"password": PASSWORD, "changes": 0}
# The service refuses these (src/domain/common_passwords.rs); a generated valid password
# that happens to be one is replaced.
_COMMON_LIST = Path(__file__).resolve().parents[2] / "src" / "domain" / "common-passwords.txt.gz"
with gzip.open(_COMMON_LIST, "rt", encoding="utf-8") as _file:
    COMMON_PASSWORDS = {line.strip().lower() for line in _file if line.strip()}
BUILT_IN_ROLES = ["manager", "user"]
ANALYTICS_WINDOW = timedelta(days=92)


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _keep_window(query: dict, *, strict: bool, longest: timedelta | None) -> None:
    start, end = _instant(query.get("from")), _instant(query.get("to"))
    if start is None or end is None:
        return
    if start > end:
        query["from"], query["to"] = query["to"], query["from"]
        start, end = end, start
    if strict and start == end or longest is not None and end - start > longest:
        try:
            query["to"] = _rfc3339(start + timedelta(hours=1))
        except OverflowError:  # `from` at the end of time: move it instead
            query["from"] = _rfc3339(end - timedelta(hours=1))


def _keep_price_range(query: dict) -> None:
    try:
        low, high = Decimal(str(query["min_price"])), Decimal(str(query["max_price"]))
    except (KeyError, InvalidOperation):
        return
    if low > high:
        query["min_price"], query["max_price"] = query["max_price"], query["min_price"]


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive:
        _keep_rules(case)
    return case


@schemathesis.hook
def before_add_examples(context, examples):
    # Examples are valid requests by definition (the document's own examples, completed).
    for case in examples:
        _keep_rules(case)


def _keep_rules(case) -> None:
    path, method = case.path, case.method.upper()
    query = case.query
    if isinstance(query, dict):
        query.pop("cursor", None)
        if path.startswith("/api/v1/analytics/"):
            _keep_window(query, strict=True, longest=ANALYTICS_WINDOW)
        elif path.startswith("/api/v1/audit-events"):
            _keep_window(query, strict=False, longest=None)
        elif path == "/api/v1/products":
            _keep_price_range(query)
    body = case.body
    if isinstance(body, dict):
        if method == "POST" and path == "/api/v1/audit-events/export-links":
            _keep_window(body, strict=False, longest=None)
        if body.get("category_id") is not None:
            body["category_id"] = CATEGORY_ID
        if body.get("supplier_id") is not None and path.startswith("/api/v1/products"):
            body["supplier_id"] = SUPPLIER_ID
        if method == "PUT" and path == "/api/v1/users/{id}/roles" and isinstance(body.get("roles"), list):
            body["roles"] = BUILT_IN_ROLES[: len(body["roles"])]
        if method == "POST" and path == PASSWORD_CHANGE:
            # The real password marks the change for `before_call`, which sends it as the
            # dedicated account with a new password that is valid and its own.
            body["current_password"] = PASSWORD
        password = body.get("password")
        if method == "POST" and path == "/api/v1/auth/register" and isinstance(password, str):
            if password.strip().lower() in COMMON_PASSWORDS:
                body["password"] = PASSWORD


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _changer_token() -> str:
    request = urllib.request.Request(
        f"{BASE}/api/v1/auth/login",
        data=json.dumps({"email": CHANGER_EMAIL, "password": _changer["password"]}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def _drops_authorization(case) -> bool:
    """A coverage case that sends no Authorization header (the service must answer 401)."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    return (getattr(data, "parameter", None) or "").lower() == "authorization" and str(
        getattr(data, "scenario", "")
    ) == "missing_parameter"


@schemathesis.hook
def before_call(context, case, kwargs):
    """Any password change carrying the real password goes to the dedicated account, so no
    case can change the admin's password (which would end the run's admin token)."""
    body = case.body
    if not (
        case.method.upper() == "POST"
        and case.path == PASSWORD_CHANGE
        and isinstance(body, dict)
        and body.get("current_password") == PASSWORD
    ):
        return
    if _drops_authorization(case):
        return
    body["current_password"] = _changer["password"]
    if case.meta is not None and case.meta.generation.mode.is_positive:
        body["new_password"] = f"{PASSWORD} change {_changer['changes'] + 1}"
    # Headers given to the run (`-H`, the admin token) win over a case's own; a requests
    # auth object is applied last, so it is what replaces the token for this call.
    object.__setattr__(case, "_auth", _Bearer(_changer_token()))


@schemathesis.hook
def after_call(context, case, response):
    body = case.body
    if (
        case.method.upper() == "POST"
        and case.path == PASSWORD_CHANGE
        and response.status_code == 204
        and isinstance(body, dict)
        and body.get("current_password") == _changer["password"]
    ):
        _changer["password"] = body["new_password"]
        _changer["changes"] += 1
