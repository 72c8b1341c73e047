"""The local certificate authority of `make run` at a venue (docs/adr/0025).

A phone's browser gives a page the camera only over HTTPS (or on localhost), so `make run` can
serve HTTPS on the venue network with a certificate made here by `cryptography` (already a
dependency; nothing is downloaded):

- a CA, made once and kept, so a phone that installed it keeps trusting the server across runs
  and address changes. It is name-constrained to private addresses and local names (plus any
  other host it was first made for): a phone that trusts it cannot be fooled by it for a public
  site, even if the laptop and this key are lost;
- a server certificate for localhost, 127.0.0.1, ::1 and the public host, issued again (with the
  same key) when the host is not among its names or it nears its end.

Files live in one directory (DATA_DIR/tls; private keys 0600) and are written whole (temporary
file, then rename) under a lock, so two copies of `make run` starting at once share one CA.
Run it alone to see what a host would get: `python scripts/tls.py 192.168.1.20`."""
from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
# Apple refuses server certificates valid for more than 825 days, browsers' public CAs may issue
# at most 398: 397 is accepted everywhere. Re-issued when fewer than RENEW_DAYS remain.
SERVER_DAYS = 397
RENEW_DAYS = 30
# Phones with a slightly wrong clock must not see a certificate "from the future".
BACKDATE = dt.timedelta(days=1)
ALWAYS = ("localhost", "127.0.0.1", "::1")
# What the CA may vouch for: loopback, private and link-local networks, carrier-grade NAT and the
# names reserved for local use (a DNS constraint also covers its subdomains: "local" -> x.local).
PRIVATE_NETWORKS = ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                    "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10")
LOCAL_NAMES = ("localhost", "local", "lan", "home.arpa", "internal", "test")

CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "server.pem", "server-key.pem"


@dataclass(frozen=True)
class Certificate:
    directory: Path
    hosts: tuple[str, ...]
    ca_created: bool
    cert_created: bool

    @property
    def ca_path(self) -> Path:
        return self.directory / CA_CERT

    @property
    def cert_path(self) -> Path:
        return self.directory / SERVER_CERT

    @property
    def key_path(self) -> Path:
        return self.directory / SERVER_KEY

    def ca_fingerprint(self) -> str:
        """SHA-256 of the CA certificate, as phones show it (AB:CD:...)."""
        ca = x509.load_pem_x509_certificate(self.ca_path.read_bytes())
        return ca.fingerprint(hashes.SHA256()).hex(":").upper()

    def spki_sha256(self) -> str:
        """base64 SHA-256 of the server key, for Chromium's --ignore-certificate-errors-spki-list."""
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _ip(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def normalise(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".")
    ip = _ip(host)
    return str(ip) if ip is not None else host.lower()


def _general_name(host: str) -> x509.GeneralName:
    ip = _ip(host)
    return x509.IPAddress(ip) if ip is not None else x509.DNSName(host)


def _within(host: str, constraint: x509.GeneralName) -> bool:
    ip = _ip(host)
    if isinstance(constraint, x509.IPAddress):
        net = constraint.value
        return ip is not None and isinstance(net, (ipaddress.IPv4Network, ipaddress.IPv6Network)) \
            and ip.version == net.version and ip in net
    if isinstance(constraint, x509.DNSName) and ip is None:
        base = constraint.value.lower().lstrip(".")
        return host == base or host.endswith("." + base)
    return False


def _ca_covers(ca: x509.Certificate, hosts) -> bool:
    try:
        permitted = ca.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees or []
    except x509.ExtensionNotFound:
        return True
    return all(any(_within(h, c) for c in permitted) for h in hosts)


def _sans(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {d.lower() for d in san.get_values_for_type(x509.DNSName)} | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)}


def _fresh(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS)


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _new_ca(directory: Path, hosts, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    permitted: list[x509.GeneralName] = [x509.DNSName(n) for n in LOCAL_NAMES]
    permitted += [x509.IPAddress(ipaddress.ip_network(n)) for n in PRIVATE_NETWORKS]
    for host in hosts:  # a public address or a real DNS name it is made for: that one host only
        if not any(_within(host, c) for c in permitted):
            ip = _ip(host)
            permitted.append(x509.IPAddress(ipaddress.ip_network(ip)) if ip else x509.DNSName(host))
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"TicketCore local CA ({socket.gethostname()[:32]}, "
                                                f"{now:%Y-%m-%d})"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TicketCore venue mode"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(directory / CA_KEY, _pem_key(key), private=True)
    _write(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _new_server_cert(directory: Path, hosts, ca: x509.Certificate, ca_key, now: dt.datetime) -> None:
    key_path = directory / SERVER_KEY
    if key_path.exists():  # the same key: a pinned SPKI (or an accepted warning's key) stays valid
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        _write(key_path, _pem_key(key), private=True)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[len(ALWAYS)] if len(hosts) > len(ALWAYS)
                                                       else "localhost"),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TicketCore venue mode")]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(directory / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))


def ensure(directory: Path, public_hosts=()) -> Certificate:
    """The CA and a server certificate for localhost plus `public_hosts` in `directory`: the ones
    already there when they still fit, new ones otherwise."""
    hosts = tuple(dict.fromkeys(normalise(h) for h in (*ALWAYS, *public_hosts) if h and h.strip()))
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ca = ca_key = None
        if (directory / CA_CERT).exists() and (directory / CA_KEY).exists():
            ca = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
            if not (_fresh(ca, now) and _ca_covers(ca, hosts)):
                ca = None
        ca_created = ca is None
        if ca is None:
            ca, ca_key = _new_ca(directory, hosts, now)
        cert_created, names = True, hosts
        if (directory / SERVER_CERT).exists() and (directory / SERVER_KEY).exists():
            cert = x509.load_pem_x509_certificate((directory / SERVER_CERT).read_bytes())
            # Names are added, never dropped: two copies sharing this directory with different
            # public hosts would otherwise take turns re-issuing it.
            names = hosts + tuple(sorted(h for h in _sans(cert) - set(hosts) if _ca_covers(ca, [h])))
            try:
                cert.verify_directly_issued_by(ca)
                cert_created = not (_fresh(cert, now) and set(hosts) <= _sans(cert))
            except (InvalidSignature, ValueError, TypeError):  # another CA's
                cert_created = True
        if cert_created:
            if ca_key is None:
                ca_key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
            _new_server_cert(directory, names, ca, ca_key, now)
    return Certificate(directory=directory, hosts=hosts, ca_created=ca_created, cert_created=cert_created)


if __name__ == "__main__":
    made = ensure(Path(os.environ.get("DATA_DIR") or Path(__file__).resolve().parent.parent / ".data") / "tls",
                  sys.argv[1:])
    print(f"{made.cert_path} for {', '.join(made.hosts)}; CA {made.ca_path} (SHA-256 {made.ca_fingerprint()})")
