"""Serving r2k-dash to others: gunicorn, access control, security headers, the shared
result cache and background refresh. Works on the Flask server and settings; no layout."""
