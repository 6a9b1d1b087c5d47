"""The one private detail of httpx cwdash leans on (see cwdash.store.sources.httpxload).

These tests fail loudly when an httpx upgrade changes it: then either the trick is dead
code (httpx moved its command-line client) or it breaks ``import httpx``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from cwdash.store.sources.httpxload import CLI_MODULE


def test_httpx_still_has_its_command_line_client_where_the_loader_expects_it() -> None:
    probe = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.find_spec({CLI_MODULE!r})
        assert spec is not None, "httpx no longer has {CLI_MODULE}: remove the trick in httpxload"
        import httpx
        assert {CLI_MODULE!r} in sys.modules, "httpx no longer imports {CLI_MODULE} at import: remove the trick"
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_loader_keeps_the_command_line_client_and_rich_out() -> None:
    probe = textwrap.dedent(
        f"""
        import sys
        from cwdash.store.sources.httpxload import load_httpx
        httpx = load_httpx()
        assert sys.modules[{CLI_MODULE!r}] is None, sys.modules[{CLI_MODULE!r}]
        assert "rich" not in sys.modules and "click" not in sys.modules, "httpx loaded its CLI's imports"
        assert httpx.main.__module__ == "httpx", "httpx no longer falls back when its CLI cannot load"
        assert load_httpx() is httpx
        httpx.AsyncClient  # the client cwdash uses is all there
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_httpx_still_reads_proxies_the_way_the_client_factory_expects(monkeypatch) -> None:
    """cwdash.store.sources.client uses httpx's own (private) reading of the proxy variables
    and its URL patterns, so that proxies are chosen exactly as httpx would choose them."""
    from cwdash.store.sources.client import environment_proxies, proxy_for

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example,10.0.0.1")
    proxies = environment_proxies()
    assert proxies["https://"] == "http://proxy.example:3128"
    assert proxies["all://*internal.example"] is None and proxies["all://10.0.0.1"] is None
    assert proxy_for("https://gw.example/v1", proxies) == "http://proxy.example:3128"
    assert proxy_for("https://a.internal.example/v1", proxies) is None
    assert proxy_for("https://notinternal.example/v1", proxies) == "http://proxy.example:3128"
    assert proxy_for("http://gw.example/v1", proxies) is None  # only HTTPS_PROXY is set
