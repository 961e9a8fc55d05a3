"""The r2k-dash app factory; ``python app.py`` serves it, ``app:server`` is for gunicorn."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
import flask
from dash import Dash

from analysis.indicators import warm_up
from callbacks import chart, first_fill, internals, movers, refresh, theme, tickers, view
from callbacks.services import Services
from components import dash_start, early_theme, first_chart
from components.layout import create_layout
from components.view_state import parse_query
from hosting.background import background_manager
from hosting.cache import result_cache
from hosting.first_fill import start_first_fill
from hosting.limits import limit_requests, refuse_malformed_callbacks
from hosting.security import ServingRefused, check_serving, protect
from market.data import MarketData
from market.sources import resolve_source
from settings import Settings

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_MAX_AGE = 365 * 24 * 3600
"""Seconds browsers keep ``assets/`` files without asking again."""


class ChartFirstDash(Dash):
    """Dash whose served page carries its first price chart, drawn before Dash starts
    (see ``components/first_chart.py``); ``chart_html`` gives that HTML for the request.
    Dash's scripts load after that chart is painted (see ``components/dash_start.py``)."""

    def __init__(self, chart_html: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chart_html = chart_html

    def _config(self) -> dict[str, Any]:
        """Dash's page config without its copy of the whole layout unless the dev tools show.

        A layout function makes Dash keep the first layout as ``validation_layout`` and put
        it in every page (164 kB here, the first figure included). The renderer uses it only
        to report callback errors, which it shows only with the dev tools UI; without it, it
        checks the layout it has, which holds every id too.
        """
        config: dict[str, Any] = super()._config()
        if not self._dev_tools.ui:
            config.pop("validation_layout", None)
        return config

    def interpolate_index(
        self,
        metas: Any = "",
        title: Any = "",
        css: Any = "",
        config: Any = "",
        scripts: Any = "",
        app_entry: Any = "",
        favicon: Any = "",
        renderer: Any = "",
    ) -> str:
        """The page with the first chart's HTML above the app's entry point, and Dash's
        scripts loaded once that chart is painted."""
        return str(
            super().interpolate_index(
                metas=metas,
                title=title,
                css=css,
                config=config,
                scripts=dash_start.create_dash_start(
                    f"{scripts}\n{renderer}",
                    first_chart.script_tag(
                        ASSETS, dash_start.SCRIPT, self.get_asset_url(dash_start.SCRIPT)
                    ),
                ),
                app_entry=self.chart_html() + str(app_entry),
                favicon=favicon,
                renderer="",
            )
        )


def create_services(settings: Settings) -> Services:
    """Resolve the data source once, warm up the indicators, wrap both for the callbacks.

    The warm-up compiles pandas-ta's numba code (seconds, once per machine) here, at start,
    instead of in the first user's request. Computed results go to the shared result cache.
    The import of a ``csv:DIR`` into the store starts here too, in the background.
    """
    warm_up()
    market = MarketData(resolve_source(settings), history_years=settings.history_years)
    market.import_progress()
    return Services(settings=settings, market=market, cache=result_cache(settings))


def create_app(settings: Settings | None = None, services: Services | None = None) -> Dash:
    """A fresh Dash app with its layout and callbacks; tests pass their own services.

    Bootstrap's CSS is served from ``assets/vendor`` (no CDN: the page must work offline).
    The layout is a function so that every page load shows the data's current freshness.
    Services built here (a server's, not a test's) start the first fill of an empty store.
    """
    settings = settings or Settings()
    if services is None:
        services = create_services(settings)
        start_fill(services)
    bundle = first_chart.plotly_bundle(ASSETS)
    # Loaded by the page's head and its first chart, not at the end with the other assets.
    early = (early_theme.SCRIPT, first_chart.SCRIPT, dash_start.SCRIPT, bundle)
    app = ChartFirstDash(
        lambda: served_chart(services, app, bundle),
        name=__name__,
        title="r2k-dash",
        serve_locally=True,
        background_callback_manager=background_manager(settings),
        assets_ignore="|".join(f"^{re.escape(Path(path).name)}$" for path in early),
    )
    app.index_string = early_theme.with_early_theme(
        app.index_string.replace("<html>", '<html lang="en">', 1),
        app.get_asset_url(early_theme.SCRIPT),
        ASSETS,
    )
    limit_requests(app, settings.max_body_bytes)
    protect(app, settings)
    refuse_malformed_callbacks(app)
    # Assets are linked with their modification time (?m=...): a return visit need not ask.
    app.server.config["SEND_FILE_MAX_AGE_DEFAULT"] = ASSET_MAX_AGE
    app.layout = lambda: page_layout(services)
    view.register(app, services)
    chart.register(app, services)
    movers.register(app, services)
    internals.register(app, services)
    refresh.register(app, services)
    first_fill.register(app, services)
    theme.register(app)
    tickers.register(app, services)
    return app


def start_fill(services: Services) -> threading.Thread | None:
    """Start fetching the universe in the background when the store has none (and the
    settings allow it), so a new server's movers fill without a manual refresh."""
    if not services.settings.fill_on_start:
        return None
    return start_first_fill(services.market.source, services.settings)


def served_chart(services: Services, app: Dash, bundle: str) -> str:
    """The first chart's HTML for the page asked for: its URL's view, drawn as the layout
    will draw it (the same cached figure); only the bundle when it opens on another tab."""
    has_query = flask.has_request_context()
    query = flask.request.query_string.decode("utf-8", "replace") if has_query else ""
    state = parse_query("?" + query, services.default_ticker, date.today())
    return first_chart.create_first_chart(
        None if state.compare is not None else chart.first_chart(services, state),
        first_chart.script_tag(ASSETS, bundle, app.get_asset_url(bundle)),
        first_chart.script_tag(ASSETS, first_chart.SCRIPT, app.get_asset_url(first_chart.SCRIPT)),
    )


def page_query() -> str:
    """The query of the page whose layout is asked for, '' when it cannot be known.

    The page asks for its layout in a second request; its Referer (sent to the same origin,
    see ``hosting.security``) is the page's URL. Without one the page starts on the default
    view, and the view callback moves it to the URL's.
    """
    if not flask.has_request_context():
        return ""
    referrer = urlsplit(flask.request.referrer or "")
    return "?" + referrer.query if referrer.netloc == flask.request.host else ""


def page_layout(services: Services) -> dbc.Container:
    """The page for the URL it was opened at, its chart drawn, so it paints without a callback."""
    state = parse_query(page_query(), services.default_ticker, date.today())
    index_ticker = services.market.index_ticker
    return create_layout(
        services.page_source(),
        index_ticker,
        state,
        chart.first_chart(services, state),
        breadth_shown=internals.shows_breadth(state, index_ticker),
        fill=first_fill.fill_note(services),
    )


def __getattr__(name: str) -> Any:
    """``app.server`` builds the app on first access, so importing this module does no I/O."""
    if name == "server":
        return create_app().server
    raise AttributeError(name)


def serve(settings: Settings) -> None:
    """Serve the dashboard with Dash's built-in server, saying where the data comes from.

    Exits with the reason when the settings would expose it unsafely (see ``check_serving``).
    """
    try:
        check_serving(settings)
    except ServingRefused as error:
        sys.exit(f"r2k-dash: {error}")
    services = create_services(settings)
    source = services.market.source
    print(f"r2k-dash: data from {source.label}" + (f" ({source.note})" if source.note else ""))
    print(f"r2k-dash: open http://{settings.host}:{settings.port}/")
    app = create_app(settings, services)
    start_fill(services)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)


if __name__ == "__main__":
    serve(Settings())
