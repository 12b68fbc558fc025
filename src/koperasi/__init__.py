"""Koperasi Digital: the platform on which an Indonesian cooperative runs its work."""

__version__ = "0.1.0"
