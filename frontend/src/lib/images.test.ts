import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_BYTES, readImages, sniffImage, toBase64 } from './images';

const bytes = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const file = (name: string, b: Uint8Array, size = b.length) => ({ name, size, arrayBuffer: async () => b.buffer as ArrayBuffer });

describe('prompt images', () => {
  it('knows the four types from their bytes, not their names', () => {
    expect(sniffImage(bytes('\x89PNG\r\n\x1a\n....'))).toBe('image/png');
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImage(bytes('GIF89a..'))).toBe('image/gif');
    expect(sniffImage(bytes('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImage(bytes('RIFF\0\0\0\0WAVE'))).toBe('');
    expect(sniffImage(bytes('#!/bin/sh'))).toBe('');
  });

  it('encodes base64 as btoa does, in chunks for big images', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });

  it('refuses what Konsole would refuse, each with its reason', async () => {
    const png = bytes('\x89PNG\r\n\x1a\nrest');
    const { images, refused } = await readImages(
      [file('a.png', png), file('notes.txt', bytes('hello')), file('huge.png', png, MAX_IMAGE_BYTES + 1), file('b.png', png)],
      8,
    );
    expect(images.map((i) => i.mediaType)).toEqual(['image/png', 'image/png']);
    expect(images[0].data).toBe(Buffer.from(png).toString('base64'));
    expect(refused).toEqual(['notes.txt: not a PNG, JPEG, GIF or WebP image', 'huge.png: larger than 5 MiB']);
    const over = await readImages([file('c.png', png)], 10);
    expect(over.refused).toEqual(['c.png: a prompt carries at most 10 images']);
  });
});
