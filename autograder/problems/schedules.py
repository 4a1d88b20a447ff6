"""Batteries for the schedules topic."""
