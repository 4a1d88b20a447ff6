"""Typical wrong (and correct, differently written) variants for the neuron topic."""
