"""The staff sales desk (issue 18 item 2, docs/adr/0032): the virtual office as a page people sell
with, by phone or at a desk, at /desk/events/{event_id}/ (staff session).

The page (templates/desk/, static/desk/) is also the reference client for an organiser's web shop:
everything it does goes through the public API (seats, holds, checkout, release, sales, the QR
and PDF of tickets) and the live feed (`sales` changes seat by seat); the one thing the API
lacked, emailing the buyer their tickets, is `POST /api/v1/events/{id}/emails` (api.py, mail.py).

A package of backoffice, the top app layer, rather than an app of its own: it reuses backoffice's
printed tickets, owns no model, and needs no new layer in INSTALLED_APPS."""
