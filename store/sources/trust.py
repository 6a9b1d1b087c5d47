"""Which certificates a TLS connection trusts: the operating system's, certifi's, and
the CA bundle the operator names.

Why truststore: a CA an operator's company installs lands in the operating system's
trust store (``update-ca-certificates``, the macOS keychain, the Windows store), not
in certifi's copy of Mozilla's list. ``truststore`` verifies through the OS on macOS
and Windows (the only way to reach the keychain or the Windows store) and, on Linux,
through OpenSSL's default paths, which honour ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``.
``ssl.create_default_context`` alone would cover Linux only. certifi's bundle is
added as well (it is what worked before: a slim container without system CAs still
reaches a public gateway), and ``CWDASH_CA_FILE`` adds the operator's own bundle.

There is no way to turn verification off: a gateway with a self-signed certificate
is trusted by naming that certificate (or its CA) in ``CWDASH_CA_FILE``.
"""

from __future__ import annotations

import os
import ssl
import threading
from dataclasses import dataclass

CA_FILE_VAR = "CWDASH_CA_FILE"

_lock = threading.Lock()
_contexts: dict[str | None, ssl.SSLContext] = {}


class CaFileError(ValueError):
    """``CWDASH_CA_FILE`` names something that is not a readable PEM bundle."""


def ca_file_problem(path: str) -> str | None:
    """Why ``path`` cannot be ``CWDASH_CA_FILE``, or None; cheap (no certificate parsed)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        return f"{CA_FILE_VAR}={path}: {exc.strerror or exc}"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return f"{CA_FILE_VAR}={path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The one client TLS context for ``ca_file`` (made once per process: loading the
    bundles costs milliseconds). Raises CaFileError when ``ca_file`` cannot be loaded."""
    with _lock:
        ctx = _contexts.get(ca_file)
        if ctx is None:
            ctx = _contexts[ca_file] = _build(ca_file)
        return ctx


def _build(ca_file: str | None) -> ssl.SSLContext:
    import certifi
    import truststore

    ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=certifi.where())
    if ca_file:
        problem = ca_file_problem(ca_file)
        if problem:
            raise CaFileError(problem)
        try:
            ctx.load_verify_locations(cafile=ca_file)
        except (ssl.SSLError, OSError) as exc:
            raise CaFileError(f"{CA_FILE_VAR}={ca_file} cannot be loaded: {exc}") from None
    return ctx


def forget() -> None:
    """Drop the cached contexts (tests that change SSL_CERT_FILE between reads)."""
    with _lock:
        _contexts.clear()


@dataclass(frozen=True)
class TrustSources:
    """What a connection trusts, for ``cwdash doctor`` and ``-v``: names and paths only."""

    ca_file: str | None
    ssl_cert_file: str | None
    ssl_cert_dir: str | None

    def describe(self) -> str:
        parts = ["the system trust store", "certifi"]
        if self.ssl_cert_file:
            parts.append(f"SSL_CERT_FILE={self.ssl_cert_file}")
        if self.ssl_cert_dir:
            parts.append(f"SSL_CERT_DIR={self.ssl_cert_dir}")
        if self.ca_file:
            parts.append(f"{CA_FILE_VAR}={self.ca_file}")
        return ", ".join(parts)


def trust_sources(ca_file: str | None, env: dict[str, str] | None = None) -> TrustSources:
    env = dict(os.environ) if env is None else env
    return TrustSources(ca_file, env.get("SSL_CERT_FILE") or None, env.get("SSL_CERT_DIR") or None)
