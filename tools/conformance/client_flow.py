"""A short flow through the client openapi-python-client generated from the served document:
register, log in, create a category and a product, change its price, and read the product's
audit history oldest first. Front-end teams generate their clients the same way, so the
document must keep generating one that works. scripts/conformance.sh runs this with the
generated package on PYTHONPATH:

    CONFORMANCE_BASE=... CONFORMANCE_ADMIN_EMAIL=... CONFORMANCE_PASSWORD=... python client_flow.py
"""

from __future__ import annotations

import os
import time
import uuid

from stockroom_client import AuthenticatedClient, Client
from stockroom_client.api.audit import list_audit_events
from stockroom_client.api.auth import login, register
from stockroom_client.api.catalog import create_category, create_product, update_product
from stockroom_client.models import (
    CreateCategoryRequest,
    CreateProductRequest,
    ListAuditEventsOrder,
    LoginRequest,
    ProductView,
    RegisterRequest,
    TokenPairView,
    UpdateProductRequest,
    UserView,
)

BASE = os.environ["CONFORMANCE_BASE"]
ADMIN_EMAIL = os.environ["CONFORMANCE_ADMIN_EMAIL"]
PASSWORD = os.environ["CONFORMANCE_PASSWORD"]


def main() -> None:
    anonymous = Client(base_url=BASE)
    stamp = uuid.uuid4().hex[:10]
    email = f"client-flow-{stamp}@example.com"
    user = register.sync(
        client=anonymous,
        body=RegisterRequest(email=email, password=PASSWORD, full_name="Client Flow"),
    )
    assert isinstance(user, UserView), user
    assert user.email == email and user.roles == ["user"], user
    pair = login.sync(client=anonymous, body=LoginRequest(email=email, password=PASSWORD))
    assert isinstance(pair, TokenPairView), pair

    admin_pair = login.sync(client=anonymous, body=LoginRequest(email=ADMIN_EMAIL, password=PASSWORD))
    assert isinstance(admin_pair, TokenPairView), admin_pair
    admin = AuthenticatedClient(base_url=BASE, token=admin_pair.access_token)
    category = create_category.sync(client=admin, body=CreateCategoryRequest(name=f"Client {stamp}"))
    assert getattr(category, "id", None), category
    product = create_product.sync(
        client=admin,
        body=CreateProductRequest(name=f"Client hammer {stamp}", sku=f"CLI-{stamp}", price="12.50", category_id=category.id),
    )
    assert isinstance(product, ProductView) and product.price == "12.50", product
    changed = update_product.sync(product.id, client=admin, body=UpdateProductRequest(price="14.00"), if_match='"1"')
    assert isinstance(changed, ProductView) and changed.price == "14.00" and changed.version == 2, changed

    # The audit events arrive through the outbox: a few seconds at most.
    deadline = time.monotonic() + 20
    while True:
        page = list_audit_events.sync(
            client=admin, target_type="product", target_id=str(product.id), order=ListAuditEventsOrder.ASC
        )
        actions = [event.action for event in page.items]
        if actions == ["product.created", "product.updated"]:
            break
        assert time.monotonic() < deadline, f"the product's history is {actions}"
        time.sleep(0.2)
    change = page.items[1].changes.additional_properties["price"]
    assert (change.from_, change.to) == ("12.50", "14.00"), change
    print("generated client flow: register, login, create, change, history: ok")


if __name__ == "__main__":
    main()
