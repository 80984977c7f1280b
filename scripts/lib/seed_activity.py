"""Seeds activity events for the analytics benchmark, in the stored shape (docs/EVENTS.md,
schema_version 1), straight into MongoDB (the write path is not what is measured).

    seed_activity.py MONGODB_URL DATABASE COUNT DAYS

Events are spread evenly over the last DAYS days: 60% product views (10,000 products in 20
categories), 30% searches (500 terms, a tenth of them finding nothing), 10% sign-ins, by
5,000 users. The same seed gives the same events.
"""

import datetime
import random
import sys
import uuid

from bson.binary import Binary, UuidRepresentation
from pymongo import MongoClient

BATCH = 10_000


def main():
    url, database, count, days = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(42)
    products = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(10_000)]
    categories = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20)]
    users = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(5_000)]
    terms = [f"term {n}" for n in range(500)]
    now = datetime.datetime.now(datetime.timezone.utc)
    span_ms = days * 86_400_000
    collection = MongoClient(url)[database]["activity_events"]

    def event(n):
        at = now - datetime.timedelta(milliseconds=rng.randrange(span_ms))
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        kind = rng.random()
        document = {
            "_id": Binary.from_uuid(uuid.uuid4(), UuidRepresentation.STANDARD),
            "schema_version": 1,
            "occurred_at": at,
            "actor_id": rng.choice(users),
        }
        if kind < 0.6:
            product = rng.randrange(len(products))
            document.update(event_type="product.viewed",
                            subject={"type": "product", "id": products[product]},
                            metadata={"category_id": categories[product % len(categories)]})
        elif kind < 0.9:
            term = rng.randrange(len(terms))
            document.update(event_type="product.searched", subject={"type": "product"},
                            metadata={"q": terms[term], "query": terms[term], "skip": 0,
                                      "limit": 20, "sort": "name",
                                      "total": 0 if term % 10 == 0 else 7})
        else:
            document.update(event_type="auth.login_succeeded",
                            subject={"type": "user", "id": document["actor_id"]}, metadata={})
        return document

    done = 0
    while done < count:
        size = min(BATCH, count - done)
        collection.insert_many([event(done + i) for i in range(size)], ordered=False)
        done += size
    print(done)


if __name__ == "__main__":
    main()
