"""Lectern: a teaching assistant built from a course's lecture videos."""

__version__ = "0.1.0"
