"""The local CA of venue mode (scripts/tls.py, docs/adr/0025), checked with OpenSSL itself: Python's
ssl module shakes hands with the generated certificate, trusting only the generated CA, as a
phone that installed it does."""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scripts import tls
from tests.servers import ROOT


def sans(path) -> set[str]:
    return tls._sans(x509.load_pem_x509_certificate(path.read_bytes()))


def handshake(made: tls.Certificate, server_hostname: str, *, cert=None, key=None) -> None:
    """A TLS handshake in memory: the server presents the certificate, the client trusts only
    the CA and checks the name, as a browser does. Raises ssl.SSLCertVerificationError."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert or made.cert_path, key or made.key_path)
    client_ctx = ssl.create_default_context(cafile=str(made.ca_path))
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=server_hostname)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, end in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
            s_in.write(c_out.read())
            c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def test_certificate_names_the_public_host_and_is_reused(tmp_path):
    directory = tmp_path / "tls"
    first = tls.ensure(directory, ["192.168.1.20"])
    assert first.ca_created and first.cert_created
    assert {"localhost", "127.0.0.1", "::1", "192.168.1.20"} <= sans(first.cert_path)
    for name in ("192.168.1.20", "localhost", "127.0.0.1"):
        handshake(first, name)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(first, "192.168.1.21")  # not one of its names
    assert (directory / "ca-key.pem").stat().st_mode & 0o077 == 0
    assert (directory / "server-key.pem").stat().st_mode & 0o077 == 0

    files = {p.name: p.read_bytes() for p in directory.glob("*.pem")}
    again = tls.ensure(directory, ["192.168.1.20"])
    assert not again.ca_created and not again.cert_created
    assert {p.name: p.read_bytes() for p in directory.glob("*.pem")} == files  # nothing rewritten
    assert again.ca_fingerprint() == first.ca_fingerprint() and again.spki_sha256() == first.spki_sha256()


def test_a_new_address_gets_a_new_certificate_from_the_same_ca(tmp_path):
    """The venue's DHCP gave the laptop another address: phones that installed the CA keep
    trusting it, and a pinned server key stays the same."""
    directory = tmp_path / "tls"
    first = tls.ensure(directory, ["192.168.1.20"])
    ca_before = first.ca_path.read_bytes()
    moved = tls.ensure(directory, ["10.0.0.7"])
    assert not moved.ca_created and moved.cert_created
    assert moved.ca_path.read_bytes() == ca_before
    assert moved.spki_sha256() == first.spki_sha256()
    assert {"10.0.0.7", "192.168.1.20"} <= sans(moved.cert_path)  # names are added, not swapped
    handshake(moved, "10.0.0.7")
    handshake(moved, "192.168.1.20")


def test_the_ca_cannot_vouch_for_a_public_site(tmp_path):
    """Name constraints: a phone that trusts this CA is not exposed to it for other sites, even
    if the laptop (and the CA key) is lost. OpenSSL refuses a certificate the CA's own key signs
    for a public name."""
    made = tls.ensure(tmp_path / "tls", ["192.168.1.20"])
    ca = x509.load_pem_x509_certificate(made.ca_path.read_bytes())
    ca_key = serialization.load_pem_private_key((made.directory / "ca-key.pem").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    forged = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")]))
              .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    cert, key_pem = tmp_path / "forged.pem", tmp_path / "forged-key.pem"
    cert.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    with pytest.raises(ssl.SSLCertVerificationError, match="(?i)name constraint|permitted"):
        handshake(made, "www.example.com", cert=cert, key=key_pem)


def test_a_host_outside_the_private_ranges_gets_a_ca_that_names_it(tmp_path):
    """A public address (or a real DNS name) is allowed, but only that one host is added to the
    constraints; asking for a host the CA does not cover makes a new CA."""
    directory = tmp_path / "tls"
    before = tls.ensure(directory, ["192.168.1.20"]).ca_fingerprint()
    public = tls.ensure(directory, ["198.51.100.7"])
    assert public.ca_created and public.ca_fingerprint() != before
    handshake(public, "198.51.100.7")
    handshake(public, "192.168.1.20")
    ca = x509.load_pem_x509_certificate(public.ca_path.read_bytes())
    permitted = ca.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees
    assert x509.IPAddress(ipaddress.ip_network("198.51.100.7/32")) in permitted
    assert not any(isinstance(p, x509.IPAddress) and p.value.num_addresses > 1
                   and ipaddress.ip_address("198.51.100.8") in p.value for p in permitted)


def test_two_copies_starting_at_once_share_one_ca(tmp_path):
    """Two `make run` of one checkout start together: the lock makes one CA, and each server
    certificate is that CA's."""
    directory = tmp_path / "data"
    procs = [subprocess.Popen([sys.executable, "scripts/tls.py", host], cwd=ROOT, env={"DATA_DIR": str(directory)},
                              stdout=subprocess.PIPE, text=True) for host in ("192.168.1.20", "192.168.1.30")]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    fingerprints = {line.rsplit("SHA-256 ", 1)[1] for line in outputs}
    assert len(fingerprints) == 1, outputs
    made = tls.ensure(directory / "tls", ["192.168.1.20", "192.168.1.30"])
    assert not made.ca_created and not made.cert_created  # the second copy added its name
    handshake(made, "192.168.1.20")
    handshake(made, "192.168.1.30")
