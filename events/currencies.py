"""The currencies an event may price its tickets in: ISO 4217 codes of money people pay with.

A fixed list (not just "three capital letters") so that a typo such as `EUE` or `USS` is refused
at set-up instead of being printed on ten thousand tickets. It leaves out the ISO codes nobody
sells a ticket in: precious metals, fund and accounting units (XAU, XDR, BOV, CLF, ...), the
testing codes (XTS, XXX) and withdrawn currencies (HRK, SLL, ANG, ZWL, CUC). The database
checks the format only (`event_currency_iso4217`): the list changes with ISO amendments, which
should need a code change, not a schema migration (docs/adr/0024)."""
from __future__ import annotations

DEFAULT_CURRENCY = "EUR"

CURRENCIES: frozenset[str] = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())


def is_currency(code) -> bool:
    return isinstance(code, str) and code in CURRENCIES
