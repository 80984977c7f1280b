"""Schemathesis hooks for scripts/conformance.sh (loaded with SCHEMATHESIS_HOOKS=hooks).

The OpenAPI document states every rule one value can be checked against (types, lengths,
patterns, enums; see src/api/spec_rules.rs). A few documented rules depend on two values at
once or on stored data, which JSON Schema cannot say. Left alone, schemathesis generates
"valid" requests that break them and counts the service's 422 as a failure of the
positive_data_acceptance check. Rather than switch the check off or add 422 to its expected
statuses (which would hide real rejections of valid data), this hook makes the generated
*valid* requests keep those rules; invalid (negative) requests are left untouched, so the
service is still tested against them. Each rule, with where the contract states it:

- `from` < `to` and at most 92 days apart on /analytics/* (API.md: analytics windows);
  `from` <= `to` on /audit-events (422 otherwise);
- `min_price` <= `max_price` on GET /products;
- `cursor` is opaque: only the service issues valid ones, so valid requests start at the
  first page (a made-up cursor is 422 by contract);
- `category_id` must name an existing category (422 otherwise): the scratch category the
  script created;
- role names in PUT /users/{id}/roles must exist (422 otherwise): the built-in ones;
- POST /users/me/password needs the caller's real current password (422 otherwise); the new
  password is the same one, so the admin token's account stays usable for the whole run.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import schemathesis

CATEGORY_ID = os.environ["CONFORMANCE_CATEGORY_ID"]
PASSWORD = os.environ["CONFORMANCE_PASSWORD"]
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
        if body.get("category_id") is not None:
            body["category_id"] = CATEGORY_ID
        if method == "PUT" and path == "/api/v1/users/{id}/roles" and isinstance(body.get("roles"), list):
            body["roles"] = BUILT_IN_ROLES[: len(body["roles"])]
        if method == "POST" and path == "/api/v1/users/me/password":
            body["current_password"] = PASSWORD
            body["new_password"] = PASSWORD
