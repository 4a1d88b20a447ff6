"""Batteries for the optimizers topic."""
