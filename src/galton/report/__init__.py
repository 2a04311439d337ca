"""Plots and reports: the only place galton uses matplotlib."""
