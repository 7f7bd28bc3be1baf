"""ServeConfig: how `lectern serve` runs, frozen and strict about unknown keys.

Read from the "serve" section of $LECTERN_HOME/config.json, then the
environment (the instructor password belongs in the environment or a
secrets manager, not in a file next to the data), then CLI overrides.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from lectern import config as cfgmod
from lectern.library import Library

PASSWORD_ENV = "LECTERN_INSTRUCTOR_PASSWORD"
USER = "instructor"   # the login page asks for a name; only this one is accepted


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"       # loopback by default: exposing the app is an explicit choice
    port: int = 7860
    # The instructor password. "" means none configured: the instructor view then
    # refuses every login (a random one-time password is never invented silently).
    password: str = ""
    concurrency: int = 1          # answers generated at once: llama.cpp runs one at a time anyway
    max_queue: int = 32           # students waiting beyond this are told to retry
    voice: bool = True            # speak answers in the instructor's (synthesized) voice
    autoplay: bool = True         # the default of the page's autoplay switch
    max_upload_mb: int = 2048
    title: str = "Lectern"
    # Students sign in with the accounts of `lectern students add`, and the question log
    # keeps who asked. Off: no sign-in, and no identity is ever stored.
    sign_in: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise cfgmod.ConfigError(f"serve.port {self.port}: expected 1..65535")
        if self.concurrency < 1 or self.max_queue < 1 or self.max_upload_mb < 1:
            raise cfgmod.ConfigError("serve.concurrency, max_queue and max_upload_mb must be >= 1")

    def password_ok(self, user: str, password: str) -> bool:
        # compare_digest: the time taken must not tell how much of a guess was right
        return bool(self.password) and user == USER and secrets.compare_digest(
            password.encode(), self.password.encode())


def load_config(lib: Library, **overrides: Any) -> ServeConfig:
    data = dict(cfgmod.load_file(lib.config_file).get("serve", {}))
    if os.environ.get(PASSWORD_ENV):
        data["password"] = os.environ[PASSWORD_ENV]
    data.update({k: v for k, v in overrides.items() if v is not None})
    return cfgmod.from_dict(ServeConfig, data)
