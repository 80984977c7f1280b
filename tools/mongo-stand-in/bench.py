"""Benchmark: the same workload on plain mongomock 4.3.0 (in-process, "before")
and through the stand-in server with pymongo ("after").

    .venv/bin/python bench.py [--docs 20000] [--mode both|vanilla|server] [--ttl]

Workload: insert N event documents (UUID _id, date, unique ``seq``) in batches
of 100 into a collection with a unique index (and a TTL index with --ttl), then
200 finds by _id, 20 sorted pages (sort occurred_at/_id desc, skip+limit 50),
20 keyset pages, a count, and 20 rounds of one insert followed by a sorted page
(each write invalidates the cached sort order).
"""

import argparse
import datetime
import random
import time
import uuid

import mongomock
from bson.binary import Binary

BASE = datetime.datetime(2024, 1, 1)


def make_batches(n):
    docs = [{'_id': Binary(uuid.uuid4().bytes, 4), 'seq': k, 'kind': f'k{k % 7}',
             'occurred_at': BASE + datetime.timedelta(seconds=k // 3),
             'payload': {'a': k, 'b': 'x' * 50}} for k in range(n)]
    return [docs[i:i + 100] for i in range(0, n, 100)]


def timed(label, func, results):
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    results.append((label, elapsed))
    print(f'  {label:<48} {elapsed:8.2f} s', flush=True)


def workload(coll, n, ttl):
    results = []
    coll.create_index([('seq', 1)], unique=True, name='seq_unique')
    coll.create_index([('occurred_at', -1), ('_id', -1)], name='by_time')
    if ttl:
        coll.create_index([('occurred_at', 1)], expireAfterSeconds=3650 * 86400, name='ttl')
    batches = make_batches(n)
    ids = [d['_id'] for b in batches for d in b]
    sample = random.Random(1).sample(ids, 200)

    def insert():
        for batch in batches:
            coll.insert_many([dict(d) for d in batch], ordered=False)

    def by_id():
        for doc_id in sample:
            assert coll.find_one({'_id': doc_id}) is not None

    def pages():
        for p in range(20):
            page = list(coll.find({}).sort([('occurred_at', -1), ('_id', -1)]).skip(p * 50).limit(50))
            assert len(page) == 50

    def keyset():
        last = None
        for _ in range(20):
            filter_ = {}
            if last is not None:
                filter_ = {'$or': [{'occurred_at': {'$lt': last['occurred_at']}},
                                   {'occurred_at': last['occurred_at'], '_id': {'$lt': last['_id']}}]}
            page = list(coll.find(filter_).sort([('occurred_at', -1), ('_id', -1)]).limit(50))
            assert len(page) == 50
            last = page[-1]

    def write_then_page():
        for i in range(20):
            coll.insert_one({'_id': Binary(uuid.uuid4().bytes, 4), 'seq': n + i, 'kind': 'late',
                             'occurred_at': BASE + datetime.timedelta(seconds=n + i)})
            page = list(coll.find({'kind': {'$ne': 'k1'}}).sort([('occurred_at', -1), ('_id', -1)]).limit(50))
            assert len(page) == 50

    timed(f'insert {n} docs, batches of 100', insert, results)
    timed('200 x find_one by _id', by_id, results)
    timed('20 x sorted page (skip/limit 50)', pages, results)
    timed('20 x keyset page (limit 50)', keyset, results)
    timed('count_documents({kind: k3})', lambda: coll.count_documents({'kind': 'k3'}), results)
    timed('20 x (insert_one + sorted page)', write_then_page, results)
    return results


def run_vanilla(n, ttl):
    print(f'plain mongomock {mongomock.__version__} (in-process, no patches):')
    return workload(mongomock.MongoClient().bench.events, n, ttl)


def run_server(n, ttl):
    from tests.standin_fixture import StandInProcess  # pylint: disable=import-outside-toplevel
    server = StandInProcess()
    try:
        print(f'stand-in server on port {server.port} (pymongo over loopback):')
        with server.client() as client:
            return workload(client.bench.events, n, ttl)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--docs', type=int, default=20000)
    parser.add_argument('--mode', choices=['both', 'vanilla', 'server'], default='server')
    parser.add_argument('--ttl', action='store_true', help='also create a TTL index')
    args = parser.parse_args()
    if args.mode in ('both', 'vanilla'):
        run_vanilla(args.docs, args.ttl)
    if args.mode in ('both', 'server'):
        run_server(args.docs, args.ttl)


if __name__ == '__main__':
    main()
