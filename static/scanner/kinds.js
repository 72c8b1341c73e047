// What a value read at the door is, before it becomes a scan: a signed ticket or pass code, one of
// our own codes that is not for the door (a phone's or a box office's pairing link, a code of a
// kind this app does not check), or anything else. Only codes and "anything else" go to the
// server (which keeps forgeries as evidence); the others get their own answer on the phone.
import { parseCode } from "./offline.js";
import { CONFIG } from "./page.js";

// tickets/codes.py's shape with any kind letter: ours, but not a ticket (T) or a pass (C).
const OUR_SHAPE_RE = /^[A-Z]\.[A-Za-z0-9-]{1,64}\.[A-Za-z0-9]{1,12}\.[A-Za-z0-9_-]{86}$/;
// The box-office terminal's address (shared/API.md: GET /office/, pairs with ?pair=).
const OFFICE_PATH_RE = /\/office\/?$/;

/** "code" | "pairing" (this app's own pairing link) | "box_office" | "unknown_kind" | "other". */
export function codeKind(value) {
  const text = String(value || "").trim();
  if (parseCode(text)) return "code";
  if (OUR_SHAPE_RE.test(text)) return "unknown_kind";
  let url;
  try {
    url = new URL(text);
  } catch {
    return "other";
  }
  if (OFFICE_PATH_RE.test(url.pathname)) return "box_office";
  if (url.searchParams.has("pair") && url.pathname === CONFIG.scope) return "pairing";
  return "other";
}

/** The phone's own answer for a value it does not send, or null for one it sends. */
export const LOCAL_REASONS = { pairing: "pairing_code", box_office: "box_office_code", unknown_kind: "unknown_kind" };
