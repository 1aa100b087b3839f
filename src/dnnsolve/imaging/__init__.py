"""Inverse imaging with untrained networks: operators, networks, metrics, early stopping."""
