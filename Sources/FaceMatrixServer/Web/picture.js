// FaceMatrix "try it" page: the photo on its canvas, or a placeholder saying why there is none.
'use strict';

// ---- picture -----------------------------------------------------------------------------------------------------

/** The photo as the browser sees it upright (EXIF orientation applied), or null when it cannot decode it. */
async function loadPicture(file) {
  if ('createImageBitmap' in window) {
    try { return await createImageBitmap(file, { imageOrientation: 'from-image' }); } catch { /* try an <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } catch {
    return null;
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

const rgb = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;

/** The words of the text in lines no wider than maxWidth (a word wider than that gets a line of its own). */
function wrapLines(ctx, text, maxWidth) {
  const lines = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length ? `${lines[lines.length - 1]} ${word}` : null;
    if (last !== null && ctx.measureText(last).width <= maxWidth) lines[lines.length - 1] = last;
    else lines.push(word);
  }
  return lines;
}

/** A canvas without a photo, saying why (in as many centred lines as it takes). */
function drawPlaceholder(message) {
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  canvas.width = 640;
  canvas.height = 240;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '20px system-ui, sans-serif';
  ctx.fillStyle = getComputedStyle(canvas).color;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const lines = wrapLines(ctx, message, canvas.width - 60);
  const lineHeight = 28;
  lines.forEach((line, index) => ctx.fillText(line, canvas.width / 2,
    canvas.height / 2 + (index - (lines.length - 1) / 2) * lineHeight));
  canvas.dataset.drawn = 'none';
  for (const key of ['box', 'boxes', 'faceBoxes', 'faceColors']) delete canvas.dataset[key];
  canvas.setAttribute('aria-label', message);
  show('legend', false);
}

/**
 * What the canvas says when the browser cannot decode the photo (HEIC/HEIF in most browsers), which the service may
 * still read: while the service looks at it, once it has answered, or when it could not use the file either.
 */
function unshownMessage(phase) {
  const format = 'Your browser cannot display this photo format (e.g. HEIC)';
  if (phase === 'busy') return `${format}; the service is analysing it…`;
  if (phase === 'error') return 'Your browser cannot display this file.';
  const where = window.matchMedia && window.matchMedia('(max-width: 860px)').matches ? 'below' : 'on the right';
  return `${format}; the service still analysed it — the result is ${where}.`;
}

/**
 * Draws the photo over the whole canvas; null (and a placeholder saying why, for the phase: 'busy', 'result' or
 * 'error') when the browser cannot show it.
 */
function drawPhoto(picture, phase = 'result') {
  if (!picture) {
    drawPlaceholder(unshownMessage(phase));
    return null;
  }
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  const width = picture.naturalWidth || picture.width;
  const height = picture.naturalHeight || picture.height;
  canvas.width = width;
  canvas.height = height;
  ctx.drawImage(picture, 0, 0, width, height);
  for (const key of ['box', 'boxes', 'faceBoxes', 'faceColors']) delete canvas.dataset[key];
  return { canvas, ctx, width, height };
}
