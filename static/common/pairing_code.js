// Pairing codes of TicketCore's device apps: the one-time code an admin hands a device, typed or
// read from a QR that encodes the app's link (/scanner/?pair=CODE, /office/?pair=CODE).
// Leaf module: imports nothing.

// Where the box-office terminal keeps its pairing (static/office/store.js); the door scanner
// hands over a box-office code typed into it (static/scanner/pairing.js).
export const OFFICE_DEVICE_KEY = "tc.office.device";
export const OFFICE_PATH = "/office/";

/** The code in a pairing URL or typed by hand, normalised; null when it cannot be one. */
export function extractPairingCode(value) {
  const text = String(value || "").trim();
  try {
    const url = new URL(text);
    const code = url.searchParams.get("pair");
    if (code) return code.trim();
  } catch {
    /* not a URL: maybe the bare code */
  }
  return /^[A-Za-z0-9 -]{4,24}$/.test(text) ? text.replace(/[\s-]/g, "").toUpperCase() : null;
}

/** The device the pairing answer describes, as the apps store it. */
export function pairedDevice(body) {
  return {
    device_id: body.device_id, token: body.token, role: body.role, event: body.event,
    checkpoint: body.checkpoint || null, office: body.office || null, paired_at: new Date().toISOString(),
  };
}
