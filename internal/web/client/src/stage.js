// Fitting a grid of video tiles into the stage: how many columns and
// rows, and how large each tile is, so that every tile is as large as it
// can be and the whole grid fits without scrolling.

/**
 * Tiles are 16:10, or 4:3 on a wide stage and 4:5 on a tall one (a
 * phone) where that makes them larger; the video is cropped to fill.
 */
const aspects = (w, h) => (w >= h ? [16 / 10, 4 / 3] : [16 / 10, 4 / 5]);
/** Below this width a tile's name and video are no use: show "+N" instead. */
const MIN_TILE_W = 150;
export const GAP = 10;

function best(w, h, n) {
  let top = null;
  for (const aspect of aspects(w, h)) {
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const cellW = (w - GAP * (cols - 1)) / cols;
      const cellH = (h - GAP * (rows - 1)) / rows;
      const tileW = Math.floor(Math.min(cellW, cellH * aspect));
      const tileH = Math.floor(tileW / aspect);
      if (tileW <= 0 || tileH <= 0) continue;
      const area = tileW * tileH;
      if (!top || area > top.area + 1) top = { cols, rows, tileW, tileH, area };
    }
  }
  return top;
}

/**
 * The grid for n tiles in a w×h stage: {cols, rows, tileW, tileH, shown},
 * where shown < n means the last place holds "+N".
 */
export function arrange(w, h, n) {
  if (n <= 0) return { cols: 1, rows: 1, tileW: 0, tileH: 0, shown: 0 };
  const minW = Math.min(MIN_TILE_W, w / 2 - GAP);
  let shown = n;
  let fit = best(w, h, n);
  while (shown > 2 && (!fit || fit.tileW < minW)) {
    shown--;
    fit = best(w, h, shown);
  }
  return { ...fit, shown: shown < n ? shown - 1 : n, places: shown };
}
