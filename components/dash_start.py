"""Dash's own scripts load once the first chart is painted, not beside it.

A page that lists Dash's scripts (React, the renderer, the component bundles: 2.7 MB) makes
the browser fetch and compile them while plotly.js draws the first chart, and on two cores
the chart waits for them (about 100 ms, bench figure 2). The page keeps Dash's script
elements in a <template> instead, which the browser neither fetches nor runs, and a small
script after the first chart (``assets/dash-start.js``) puts live copies of them in the page
once the chart is on screen: the external ones in their order, then the inline ones
(clientside callbacks, the renderer's start), whose CSP hashes are unchanged.
"""

from __future__ import annotations

from components import ids

SCRIPT = "dash-start.js"


def create_dash_start(dash_scripts: str, start_tag: str) -> str:
    """The page's footer scripts: Dash's ``<script>`` elements (its ``{%scripts%}`` and
    ``{%renderer%}``) held in a template, and the script that starts them (``start_tag``, a
    <script> for ``assets/dash-start.js``)."""
    if "<script" not in dash_scripts:
        raise ValueError("expected Dash's <script> elements, got none")
    if "</template" in dash_scripts:
        raise ValueError("Dash's scripts must not end the <template> that holds them")
    return f'<template id="{ids.DASH_SCRIPTS}">\n{dash_scripts}\n</template>\n{start_tag}'
