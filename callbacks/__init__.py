"""Callback wiring, one module per area, each exposing register(app, services)."""
