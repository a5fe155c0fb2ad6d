"""Resolute: keeps a school district's leadership team on its few priorities."""

__version__ = "0.1.0"
