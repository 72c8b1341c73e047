// What the order says to the clerk: one notice at a time, in words, and the words for an API
// call that failed.
import { gettext, interpolate } from "../i18n/gettext.js";
import { $ } from "../dashboard/dom.js";

export function notice(text, kind = "info") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice notice-${kind}`;
  box.hidden = !text;
}

/** An API refusal in words: no answer, a lost session, or the server's own message. */
export function apiProblem(error, what) {
  if (error.status === 0) return interpolate(gettext("No answer from the server: %(what)s Try again."), { what }, true);
  if (error.signedOut) return gettext("Your session has ended: sign in again (the link is at the top).");
  return error.message;
}
