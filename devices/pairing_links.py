"""Where a pairing link or QR opens: the door scanner (/scanner/?pair=) for scanner phones, the
box-office terminal (/office/?pair=) for an office's device. The one place these URLs are built:
the API's `pairing_url`, the admin's QR codes and the printed pairing sheet all come here."""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from core.urls import public_url
from devices.models import Device
from devices.vocabulary import DeviceRole


def pairing_path(code: str, *, role: str) -> str:
    """`/office/?pair=CODE` for a box office's device, `/scanner/?pair=CODE` for any other."""
    app = reverse("office" if role == DeviceRole.OFFICE else "scanner")
    return f"{app}?{urlencode({'pair': code})}"


def pairing_url(request, code: str, role: str | None = None) -> str:
    """The absolute pairing link; without `role`, the device that holds this code decides."""
    if role is None:
        role = Device.objects.filter(pairing_code=code).values_list("role", flat=True).first() or DeviceRole.STEWARD
    return public_url(pairing_path(code, role=role), request)
