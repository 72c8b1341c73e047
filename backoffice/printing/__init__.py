"""Printed outputs (issue 17 item 5, docs/adr/0027): tickets (A4 sheets, 80 mm thermal pages),
credential badges and the pairing sheet, as PDF drawn with reportlab.

- `selection.py` which tickets, and the errors; `services.py` the pairing codes a sheet needs;
- `tickets.py`, `badges.py`, `pairing.py` the layouts; `drawing.py` shared drawing helpers;
- `qr.py` the QR encoder fast enough for a whole event; `words.py` every printed word;
- `pdf_response.py` a rendered PDF as an HTTP response.
The API is backoffice/print_api.py, the admin's actions and links backoffice/print_admin.py."""
