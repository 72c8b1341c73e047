// A beep and a buzz for every result, so a steward looking at the crowd, not the phone, knows.
// Browsers start audio only after a user gesture: the first tap anywhere unlocks it.

let audio = null;

function context() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    audio = new Ctx();
  }
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

export function unlockAudio() {
  context();
}

function tone(ctx, start, frequency, duration, type = "sine", volume = 0.25) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(volume, start + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + duration + 0.02);
}

// Four answers a steward must tell apart without looking, by ear and by the buzz in the hand.
const PATTERNS = {
  // one short high beep, one short buzz: in
  accepted: { tones: [[1320, 0.12, "sine"]], vibrate: [70] },
  // high then lower ("ding-dong"), two short buzzes: let in, but checked on this phone
  queued: { tones: [[1320, 0.1, "sine"], [880, 0.18, "sine"]], vibrate: [70, 90, 70] },
  // three low harsh buzzes, two long ones in the hand: stop
  rejected: { tones: [[196, 0.16, "square"], [175, 0.16, "square"], [147, 0.3, "square"]], vibrate: [300, 120, 300] },
  // two plain mid beeps, one long buzz: nothing decided, look at the phone (no ticket list yet)
  unchecked: { tones: [[523, 0.14, "triangle"], [523, 0.14, "triangle"]], vibrate: [500] },
};

// What was signalled, newest last (read by the browser tests through window.__scanner).
export const played = [];

export function signal(kind) {
  const pattern = PATTERNS[kind] || PATTERNS.rejected;
  played.push({ kind, at: performance.now(), tones: pattern.tones.map((t) => t[0]), vibrate: pattern.vibrate });
  if (played.length > 100) played.splice(0, 50);
  try {
    if (navigator.vibrate) navigator.vibrate(pattern.vibrate);
  } catch {
    /* vibration is a bonus */
  }
  const ctx = context();
  if (!ctx || ctx.state !== "running") return;
  let at = ctx.currentTime;
  for (const [frequency, duration, type] of pattern.tones) {
    tone(ctx, at, frequency, duration, type, type === "square" ? 0.12 : 0.25);
    at += duration + 0.05;
  }
}
