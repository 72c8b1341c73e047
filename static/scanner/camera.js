// Continuous QR reading from the rear camera with the barcode-detector ponyfill (ZXing in wasm).
//
// The ponyfill's default is to fetch its .wasm from a CDN; prepareZXingModule points it at the
// copy vendored in static/vendor/barcode-detector (scripts/vendor_scanner.sh), and the page's
// Content-Security-Policy (connect-src 'self') would block any CDN request anyway.
import { BarcodeDetector, prepareZXingModule } from "../vendor/barcode-detector/ponyfill.js";

let detector = null;

/** Starts compiling the wasm now (about a second on a phone), not on the first frame. */
export function prepareReader(wasmUrl) {
  const ready = prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
    fireImmediately: true,
  });
  detector = new BarcodeDetector({ formats: ["qr_code"] });
  return ready;
}

const hasFrameCallback = "requestVideoFrameCallback" in HTMLVideoElement.prototype;

/**
 * Reads QR codes from `video` until stop(). `onCode(value, timing)` gets each decoded value with
 * the frame's timing: `frameAt` is when the frame was captured (or presented), `detectedAt` when
 * ZXing returned, `afterBlank` whether the previous frame examined had no code (so this frame is
 * where the code first appeared), `skipped` how many frames went by unexamined before it.
 */
export class QrCamera {
  constructor(video, onCode, onError) {
    this.video = video;
    this.onCode = onCode;
    this.onError = onError;
    this.stream = null;
    this.running = false;
    this.busy = false;
    this.lastPresented = null;
    this.previousHadCode = true;
    this.stats = { frames: 0, decodeMs: 0 };
  }

  async start() {
    if (this.running) return;
    this.running = true;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      this.running = false;
      this.onError(error);
      return;
    }
    if (!this.running) {
      this.release();
      return;
    }
    this.video.srcObject = this.stream;
    this.video.muted = true;
    this.video.playsInline = true;
    try {
      await this.video.play();
    } catch (error) {
      this.onError(error);
    }
    this.schedule();
  }

  stop() {
    this.running = false;
    this.release();
  }

  release() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  schedule() {
    if (!this.running) return;
    if (hasFrameCallback) this.video.requestVideoFrameCallback((now, meta) => this.frame(now, meta));
    else requestAnimationFrame((now) => this.frame(now, null));
  }

  async frame(now, meta) {
    if (!this.running) return;
    if (this.busy || !detector || this.video.readyState < 2) {
      this.schedule();
      return;
    }
    this.busy = true;
    this.schedule();
    const frameAt = meta ? (meta.captureTime ?? meta.presentationTime ?? now) : now;
    const frameClock = meta ? (meta.captureTime != null ? "capture" : meta.presentationTime != null ? "presentation" : "callback") : "animation-frame";
    const presented = meta ? meta.presentedFrames : null;
    const skipped = presented != null && this.lastPresented != null ? Math.max(0, presented - this.lastPresented - 1) : null;
    this.lastPresented = presented;
    try {
      const started = performance.now();
      const codes = await detector.detect(this.video);
      const detectedAt = performance.now();
      this.stats.frames += 1;
      this.stats.decodeMs += detectedAt - started;
      const afterBlank = !this.previousHadCode;
      this.previousHadCode = codes.length > 0;
      for (const code of codes) {
        this.onCode(code.rawValue, { frameAt, frameClock, detectStartedAt: started, detectedAt, decodeMs: detectedAt - started, afterBlank, skipped });
      }
    } catch (error) {
      // A frame ZXing cannot read is not an error worth stopping for; log the rest.
      if (error && error.name !== "InvalidStateError") console.warn("QR detect failed", error);
    } finally {
      this.busy = false;
    }
  }
}
