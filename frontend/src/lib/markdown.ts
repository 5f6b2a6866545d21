// Markdown for assistant text: marked renders, DOMPurify sanitises (the
// text comes from a model and may carry HTML).
import { Marked } from 'marked';
import DOMPurify from 'dompurify';

const marked = new Marked({ gfm: true, breaks: false, async: false });

/**
 * Attributes that make the page fetch something as soon as it is shown,
 * with no click: a prompt-injected model could put the conversation into
 * such an address and send it out. Only data: sources are kept.
 */
const SOURCE_ATTRIBUTES = ['src', 'srcset', 'poster', 'background', 'lowsrc', 'dynsrc', 'data', 'imagesrcset', 'action', 'formaction', 'ping', 'href', 'xlink:href', 'codebase', 'cite', 'longdesc', 'manifest', 'icon'];

/** Elements whose href is a link, followed only when clicked. */
const LINKS = new Set(['a', 'area']);

function isData(value: string): boolean {
  return /^\s*data:/i.test(value) && !/,\s*\S+:\/\//.test(value.replace(/^\s*data:[^,]*,/, ''));
}

/** Removes every attribute of node that could fetch a non-data: address. */
export function dropRemoteSources(node: Element): void {
  const tag = node.tagName.toLowerCase();
  for (const attr of Array.from(node.attributes)) {
    const name = attr.name.toLowerCase();
    if ((name === 'href' || name === 'xlink:href') && LINKS.has(tag)) continue;
    // A CSS url() in any attribute (an SVG fill or filter) is a fetch too.
    const remote = SOURCE_ATTRIBUTES.includes(name) ? !isData(attr.value) : /url\s*\(/i.test(attr.value) && !/url\s*\(\s*['"]?\s*(data:|#)/i.test(attr.value);
    if (remote) node.removeAttribute(attr.name);
  }
}

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Not instanceof Element: the nodes come from DOMPurify's own document.
  if (node.nodeType !== 1) return;
  dropRemoteSources(node as Element);
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input', 'iframe', 'link', 'meta', 'base', 'object', 'embed'], FORBID_ATTR: ['style'] });
}
