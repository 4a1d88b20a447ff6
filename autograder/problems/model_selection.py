"""Batteries for the model_selection topic."""
