// What the page hands the app: its settings (devices/scanner.py _config) and its elements.

export const CONFIG = JSON.parse(document.getElementById("scanner-config").textContent);

export const $ = (id) => document.getElementById(id);
