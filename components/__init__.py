"""Layout factories: each create_*() returns a component tree; ids.py holds every id."""
