"""Pure Plotly figure builders: data in, go.Figure out. No Dash, no I/O."""
