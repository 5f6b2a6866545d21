import { describe, expect, it } from 'vitest';
import { contrast, over, parseColor, readableOn, MIN_CONTRAST, type RGBA } from './contrast';

const white: RGBA = [255, 255, 255, 1];
const black: RGBA = [0, 0, 0, 1];

describe('contrast', () => {
  it('parses the colours a computed style gives', () => {
    expect(parseColor('rgb(1, 2, 3)')).toEqual([1, 2, 3, 1]);
    expect(parseColor('rgba(1, 2, 3, 0.5)')).toEqual([1, 2, 3, 0.5]);
    expect(parseColor('rgb(1 2 3 / 50%)')).toEqual([1, 2, 3, 0.5]);
    expect(parseColor('#fff')).toEqual(white);
    expect(parseColor('#1c1e23')).toEqual([28, 30, 35, 1]);
    expect(parseColor('transparent')).toEqual([0, 0, 0, 0]);
    expect(parseColor('color(srgb 1 0 0)')).toBeNull();
  });

  it('measures black on white as 21:1 and a colour on itself as 1:1', () => {
    expect(contrast(black, white)).toBeCloseTo(21, 5);
    expect(contrast(white, white)).toBe(1);
  });

  it('blends a translucent colour over what is behind it', () => {
    expect(over([255, 255, 255, 0.5], black)).toEqual([127.5, 127.5, 127.5, 1]);
  });

  it('keeps the theme text colour where it reads, and picks black or white where it does not', () => {
    const darkFg = parseColor('#e4e6eb')!;
    expect(readableOn(parseColor('#1c1e23')!, darkFg)).toBe(darkFg);
    // The case: the dark theme's near-white text on a white panel.
    const onWhite = readableOn(white, darkFg);
    expect(onWhite).toEqual(black);
    expect(contrast(onWhite, white)).toBeGreaterThanOrEqual(MIN_CONTRAST);
    expect(readableOn(parseColor('#202020')!, parseColor('#1d2128')!)).toEqual(white);
  });
});
