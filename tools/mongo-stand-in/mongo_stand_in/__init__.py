"""MongoDB stand-in (test infrastructure only): a MongoDB wire-protocol server on the
mongomock engine. Run it with ``python -m mongo_stand_in --port PORT``; see README.md."""
