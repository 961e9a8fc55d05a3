"""Market data: providers, the Russell 2000 universe, the on-disk store. No Dash here."""
