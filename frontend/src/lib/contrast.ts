// Colour contrast (WCAG 2.x relative luminance) and the guard that keeps a
// kontask's agent-written HTML readable in either theme. The output is drawn
// on the theme's colours; where the agent set its own background or text
// colour, a pairing that reads below 4.5:1 gets the text colour that reads
// best on what is really behind it.

export type RGBA = [number, number, number, number];

/** The contrast a text role must reach (WCAG AA, normal text). */
export const MIN_CONTRAST = 4.5;

/** Parses a computed colour (rgb(), rgba(), #rgb, #rrggbb); null for anything else. */
export function parseColor(c: string): RGBA | null {
  const s = c.trim().toLowerCase();
  if (s === 'transparent') return [0, 0, 0, 0];
  let m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/.exec(s);
  if (m) {
    const h = m[1].length === 3 ? [...m[1]].map((x) => x + x).join('') : m[1];
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), 1];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (!m) return null;
  let a = m[4] === undefined ? 1 : parseFloat(m[4]);
  if (m[4]?.endsWith('%')) a /= 100;
  return [parseFloat(m[1]), parseFloat(m[2]), parseFloat(m[3]), a];
}

/** top drawn over an opaque bottom. */
export function over(top: RGBA, bottom: RGBA): RGBA {
  const a = top[3];
  return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
}

function channel(v: number): number {
  const c = v / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

export function luminance(c: RGBA): number {
  return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
}

/** The contrast ratio of two opaque colours, 1 to 21. */
export function contrast(a: RGBA, b: RGBA): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/** The first of the candidates that reads on bg, else black or white, whichever reads better. */
export function readableOn(bg: RGBA, ...candidates: RGBA[]): RGBA {
  for (const c of candidates) if (contrast(over(c, bg), bg) >= MIN_CONTRAST) return c;
  const black: RGBA = [0, 0, 0, 1];
  const white: RGBA = [255, 255, 255, 1];
  return contrast(black, bg) >= contrast(white, bg) ? black : white;
}

export function css(c: RGBA): string {
  return `rgb(${Math.round(c[0])} ${Math.round(c[1])} ${Math.round(c[2])})`;
}

/** The opaque colour behind el: its own background and its ancestors', over base. */
export function backgroundOf(el: Element, view: Window, base: RGBA): RGBA {
  const layers: RGBA[] = [];
  for (let e: Element | null = el; e; e = e.parentElement) {
    const c = parseColor(view.getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) {
      layers.push(c);
      if (c[3] >= 1) break;
    }
  }
  let bg = base;
  for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}

/**
 * ensureReadable gives every element of doc that holds text a colour that
 * reads at least MIN_CONTRAST on what is behind it, preferring the theme's
 * own text colour (fg); base is the colour the document is drawn on.
 * Returns how many elements it changed. It only sets colours: the document's
 * scripts do not run (the frame is sandboxed), this page's code does this.
 */
export function ensureReadable(doc: Document, base: RGBA, fg: RGBA): number {
  const view = doc.defaultView;
  if (!view || !doc.body) return 0;
  let changed = 0;
  for (const el of [doc.body, ...doc.body.querySelectorAll('*')]) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim() !== '');
    if (!text) continue;
    const bg = backgroundOf(el, view, base);
    const color = parseColor(view.getComputedStyle(el).color);
    if (color && contrast(over(color, bg), bg) >= MIN_CONTRAST) continue;
    (el as HTMLElement).style.setProperty('color', css(readableOn(bg, fg)), 'important');
    changed++;
  }
  return changed;
}
