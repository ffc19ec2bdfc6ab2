"""Resource metrics: rolling series of stats samples (anomalies and forecasts come later)."""
