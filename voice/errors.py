"""Typed errors of the voice package; the CLI turns each into one line."""

from __future__ import annotations


class VoiceError(RuntimeError):
    """Speech could not be synthesised (a model is missing, a backend failed)."""


class EnrollmentError(VoiceError):
    """No usable reference speech was found, or a source could not be read."""


class ProfileError(VoiceError):
    """A voice profile is missing, incomplete or of an unsupported version."""
