"""Batteries for the neuron topic."""
