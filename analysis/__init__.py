"""Pure pandas analysis: weekly bars, indicators, channel, movers, the read. No I/O."""
