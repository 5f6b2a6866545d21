// Images attached to a prompt: the checks Konsole makes (type from the
// bytes, at most 10 of 5 MiB each), made here first so that the user hears
// at once, and the base64 form the prompt route takes.

export const MAX_IMAGES = 10;
export const MAX_IMAGE_BYTES = 5 << 20;

export interface PromptImage {
  mediaType: string;
  /** Standard base64 of the bytes. */
  data: string;
}

/** The media type of bytes from their magic number, or '' when none of the four. */
export function sniffImage(b: Uint8Array): string {
  const at = (i: number, s: string) => [...s].every((c, j) => b[i + j] === c.charCodeAt(0));
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'image/webp';
  return '';
}

export function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * Reads files into prompt images beside those already attached. Files that
 * are not a PNG, JPEG, GIF or WebP, are too large, or go over the count are
 * left out, each with its reason.
 */
export async function readImages(
  files: Iterable<{ name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }>,
  have: number,
): Promise<{ images: PromptImage[]; refused: string[] }> {
  const images: PromptImage[] = [];
  const refused: string[] = [];
  for (const f of files) {
    const name = f.name || 'the pasted image';
    if (have + images.length >= MAX_IMAGES) {
      refused.push(`${name}: a prompt carries at most ${MAX_IMAGES} images`);
      continue;
    }
    if (f.size > MAX_IMAGE_BYTES) {
      refused.push(`${name}: larger than 5 MiB`);
      continue;
    }
    const bytes = new Uint8Array(await f.arrayBuffer());
    const mediaType = sniffImage(bytes);
    if (!mediaType) {
      refused.push(`${name}: not a PNG, JPEG, GIF or WebP image`);
      continue;
    }
    images.push({ mediaType, data: toBase64(bytes) });
  }
  return { images, refused };
}

/** A data: URL to show an image. */
export function imageURL(img: { mediaType: string; data: string }): string {
  return `data:${img.mediaType};base64,${img.data}`;
}
