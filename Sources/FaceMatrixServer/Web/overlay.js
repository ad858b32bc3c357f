// FaceMatrix "try it" page: the boxes, landmarks and labels drawn over the photo.
'use strict';

/** Line width and label size for a photo of this size. */
function strokeFor(width, height) {
  return {
    line: Math.max(2, Math.round(Math.max(width, height) / 200)),
    size: Math.max(12, Math.round(Math.max(width, height) / 40)),
  };
}

/** The label, shortened with an ellipsis to fit the width. */
function fitLabel(ctx, label, maxWidth) {
  if (ctx.measureText(label).width <= maxWidth) return label;
  let cut = label;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > maxWidth) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/**
 * One face: its box, a label tag above it (below or inside when there is no room), its landmarks. With `room` (many
 * faces: how far the tag may reach to the right before the next face) the label is sized by the face rather than the
 * photo and shortened to fit.
 */
function drawFace(scene, face, color, label, room = null) {
  const compact = room !== null;
  const { ctx, width, height } = scene;
  const stroke = strokeFor(width, height);
  const line = stroke.line;
  const [x, y, w, h] = [face.box.x, face.box.y, face.box.width, face.box.height].map(Math.round);
  const size = compact ? Math.max(12, Math.min(stroke.size, Math.round(h / 9))) : stroke.size;
  ctx.lineWidth = line;
  ctx.strokeStyle = rgb(color);
  ctx.strokeRect(x, y, w, h);
  if (label) {
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    const pad = Math.round(size / 3);
    if (compact) label = fitLabel(ctx, label, Math.max(w + line, 4 * size, room) - 2 * pad);
    const tagWidth = ctx.measureText(label).width + 2 * pad;
    const tagHeight = size + 2 * pad;
    let tagY = y - line / 2 - tagHeight;
    if (tagY < 0) tagY = y + h + line / 2 + tagHeight <= height ? y + h + line / 2 : y + line / 2;
    const tagX = Math.max(0, Math.min(x - line / 2, width - tagWidth));
    ctx.fillStyle = rgb(color);
    ctx.fillRect(tagX, tagY, tagWidth, tagHeight);
    ctx.fillStyle = '#111';
    ctx.textBaseline = 'top';
    ctx.fillText(label, tagX + pad, tagY + pad);
  }
  const points = Object.values(face.landmarks || {});
  for (const point of points) {
    ctx.beginPath();
    ctx.arc(point.x, point.y, line * 1.6, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(MARK_COLOR);
    ctx.fill();
    ctx.lineWidth = Math.max(1, line / 2);
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  return { rect: [x, y, w, h], line, landmarks: points.length };
}

/**
 * Draws the photo, and the face box and landmarks when the service found them: in `color` with the `label` tag (none
 * when null); `note` ends the canvas's description. `phase` says what a placeholder says when there is no picture.
 */
function drawScene(picture, metadata, { label = null, color = BOX_COLOR.other, note = '', phase = 'result' } = {}) {
  const scene = drawPhoto(picture, phase);
  if (!scene) return;
  const { canvas, width, height } = scene;
  setLegend(false);
  if (!(metadata && metadata.box)) {
    canvas.dataset.drawn = 'photo';
    canvas.setAttribute('aria-label', `The photo, ${width} × ${height} pixels`);
    show('legend', false);
    return;
  }
  const drawn = drawFace(scene, metadata, color, label);
  const [x, y, w, h] = drawn.rect;
  canvas.dataset.drawn = 'box';
  canvas.dataset.box = drawn.rect.join(',');
  canvas.dataset.line = String(drawn.line);
  canvas.dataset.boxColor = color.join(',');
  canvas.dataset.landmarks = String(drawn.landmarks);
  canvas.setAttribute('aria-label',
    `The photo, ${width} × ${height} pixels, with the face box at x ${x}, y ${y}, ${w} × ${h}`
    + (label ? `, labelled ${label}` : '') + note);
  $('legend').style.setProperty('--box', rgb(color));
  show('legend');
}

/** Every face of a group answer, numbered in the order returned: green with the name for a match, amber otherwise. */
function drawFaces(picture, faces) {
  const scene = drawPhoto(picture);
  if (!scene) return;
  const { canvas, width, height } = scene;
  const boxes = faces.map((face) => face.box);
  /** From the box's left edge to the nearest face on its right at about the same height (where its tag sits). */
  const room = (box) => boxes.reduce((right, other) => {
    const near = other !== box && other.x > box.x
      && other.y < box.y + box.height * 1.3 && other.y + other.height > box.y - box.height * 0.3;
    return near ? Math.min(right, other.x - box.height / 20) : right;
  }, width) - box.x;
  const drawn = faces.map((face, index) => {
    const matched = face.decision === 'match';
    const color = matched ? BOX_COLOR.match : BOX_COLOR.other;
    const label = matched && face.user_info ? `${index + 1} ${face.user_info.name}` : String(index + 1);
    return { ...drawFace(scene, face, color, label, room(face.box)), color, label, matched };
  });
  canvas.dataset.drawn = 'faces';
  canvas.dataset.boxes = String(drawn.length);
  canvas.dataset.faceBoxes = drawn.map((d) => d.rect.join(',')).join(';');
  canvas.dataset.faceColors = drawn.map((d) => d.color.join(',')).join(';');
  canvas.dataset.line = String(drawn.length ? drawn[0].line : strokeFor(width, height).line);
  canvas.dataset.landmarks = String(drawn.reduce((sum, d) => sum + d.landmarks, 0));
  const described = drawn.map((d) => (d.matched ? `face ${d.label} (match)` : `face ${d.label} (no match)`));
  canvas.setAttribute('aria-label', `The photo, ${width} × ${height} pixels, with ${drawn.length} face `
    + `${drawn.length === 1 ? 'box' : 'boxes'}${described.length ? `: ${described.join(', ')}` : ''}`);
  setLegend(true);
  show('legend', drawn.length > 0);
}

/** The legend: one box key for the single face, a match key and a no-match key for every face. */
function setLegend(group) {
  $('legend-box').textContent = group ? 'match' : 'face box';
  $('legend').style.setProperty('--box', rgb(BOX_COLOR.match));
  show('legend-other', group);
}
