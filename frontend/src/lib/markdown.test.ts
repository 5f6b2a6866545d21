// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

const remote = 'http://127.0.0.1:9/x';

/** The payloads of issue 25: each made the window fetch with no click. */
const payloads: Record<string, string> = {
  'img src': `<img src="${remote}">`,
  'img srcset': `<img srcset="${remote} 1x, ${remote}2 2x">`,
  'picture source': `<picture><source srcset="${remote}"><img src="${remote}"></picture>`,
  'video poster': `<video poster="${remote}" src="${remote}"></video>`,
  'audio src': `<audio src="${remote}" autoplay></audio><audio><source src="${remote}"></audio>`,
  'svg image': `<svg><image href="${remote}"></image><image xlink:href="${remote}"></image></svg>`,
  'table background': `<table background="${remote}"><tr><td background="${remote}">x</td></tr></table>`,
  'markdown image': `![x](${remote})`,
  'video track': `<video><track src="${remote}"></video>`,
  'svg fill url': `<svg><rect fill="url(${remote}#p)" width="1" height="1"></rect></svg>`,
  'link and meta': `<link rel="stylesheet" href="${remote}"><meta http-equiv="refresh" content="0;url=${remote}">`,
  'object and embed': `<object data="${remote}"></object><embed src="${remote}">`,
};

describe('assistant Markdown keeps no remote source', () => {
  for (const [name, payload] of Object.entries(payloads)) {
    it(`drops the address of ${name}`, () => {
      const html = renderMarkdown('before\n\n' + payload + '\n\nafter');
      expect(html).toContain('before');
      expect(html).not.toContain('127.0.0.1');
    });
  }

  it('keeps data: images, links and their targets', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const html = renderMarkdown(`![dot](${png}) and [a link](https://example.com/page)`);
    expect(html).toContain(`src="${png}"`);
    expect(html).toContain('href="https://example.com/page"');
    expect(html).toContain('rel="noopener noreferrer"');
  });

  it('drops a srcset that hides a remote address after a data: one', () => {
    const html = renderMarkdown(`<img srcset="data:image/png;base64,AAAA 1x, ${remote} 2x">`);
    expect(html).not.toContain('127.0.0.1');
  });
});
