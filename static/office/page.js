// What the page hands the app: its settings (offices/terminal.py _config) and its elements.

export const CONFIG = JSON.parse(document.getElementById("office-config").textContent);

export const $ = (id) => document.getElementById(id);

/** A new element: el("li", {className: "x", textContent: "y"}, child, ...). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
