"""The one test of "the page holds these rows already", shared by the movers and the screen."""

from __future__ import annotations

import pytest

from callbacks.sent_rows import already_sent


def test_rows_are_sent_again_only_under_another_key():
    assert already_sent("screen-abc", "screen-abc")
    assert not already_sent("screen-abc", "screen-abd")
    assert not already_sent(None, "screen-abc"), "nothing sent yet: a store's first value"


def test_a_missing_wanted_key_is_refused():
    with pytest.raises(ValueError, match="non-empty string"):
        already_sent(None, "")
