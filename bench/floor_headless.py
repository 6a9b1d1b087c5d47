"""The headless floor: a process that only imports cwdash's run-time libraries and exits."""

import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
import dotenv  # noqa: F401
import httpx  # noqa: F401
import sqlite_utils  # noqa: F401
