"""Rollup progress for the analytics benchmark.

    rollup_status.py MONGODB_URL DATABASE wait TIMEOUT_SECONDS
        waits until activity_rollups are complete up to the current UTC hour (exit 1 on timeout)
    rollup_status.py MONGODB_URL DATABASE counts FROM_ISO TO_ISO
        prints how many raw events and how many rollup documents of each kind lie in [FROM, TO)
"""

import datetime
import sys
import time

from pymongo import MongoClient


def parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def main():
    url, database, command = sys.argv[1], sys.argv[2], sys.argv[3]
    db = MongoClient(url, tz_aware=True)[database]
    if command == "wait":
        deadline = time.monotonic() + float(sys.argv[4])
        while time.monotonic() < deadline:
            open_hour = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
            mark = db.event_store_meta.find_one({"_id": "activity_rollups"}) or {}
            if mark.get("closed_through") and mark["closed_through"] >= open_hour:
                return 0
            time.sleep(1)
        return 1
    start, end = parse(sys.argv[4]), parse(sys.argv[5])
    raw = db.activity_events.count_documents({"occurred_at": {"$gte": start, "$lt": end}})
    kinds = {}
    for row in db.activity_rollups.aggregate([
            {"$match": {"start": {"$gte": start, "$lt": end}}},
            {"$group": {"_id": {"kind": "$kind", "unit": "$unit"}, "n": {"$sum": 1}}}]):
        kinds[f"{row['_id']['kind']}/{row['_id']['unit']}"] = row["n"]
    print(f"raw events {raw}; rollups " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
