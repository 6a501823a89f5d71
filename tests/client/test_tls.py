"""TLS failures say so: a real TLS server on loopback with a self-signed certificate made here,
and ``https://`` to the plain-HTTP emulator."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading

import pytest

import alfa_notebook as alfa


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: what a private CA or a proxy's looks like to certifi."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class _Threads(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"threads": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client refusing our certificate is the point of the test


@pytest.fixture(scope="module")
def tls_server(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _QuietServer(("127.0.0.1", 0), _Threads)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_self_signed_certificate_is_named_with_the_fix(tls_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with alfa.AlfaClient(api_key="k", base_url=tls_server) as client:
        with pytest.raises(alfa.TLSError) as info:
            client.threads.list()
    message = str(info.value)
    assert "TLS handshake" in message and "SSL_CERT_FILE" in message
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.reason and "self-signed certificate" in info.value.reason
    assert info.value.reason in message and isinstance(info.value, alfa.APIConnectionError)


def test_ssl_cert_file_is_the_fix_the_message_names(tls_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with alfa.AlfaClient(api_key="k", base_url=tls_server) as client:
        assert client.threads.list() == []


def test_https_to_a_plain_http_server_is_named(alfa_emulator):
    plain = alfa_emulator.base_url.replace("http://", "https://")
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=plain) as client:
        with pytest.raises(alfa.TLSError) as info:
            client.ask("INTC")
    assert "WRONG_VERSION_NUMBER" in info.value.reason or "record layer failure" in info.value.reason
    assert "TLS handshake" in str(info.value) and "base_url should start with http://" in str(info.value)
    assert "SSL_CERT_FILE" not in str(info.value)


def test_the_doctor_says_a_certificate_is_not_trusted_and_why(tls_server, monkeypatch, capsys):
    from alfa_notebook.doctor import main

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("ALFA_API_KEY", "k")
    assert main(["--base-url", tls_server]) == 1
    out = capsys.readouterr().out
    assert "✗ TLS   the certificate is not trusted: self-signed certificate" in out


def test_the_doctor_shows_the_tls_version_and_the_certificate_it_trusts(tls_server, certificate, monkeypatch, capsys):
    from alfa_notebook.doctor import main

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setenv("ALFA_API_KEY", "k")
    assert main(["--base-url", tls_server]) == 0
    out = capsys.readouterr().out
    assert "✓ TLS   TLSv1.3, certificate issued by 127.0.0.1, valid until" in out
    assert "✓ auth  the credential was accepted (GET /threads: 0 threads)" in out
