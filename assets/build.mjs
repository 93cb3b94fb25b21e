// Copies the npm packages the pages use into static/build/ so nothing is loaded from a CDN.
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "build");
const nm = join(root, "node_modules");

const copies = [
  ["htmx.org/dist/htmx.min.js", "vendor/htmx.min.js"],
  ["@alpinejs/csp/dist/cdn.min.js", "vendor/alpine-csp.min.js"],
  // Agora Web SDKs for voice/video rooms (UMD builds: globals AgoraRTC, then AgoraRTM which needs it).
  ["agora-rtc-sdk-ng/AgoraRTC_N-production.js", "vendor/agora-rtc.js"],
  ["agora-rtm-sdk/agora-rtm.js", "vendor/agora-rtm.js"],
  ["@fontsource/alex-brush/files/alex-brush-latin-400-normal.woff2", "fonts/alex-brush-latin-400-normal.woff2"],
  ["@fontsource/alex-brush/files/alex-brush-latin-ext-400-normal.woff2", "fonts/alex-brush-latin-ext-400-normal.woff2"],
];
for (const weight of ["400", "600", "700"]) {
  for (const style of ["normal", "italic"]) {
    for (const subset of ["latin", "latin-ext"]) {
      const name = `playfair-display-${subset}-${weight}-${style}.woff2`;
      copies.push([`@fontsource/playfair-display/files/${name}`, `fonts/${name}`]);
    }
  }
}
for (const [from, to] of copies) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  cpSync(join(nm, from), join(out, to));
}
console.log(`copied ${copies.length} files into static/build/`);
