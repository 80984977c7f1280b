"""The stand-in's own tests: ``python -m unittest discover -s tests -t .`` from
tools/mongo-stand-in (with the venv's python)."""
